// The reading thread of a streamed file (idx-stream-worker-file.ts) seen from the training
// thread: an ExampleStream over a file's layout (an IDX file's, a CSV's), one thread per stream,
// started when first needed; each reader's batches taken from slots of shared memory (Atomics).
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { ArgumentError, checkNumber, DataError } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";
import { controlWords, SLOT, type StreamLayout, slotOffsets } from "./idx-stream-layout.ts";
import type { BatchReader, ExampleStream } from "./stream.ts";
import { type StreamShuffle, shuffleStream } from "./stream-order.ts";

/** The stream of a file's `layout`, whose examples' labels are `labels`, drawn in `shuffle`'s order; `ahead` batches read ahead. */
export function streamOfLayout(
  layout: StreamLayout,
  labels: Int32Array,
  shuffle: StreamShuffle,
  ahead: number,
): ExampleStream {
  // One reading thread for the stream, started when first needed, shared by its readers in turn.
  let thread: ReadingThread | null = null;
  const reading = () => {
    thread ??= new ReadingThread(layout);
    return thread;
  };
  return {
    examples: layout.examples,
    inputSize: layout.inputSize,
    labels,
    name: layout.path,
    shuffle: (order: Int32Array, rng: Rng) => shuffleStream(order, shuffle, rng),
    open: (batchSize: number) => new IdxBatchReader(reading(), batchSize, ahead),
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
    // (b = round(255 × fround(b / 255)) exactly) ÷ 255, as scalePixels divides, or a CSV's
    // float32 value as it is (held in memory, it is float32 too).
    if (out instanceof Float32Array || this.#thread.layout.csv?.bytes === false)
      out.set(this.#floats.subarray(from, to));
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
