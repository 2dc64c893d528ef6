// The thread that reads a streamed file (stream-thread-file.ts) a few batches ahead of the
// training: it walks the epoch's order, reads a row's chunk when the row is first wanted (a
// read at the chunk's offset; a gzip stream is inflated in file order), keeps the chunk's rows
// that are still wanted in a pool, and writes each batch's values (pixels ÷ 255) into a free slot
// of shared memory. The training thread takes the slots in turn (Atomics). What a chunk is, and
// how it becomes rows, is the source's: an IDX file's (idx-chunks-file.ts), a CSV's (csv-chunks-file.ts),
// an image folder's (image-chunks-file.ts).
import { setPriority } from "node:os";
import { type MessagePort, workerData } from "node:worker_threads";
import { csvChunks } from "./csv-chunks-file.ts";
import { idxChunks } from "./idx-chunks-file.ts";
import { type ChunkSource, SLOT, type StreamLayout, slotOffsets } from "./idx-stream-layout.ts";
import { imageChunks } from "./image-chunks-file.ts";
import { RowStore } from "./pixels-wasm.ts";

/** A reader's shared memory: its control words, and its slots' rows and their values ÷ 255. */
interface Shared {
  ctrl: SharedArrayBuffer;
  rows: SharedArrayBuffer;
  floats: SharedArrayBuffer;
  batchSize: number;
  slots: number;
}

interface Epoch extends Shared {
  type: "epoch";
  generation: number;
  order: Int32Array;
  position: number;
}

interface Checksum {
  type: "checksum";
  ctrl: SharedArrayBuffer;
  h: number;
}

const { layout, port } = (workerData as { stackaeStream: { layout: StreamLayout; port: MessagePort } }).stackaeStream;
const { examples: m, inputSize: n, chunkRows } = layout;
/** The file's chunks, opened for an epoch or a checksum (a gzip stream is read once from its start). */
const openChunks = (): ChunkSource =>
  layout.csv ? csvChunks(layout, store) : layout.images ? imageChunks(layout, store) : idxChunks(layout, store);
// The lowest priority: on a machine whose cores the training's threads fill, the reading takes
// the gaps rather than a core from a product whose threads wait for each other (a streamed epoch
// ran 20 % faster so, on 2 cores). Where the system refuses, it reads at the usual priority.
try {
  setPriority(19);
} catch {}

let running: Promise<void> = Promise.resolve();
port.on("message", (message: Epoch | Checksum) => {
  const ctrl = new Int32Array(message.ctrl);
  running = running
    .then(() => (message.type === "epoch" ? produce(message) : checksum(ctrl, message.h)))
    .catch((error: unknown) => {
      port.postMessage({ type: "error", message: (error as Error).message ?? String(error) });
      Atomics.store(ctrl, SLOT.error, 1);
      for (let k = 0; k < (message.type === "epoch" ? message.slots : 0); k++) {
        Atomics.notify(ctrl, slotOffsets(k).state);
      }
      Atomics.notify(ctrl, SLOT.reply);
    });
});

/**
 * The rows read but not yet taken: slots of the store's slab (grown when it must be), found by an
 * index of every row of the file (4 bytes an example: a Map's entries cost more to keep and to
 * look up). A taken row's slot is freed by `release`, once its batch is gathered.
 */
