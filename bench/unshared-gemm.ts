// The same product run unshared: each of T threads multiplies its own operands, in its own
// memory, with the library's one-thread sgemm (wasm/kernels-relaxed.wasm: the same kernel source
// as the shared build, over a memory that is not shared), all T at once. Its rate is what T cores
// give this kernel when nothing is shared between them (no panel packed by another core, no item
// handed between threads, no wait), so that `npm run bench:gemm-threads -- --unshared` can tell
// what the shared gemm loses to its sharing from what the machine itself loses on two busy cores
// (caches, memory, clock). A benchmark's instrument, not a kernel.
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
}

/**
 * Fills `count` floats of `f` from index `at` with values in [−0.5, 0.5) from a 32-bit linear
 * congruential generator started at `seed`; returns the generator's state. Runs in the workers
 * too (its source is sent with them), so that a test can rebuild their operands.
 */
export function fillOperand(f: Float32Array, at: number, count: number, seed: number): number {
  let s = seed >>> 0;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    f[at + i] = s / 4294967296 - 0.5;
  }
  return s;
}

/** Most calls in a sample, whatever the first call's timing said. */
const MAX_CALLS = 100_000;

/** Runs in each worker: its own memory and operands; per sample, `calls` products. */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const fillOperand = ${fillOperand.toString()};
const { module, flag, shape, seed, sampleMs } = workerData;
const memory = new WebAssembly.Memory({ initial: 1 });
const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("kernel abort"); } } }).exports;
const { M, N, K, transA, transB } = shape;
let top = (k.heapBase() + 63) & ~63;
const take = (bytes) => { const at = top; top = (top + bytes + 63) & ~63; return at; };
const A = take(M * K * 4), B = take(N * K * 4), C = take(M * N * 4);
const packA = take(k.PACK_A_BYTES.value), packB = take(k.PACK_B_BYTES.value), tile = take(k.TILE_BYTES.value);
if (top > memory.buffer.byteLength) memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
const f = new Float32Array(memory.buffer);
fillOperand(f, B / 4, N * K, fillOperand(f, A / 4, M * K, seed));
const lda = transA ? M : K, ldb = transB ? K : N;
const call = () => k.sgemm(transA, transB, M, N, K, 1, A, lda, B, ldb, 0, C, N, packA, packB, tile, 0);
call();
let checksum = 0;
for (let i = 0; i < M * N; i++) checksum += f[C / 4 + i];
for (let i = 0; i < 4; i++) call();
const t0 = performance.now();
call();
const ms = performance.now() - t0;
const calls = Math.min(${MAX_CALLS}, Math.max(1, Math.ceil(sampleMs / Math.max(ms, 1e-3))));
parentPort.postMessage({ calls, checksum });
const start = new Int32Array(flag);
for (let n = 1; ; n++) {
  Atomics.wait(start, 0, n - 1);
  if (Atomics.load(start, 0) < 0) break;
  for (let c = 0; c < calls; c++) call();
  parentPort.postMessage(n);
}
`;

/** One worker and its next message, or the error or exit that ended it first. */
function listen(worker: Worker) {
  let pending: { resolve: (v: unknown) => void; reject: (e: Error) => void } | null = null;
  let failure: Error | null = null;
  const fail = (e: Error) => {
    failure = e;
    pending?.reject(e);
    pending = null;
  };
  worker.on("message", (v) => {
    pending?.resolve(v);
    pending = null;
  });
  worker.on("error", fail);
  worker.on("exit", (code) => fail(new Error(`an unshared gemm worker exited (code ${code})`)));
  return {
    worker,
    next: () =>
      new Promise<unknown>((resolve, reject) => {
        if (failure) reject(failure);
        else pending = { resolve, reject };
      }),
  };
}

/**
 * Starts `threads` workers, each with its own copy of the product `shape` (operands from
 * fillOperand, seeds 1, 2, …); `sample()` starts them at once and gives all their operations over
 * the wall time from the start to the last one's end (GFLOP/s); `checksums` holds each worker's
 * Σ C after its first product. Needs relaxed SIMD (enableRelaxedSimd() on Node 20) and a built
 * `wasm/` folder under `root`.
 */
export async function startUnshared(root: string, threads: number, shape: GemmShape, sampleMs = 20) {
  const module = new WebAssembly.Module(readFileSync(`${root}wasm/kernels-relaxed.wasm`));
  const flag = new SharedArrayBuffer(4);
  const start = new Int32Array(flag);
  const workers = Array.from({ length: threads }, (_, w) =>
    listen(new Worker(WORKER, { eval: true, workerData: { module, flag, shape, seed: w + 1, sampleMs } })),
  );
  const close = async () => {
    Atomics.store(start, 0, -1);
    Atomics.notify(start, 0);
    await Promise.all(workers.map(({ worker }) => worker.terminate()));
  };
  let ready: { calls: number; checksum: number }[];
  try {
    ready = (await Promise.all(workers.map((w) => w.next()))) as typeof ready;
  } catch (e) {
    await close();
    throw e;
  }
  const operations = ready.reduce((sum, r) => sum + r.calls * 2 * shape.M * shape.N * shape.K, 0);
  return {
    checksums: ready.map((r) => r.checksum),
    async sample(): Promise<number> {
      const done = workers.map((w) => w.next());
      const t = performance.now();
      Atomics.add(start, 0, 1);
      Atomics.notify(start, 0);
      await Promise.all(done);
      return operations / ((performance.now() - t) * 1e6);
    },
    close,
  };
}
