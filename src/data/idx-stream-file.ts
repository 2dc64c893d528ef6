// An IDX images file read as training goes (issue #32): its header and its labels now, its
// examples in chunks by a thread of their own (idx-stream-worker-file.ts), a few batches ahead,
// in the order the stream's seeded shuffle draws (stream-order.ts). Peak memory is the shuffle
// buffer, a chunk and the batches ahead, whatever the file's size.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { constants, gunzipSync } from "node:zlib";
import { ArgumentError, checkNumber, DataError, fileErrorReason } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";
import { readIdx } from "./files.ts";
import { isGzip } from "./idx.ts";
import { controlWords, SLOT, type StreamLayout, slotOffsets } from "./idx-stream-layout.ts";
import type { BatchReader, ExampleStream } from "./stream.ts";
import { checkStreamShuffle, shuffleStream } from "./stream-order.ts";

export interface IdxStreamOptions {
  /** Examples the shuffle buffer holds (default 50,000). */
  shuffleBuffer?: number;
  /** Bytes read at once (default 4 MiB): a chunk is as many examples as fit. */
  chunkBytes?: number;
  /** Read only the first `limit` examples (--train-limit). */
  limit?: number;
  /** Batches read ahead (default 4). */
  ahead?: number;
}

export const DEFAULT_SHUFFLE_BUFFER = 50_000;
const DEFAULT_CHUNK_BYTES = 4 * 2 ** 20;

/** The header of an IDX images file: its dimensions, and the bytes it takes. */
export function readIdxImagesHeader(path: string): { count: number; rows: number; cols: number; gzip: boolean } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
  }
  try {
    const start = new Uint8Array(65536);
    const got = readSync(fd, start, 0, start.length, 0);
    const gzip = isGzip(start.subarray(0, got));
    let head = start.subarray(0, got);
    if (gzip) head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    if (head.length < 16 || head[0] !== 0 || head[1] !== 0 || head[2] !== 8 || head[3] !== 3) {
      throw new DataError(
        `${path}: not an unsigned-byte IDX images file (magic 2051, 3 dimensions): a streamed data set is MNIST-style IDX files`,
        path,
      );
    }
    const view = new DataView(head.buffer, head.byteOffset, 16);
    const [count, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
    if (!gzip) {
      const size = fstatSync(fd).size;
      if (size !== 16 + count * rows * cols) {
        throw new DataError(
          `${path}: the header says ${count} × ${rows} × ${cols} (${16 + count * rows * cols} bytes with the header), but the file has ${size} bytes`,
          path,
        );
      }
    }
    return { count, rows, cols, gzip };
  } finally {
    closeSync(fd);
  }
}

/** The images of `imagesPath` and the labels of `labelsPath` (read whole: a byte each), streamed. */
export function openIdxStream(imagesPath: string, labelsPath: string, options: IdxStreamOptions = {}): ExampleStream {
  const header = readIdxImagesHeader(imagesPath);
  const n = header.rows * header.cols;
  const limit = options.limit ?? header.count;
  checkNumber("limit", limit, { integer: true, min: 1 });
  const m = Math.min(header.count, limit);
  const labelBytes = readIdx(labelsPath, 1).data;
  if (labelBytes.length !== header.count) {
    throw new DataError(
      `${labelsPath}: has ${labelBytes.length} labels, ${imagesPath} ${header.count} images: give the labels of these images`,
      labelsPath,
    );
  }
  const labels = Int32Array.from(labelBytes.subarray(0, m));
  const chunkRows = Math.max(1, Math.floor((options.chunkBytes ?? DEFAULT_CHUNK_BYTES) / n));
  const shuffle = checkStreamShuffle({
    examples: m,
    chunkRows,
    bufferRows: options.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER,
    sequential: header.gzip,
  });
  const layout: StreamLayout = {
    path: imagesPath,
    gzip: header.gzip,
    headerBytes: 16,
    examples: m,
    inputSize: n,
    chunkRows,
    bufferRows: shuffle.bufferRows,
  };
  // One reading thread for the stream, started when first needed, shared by its readers in turn.
  let thread: ReadingThread | null = null;
  const reading = () => {
    thread ??= new ReadingThread(layout);
    return thread;
  };
  return {
    examples: m,
    inputSize: n,
    labels,
    name: imagesPath,
    shuffle: (order: Int32Array, rng: Rng) => shuffleStream(order, shuffle, rng),
    open: (batchSize: number) => new IdxBatchReader(reading(), batchSize, options.ahead ?? 4),
    checksum: (h: number) => reading().checksum(h),
    close: () => {
      thread?.close();
      thread = null;
    },
  };
}

/** How long the training thread waits on the reader before it looks for the reader's failure. */
const WAIT_MS = 500;

/** The thread that reads the file (idx-stream-worker-file.ts), and the port to it. */
class ReadingThread {
  readonly layout: StreamLayout;
  readonly port: MessageChannel["port1"];
  readonly #worker: Worker;