class RowPool {
  #free: number[] = [];
  readonly #slotOf = new Int32Array(m).fill(-1);
  /** Frees every slot (a new epoch). */
  clear(): void {
    this.#slotOf.fill(-1);
    this.#free.length = 0;
    for (let s = store.slabRows - 1; s >= 0; s--) this.#free.push(s);
  }
  has(row: number): boolean {
    return (this.#slotOf[row] as number) >= 0;
  }
  /** Keeps row i of the chunk just read as the file's row `row`. */
  put(row: number, i: number): void {
    if (this.#free.length === 0) {
      const rows = store.slabRows;
      store.growSlab();
      for (let s = store.slabRows - 1; s >= rows; s--) this.#free.push(s);
    }
    const s = this.#free.pop() as number;
    store.keep(i, s);
    this.#slotOf[row] = s;
  }
  /** The row's slot, no longer the row's; release it once it is read. */
  take(row: number): number {
    const s = this.#slotOf[row] as number;
    this.#slotOf[row] = -1;
    return s;
  }
  release(slots: Int32Array, count: number): void {
    for (let k = 0; k < count; k++) this.#free.push(slots[k] as number);
  }
}

/** Atomics.waitAsync (Node ≥ 16), which this project's TypeScript lib does not declare yet. */
const waitAsync = (
  Atomics as unknown as {
    waitAsync(
      a: Int32Array,
      at: number,
      value: number,
      ms: number,
    ): { async: boolean; value: Promise<string> | string };
  }
).waitAsync;

/** The chunk read, the rows pending (kept from epoch to epoch), and a batch scaled. */
const store = new RowStore(
  n,
  chunkRows,
  Math.min(m, layout.bufferRows + chunkRows),
  layout.csv?.bytes === false ? "f32" : "u8",
);
const pool = new RowPool();

/** Waits until slot k is free (the training thread took it); false when a newer epoch began. */
async function freeSlot(ctrl: Int32Array, k: number, generation: number): Promise<boolean> {
  const at = slotOffsets(k).state;
  while (Atomics.load(ctrl, at) !== 0) {
    if (Atomics.load(ctrl, SLOT.generation) !== generation) return false;
    const w = waitAsync(ctrl, at, 1, 1000);
    if (w.async) await w.value;
  }
  return Atomics.load(ctrl, SLOT.generation) === generation;
}

/**
 * Takes the rows order[b + i] of a batch, from i = i0 on, out of the pool: their slots into
 * `slots` from 0, their numbers into `rows` from `at`. Stops at a row whose chunk is not read
 * yet and returns its i, or returns count. Not async, so that V8 optimises its loop: inside the
 * async produce it ran interpreted, ~0.7 µs a row.
 */
function takeRows(
  order: Int32Array,
  b: number,
  i0: number,
  count: number,
  slots: Int32Array,
  rows: Int32Array,
  at: number,
  wanted: Uint8Array,
): number {
  for (let i = i0; i < count; i++) {
    const r = order[b + i] as number;
    if (!pool.has(r)) return i;
    slots[i] = pool.take(r);
    wanted[r] = 0;
    rows[at + i] = r;
  }
  return count;
}

/** Writes the batches of an epoch's order from `position` into the slots, in turn. */
async function produce(epoch: Epoch): Promise<void> {
  const { generation, order, position, batchSize, slots } = epoch;
  const ctrl = new Int32Array(epoch.ctrl);
  const slotRows = new Int32Array(epoch.rows);
  const slotFloats = new Float32Array(epoch.floats);
  const wanted = new Uint8Array(m);
  for (let i = position; i < m; i++) wanted[order[i] as number] = 1;
  pool.clear();
  const batchSlots = new Int32Array(batchSize);
  const chunks = openChunks();
  const read = new Uint8Array(chunks.count);
  const keep = (c: number, rows: number) => {
    read[c] = 1;
    const first = chunks.first(c);
    for (let i = 0; i < rows; i++) if (wanted[first + i]) pool.put(first + i, i);
  };
  try {
    for (let b = position, k = 0; b < m; b += batchSize, k++) {
      const slot = k % slots;
      if (!(await freeSlot(ctrl, slot, generation))) return;
      const count = Math.min(batchSize, m - b);
      const o = slotOffsets(slot);
      for (let i = 0; (i = takeRows(order, b, i, count, batchSlots, slotRows, slot * batchSize, wanted)) < count; ) {
        const c = chunks.chunkOf(order[b + i] as number);
        if (read[c]) throw new Error(`row ${order[b + i]} of ${layout.path} is wanted twice in an epoch`);
        await chunks.read(c, keep);
      }
      // Scaled here, a batch ahead, rather than on the training thread: as inputsToMatrix scales.
      slotFloats.set(store.gather(batchSlots, count), slot * batchSize * n);
      pool.release(batchSlots, count);
      ctrl[o.generation] = generation;
      ctrl[o.position] = b;
      ctrl[o.count] = count;
      Atomics.store(ctrl, o.state, 1);
      Atomics.notify(ctrl, o.state);
    }
  } finally {
    chunks.close();
  }
}

/** The checksum of the examples as a checkpoint of them in memory records, from `h`: the reply to a checksum request. */
async function checksum(ctrl: Int32Array, h: number): Promise<void> {
  const chunks = openChunks();
  let hash: number;
  try {
    hash = await chunks.checksum(h);
  } finally {
    chunks.close();
  }
  port.postMessage({ type: "checksum", h: hash });
  Atomics.store(ctrl, SLOT.reply, 1);
  Atomics.notify(ctrl, SLOT.reply);
}
