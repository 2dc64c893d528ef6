// Worker threads that run kernel calls on the same shared WebAssembly memory as the main thread.
// Each worker instantiates the kernel module over that memory; work is handed over through a
// control block in the memory with Atomics.wait / Atomics.notify, which costs microseconds where
// postMessage costs tens of them.
import { StackaeError } from "../../errors.ts";
import { getPlatform, type KernelThread } from "../../platform/platform.ts";

/** The kernel exports a worker may run, by index. */
export const POOL_FUNCTIONS = [
  "sgemmShared",
  "biasSigmoid",
  "sigmoidGradMul",
  "addRowSigmoidGradMul",
  "squaredErrorDelta",
  "sparseMulTClaimed",
  "sparseTMulBlocks",
  "twoLoop",
  "colSumsRange",
  "squaredErrorDeltaRange",
  "softmaxRows",
  "adamRange",
  "sgdRange",
  "copyRows",
  "sgemmThinNT",
] as const;
export type PoolFunction = (typeof POOL_FUNCTIONS)[number];

/**
 * One worker's control block: int32 words 0–3 (bytes 0–15) hold state, function, argument count and
 * error flag; float64 word 2 (bytes 16–23) the result; float64 words 3… the arguments.
 */
export const CONTROL_BYTES = 256;
const IDLE = 0;
const POSTED = 1;
const DONE = 2;
const EXIT = -1;

/**
 * Milliseconds a thread spins for the other side before it sleeps in Atomics.wait: a worker for its
 * next call, the main thread for a worker's result. A call's two wake-ups from sleep cost tens of
 * microseconds, a sizeable part of a minibatch's product (256 × 200 × 200 on 2 threads), and a
 * short spin saves most of them. Bounded, so that a thread without a core of its own (more threads
 * than cores, other work on them) is not kept from running for long.
 */
const SPIN_MS = 0.03;

/** The body of a kernel thread, a function of (data, ready), run by the platform's thread. */
const THREAD_BODY = `(data, ready) => {
  const { module, memory, control, names } = data;
  const instance = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("kernel abort"); } } });
  const fns = names.map((n) => instance.exports[n]);
  const i32 = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
  const f64 = new Float64Array(memory.buffer, control, ${CONTROL_BYTES / 8});
  ready();
  for (;;) {
    // Spin a while for the next call, then sleep. Wait on the very value that was tested: reading
    // the state again for Atomics.wait could see POSTED after the main thread's only notify and
    // sleep for ever.
    const until = performance.now() + ${SPIN_MS};
    for (let spin = 0; Atomics.load(i32, 0) !== ${POSTED} && (++spin % 16 !== 0 || performance.now() < until); );
    for (;;) {
      const state = Atomics.load(i32, 0);
      if (state === ${POSTED}) break;
      Atomics.wait(i32, 0, state);
    }
    const fn = i32[1];
    if (fn === ${EXIT}) break;
    const args = [];
    for (let i = 0; i < i32[2]; i++) args.push(f64[3 + i]);
    try {
      const r = fns[fn](...args);
      f64[2] = typeof r === "number" ? r : 0;
      i32[3] = 0;
    } catch (e) {
      i32[3] = 1;
    }
    Atomics.store(i32, 0, ${DONE});
    Atomics.notify(i32, 0);
  }
}`;

export class ThreadPool {
  readonly size: number;
  readonly #workers: KernelThread[];
  readonly #i32: Int32Array[];
  readonly #f64: Float64Array[];

  private constructor(workers: KernelThread[], memory: WebAssembly.Memory, controls: number[]) {
    this.size = workers.length;
    this.#workers = workers;
    this.#i32 = controls.map((c) => new Int32Array(memory.buffer, c, CONTROL_BYTES / 4));
    this.#f64 = controls.map((c) => new Float64Array(memory.buffer, c, CONTROL_BYTES / 8));
  }

  /** Starts one worker per control block (byte offsets into the shared memory, CONTROL_BYTES each). */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, controls: number[]): Promise<ThreadPool> {
    const platform = await getPlatform();
    const workers = controls.map((control) =>
      platform.startThread(THREAD_BODY, { module, memory, control, names: POOL_FUNCTIONS }),
    );
    await Promise.all(workers.map((w) => w.ready));
    return new ThreadPool(workers, memory, controls);
  }

  /** Starts `fn(...args)` on worker `w`; collect it with `wait(w)`. */
  post(w: number, fn: PoolFunction, args: number[]): void {
    this.#send(w, POOL_FUNCTIONS.indexOf(fn), args);
  }

  #send(w: number, fn: number, args: number[]): void {
    const i32 = this.#i32[w] as Int32Array;
    const f64 = this.#f64[w] as Float64Array;
    i32[1] = fn;
    i32[2] = args.length;
    for (let i = 0; i < args.length; i++) f64[3 + i] = args[i] as number;
    Atomics.store(i32, 0, POSTED);
    Atomics.notify(i32, 0);
  }

  /** Waits for worker `w` to finish what was posted; returns the kernel's result. */
  wait(w: number): number {
    const i32 = this.#i32[w] as Int32Array;
    const until = performance.now() + SPIN_MS;
    for (let spin = 0; Atomics.load(i32, 0) === POSTED && (++spin % 16 !== 0 || performance.now() < until); );
    while (Atomics.load(i32, 0) === POSTED) Atomics.wait(i32, 0, POSTED);
    Atomics.store(i32, 0, IDLE);
    if (i32[3] !== 0) throw new StackaeError("ERR_WASM_ABORT", `a kernel failed in worker thread ${w + 1}`);
    return (this.#f64[w] as Float64Array)[2] as number;
  }

  /** Stops the workers. */
  async dispose(): Promise<void> {
    for (let w = 0; w < this.size; w++) this.#send(w, EXIT, []);
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