  constructor(layout: StreamLayout) {
    this.layout = layout;
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.#worker = startWorker(
      new URL(`./idx-stream-worker-file${extension()}`, import.meta.url),
      { stackaeStream: { layout, port: channel.port2 } },
      [channel.port2],
    );
    this.#worker.unref();
  }

  /** Blocks while `ctrl[at]` is `value`; throws the reading thread's failure, if it fails. */
  wait(ctrl: Int32Array, at: number, value: number): void {
    while (Atomics.load(ctrl, at) === value) {
      if (Atomics.load(ctrl, SLOT.error) !== 0) {
        const failure = receiveMessageOnPort(this.port)?.message as { message?: string } | undefined;
        throw new DataError(
          `${this.layout.path}: ${failure?.message ?? "the reading thread failed"}`,
          this.layout.path,
        );
      }
      Atomics.wait(ctrl, at, value, WAIT_MS);
    }
  }

  /** The thread's FNV-1a of the file's examples, continued from h (ExampleStream.checksum). */
  checksum(h: number): number {
    const ctrl = new Int32Array(new SharedArrayBuffer(4 * controlWords(0)));
    this.port.postMessage({ type: "checksum", ctrl: ctrl.buffer, h });
    this.wait(ctrl, SLOT.reply, 0);
    const reply = receiveMessageOnPort(this.port)?.message as { type: string; h: number } | undefined;
    if (reply?.type !== "checksum") throw new DataError(`${this.layout.path}: the reading thread did not answer`);
    return reply.h;
  }

  close(): void {
    this.port.close();
    void this.#worker.terminate();
  }
}

/** The training thread's side of a reader: tells the thread each epoch, takes its batches from shared memory. */
class IdxBatchReader implements BatchReader {
  readonly #thread: ReadingThread;
  readonly #batchSize: number;
  readonly #slots: number;
  readonly #ctrl: Int32Array;
  readonly #rows: Int32Array;
  readonly #floats: Float32Array;
  #generation = 0;
  #taken = 0;
  #position = 0;

  constructor(thread: ReadingThread, batchSize: number, slots: number) {
    checkNumber("batchSize", batchSize, { integer: true, min: 1 });
    checkNumber("ahead", slots, { integer: true, min: 1 });
    this.#thread = thread;
    this.#batchSize = batchSize;
    this.#slots = slots;
    this.#ctrl = new Int32Array(new SharedArrayBuffer(4 * controlWords(slots)));
    this.#rows = new Int32Array(new SharedArrayBuffer(4 * slots * batchSize));
    this.#floats = new Float32Array(new SharedArrayBuffer(4 * slots * batchSize * thread.layout.inputSize));
  }

  start(order: Int32Array, position: number): void {
    this.#generation++;
    Atomics.store(this.#ctrl, SLOT.generation, this.#generation);
    // Batches of an earlier epoch still waiting are dropped; the reader sees the new epoch.
    for (let k = 0; k < this.#slots; k++) {
      const at = slotOffsets(k).state;
      Atomics.store(this.#ctrl, at, 0);
      Atomics.notify(this.#ctrl, at);
    }
    this.#taken = 0;
    this.#position = position;
    this.#thread.port.postMessage({
      type: "epoch",
      ctrl: this.#ctrl.buffer,
      rows: this.#rows.buffer,
      floats: this.#floats.buffer,
      batchSize: this.#batchSize,
      slots: this.#slots,
      generation: this.#generation,
      order: order.slice(),
      position,
    });
  }

  next(rows: Int32Array, out: FloatArray): void {
    const n = this.#thread.layout.inputSize;
    const batchSize = this.#batchSize;
    const k = this.#taken % this.#slots;
    const o = slotOffsets(k);
    for (;;) {
      this.#thread.wait(this.#ctrl, o.state, 0);
      if (this.#ctrl[o.generation] === this.#generation) break;
      Atomics.store(this.#ctrl, o.state, 0);
      Atomics.notify(this.#ctrl, o.state);
    }
    const count = this.#ctrl[o.count] as number;
    const given = this.#rows.subarray(k * batchSize, k * batchSize + count);
    if (this.#ctrl[o.position] !== this.#position || count !== rows.length || given.some((r, i) => r !== rows[i])) {
      throw new ArgumentError(
        `${this.#thread.layout.path}: the batch asked for (${rows.length} examples at position ${this.#position}) is not the next of the epoch's order`,
      );
    }
    const [from, to] = [k * batchSize * n, (k * batchSize + count) * n];
    // float32 matrices take the reading thread's values; float64 ones the byte each came from
    // (b = round(255 × fround(b / 255)) exactly) ÷ 255, as scalePixels divides.
    if (out instanceof Float32Array) out.set(this.#floats.subarray(from, to));
    else for (let i = from; i < to; i++) out[i - from] = Math.round(255 * (this.#floats[i] as number)) / 255;
    Atomics.store(this.#ctrl, o.state, 0);
    Atomics.notify(this.#ctrl, o.state);
    this.#taken++;
    this.#position += count;
  }

  close(): void {
    // The thread stops this reader's epoch when it next looks; it stays for the stream's other readers.
    Atomics.store(this.#ctrl, SLOT.generation, -1);
    for (let k = 0; k < this.#slots; k++) {
      Atomics.store(this.#ctrl, slotOffsets(k).state, 0);
      Atomics.notify(this.#ctrl, slotOffsets(k).state);
    }
  }
}

/** ".ts" run from the sources, ".js" installed. */
function extension(): string {
  return import.meta.url.endsWith(".ts") ? ".ts" : ".js";
}

/** A worker on a module of this package; from the sources it registers tsx (as cli/module-worker.ts). */
function startWorker(url: URL, workerData: unknown, transferList: Transferable[]): Worker {
  const options = { workerData, transferList: transferList as never };
  if (!url.pathname.endsWith(".ts")) return new Worker(url, options);
  const tsx = import.meta.resolve("tsx/esm/api");
  const code = `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(url.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}
