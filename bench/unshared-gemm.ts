// The same product run unshared: each of T threads multiplies its own operands, in its own
// memory, with the library's one-thread sgemm (wasm/kernels-relaxed.wasm), all T at once. Its
// rate is what T cores give this kernel when nothing is shared between them (no panel packed by
// another core, no item handed between threads, no wait), so that `npm run bench:gemm-threads --
// --unshared` can tell what the shared gemm loses to its sharing from what the machine itself
// loses on two busy cores (caches, memory, clock). A benchmark's instrument, not a kernel.
import { readFileSync } from "node:fs";
import { Worker } from "node:worker_threads";

export interface GemmShape {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
}

/** Runs in each worker: its own memory and operands; per sample, `calls` products, timed. */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { module, flag, shape, seed } = workerData;
const memory = new WebAssembly.Memory({ initial: 1 });
const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error("kernel abort"); } } }).exports;
const { M, N, K, transA, transB } = shape;
let top = (k.heapBase() + 63) & ~63;
const take = (bytes) => { const at = top; top = (top + bytes + 63) & ~63; return at; };
const A = take(M * K * 4), B = take(N * K * 4), C = take(M * N * 4);
const packA = take(k.PACK_A_BYTES.value), packB = take(k.PACK_B_BYTES.value), tile = take(k.TILE_BYTES.value);
memory.grow(Math.ceil((top - memory.buffer.byteLength) / 65536));
const f = new Float32Array(memory.buffer);
let s = seed;
const next = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 4294967296) - 0.5;
for (let i = 0; i < M * K; i++) f[A / 4 + i] = next();
for (let i = 0; i < N * K; i++) f[B / 4 + i] = next();
const lda = transA ? M : K, ldb = transB ? K : N;
const call = () => k.sgemm(transA, transB, M, N, K, 1, A, lda, B, ldb, 0, C, N, packA, packB, tile, 0);
for (let i = 0; i < 5; i++) call();
const t0 = performance.now();
call();
const calls = Math.max(1, Math.ceil(workerData.sampleMs / (performance.now() - t0)));
parentPort.postMessage(calls);
const start = new Int32Array(flag);
for (let n = 1; ; n++) {
  Atomics.wait(start, 0, n - 1);
  if (Atomics.load(start, 0) < 0) break;
  const t = performance.now();
  for (let c = 0; c < calls; c++) call();
  parentPort.postMessage(performance.now() - t);
}
`;

/**
 * Starts `threads` workers, each with its own copy of the product `shape`; `sample()` runs them
 * at once and gives all their operations over the time the slowest took (GFLOP/s). Needs relaxed
 * SIMD (enableRelaxedSimd() on Node 20) and a built `wasm/` folder under `root`.
 */
export async function startUnshared(root: string, threads: number, shape: GemmShape, sampleMs = 20) {
  const module = new WebAssembly.Module(readFileSync(`${root}wasm/kernels-relaxed.wasm`));
  const flag = new SharedArrayBuffer(4);
  const start = new Int32Array(flag);
  const workers = Array.from(
    { length: threads },
    (_, w) => new Worker(WORKER, { eval: true, workerData: { module, flag, shape, seed: w + 1, sampleMs } }),
  );
  const next = (w: Worker) =>
    new Promise<number>((resolve, reject) => {
      w.once("message", resolve);
      w.once("error", reject);
    });
  const calls = await Promise.all(workers.map(next));
  const flops = 2 * shape.M * shape.N * shape.K;
  return {
    async sample(): Promise<number> {
      const done = workers.map(next);
      Atomics.add(start, 0, 1);
      Atomics.notify(start, 0);
      const ms = await Promise.all(done);
      const slowest = Math.max(...ms);
      return calls.reduce((sum, c) => sum + c * flops, 0) / (slowest * 1e6);
    },
    async close(): Promise<void> {
      Atomics.store(start, 0, -1);
      Atomics.notify(start, 0);
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
