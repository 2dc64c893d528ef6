// The float32 WebAssembly SIMD backend: the Backend interface over the kernels (kernels.ts), their
// memory (memory.ts) and threads (threads.ts). Each kind of pass lives in its own module: products
// (gemm.ts), element-wise passes and reductions (elementwise.ts), sparse products (sparse.ts), the
// optimisers' vectors (vectors.ts); this class only hands them its parts.
import { ArgumentError, checkNumber } from "../../errors.ts";
import { getPlatform } from "../../platform/platform.ts";
import { type Backend, checkFromValues, contract, gemmBiasSigmoidThenDelta } from "../backend.ts";
import type { Matrix } from "../matrix.ts";
import type { SparseOps } from "../sparse.ts";
import type { VectorOps } from "../vectors.ts";
import type { WasmContext } from "./context.ts";
import * as pass from "./elementwise.ts";
import { gemm } from "./gemm.ts";
import { type KernelExports, loadKernels } from "./kernels.ts";
import { MAX_PAGES, PAGE, WasmMemory } from "./memory.ts";
import { wasmSparseOps } from "./sparse.ts";
import { kernelBufferBytes, WasmThreads } from "./threads.ts";
import { wasmVectorOps } from "./vectors.ts";

/** The least `maxMemory`; a backend with threads needs its buffers too (see kernelBufferBytes). */
const MIN_MEMORY = 16 * 2 ** 20;

export interface WasmBackendOptions {
  /**
   * Threads for large products and element-wise passes, the calling thread included (default: the
   * cores present in Node, and in a cross-origin isolated page; 1 elsewhere on the web). 1 runs
   * everything on the calling thread with a private memory.
   */
  threads?: number;
  /**
   * Use the relaxed-SIMD build (fused multiply-add): "auto" (default) where the engine accepts it.
   * Node 20 accepts it only with `--experimental-wasm-relaxed-simd` (`enableRelaxedSimd()` sets it);
   * Node 22 and later, and current browsers, have it on.
   */
  relaxedSimd?: boolean | "auto";
  /**
   * The most bytes the WebAssembly memory may grow to (default and at most 4 GiB, what 32-bit
   * addresses reach; at least 16 MiB, and 4.2 MiB per thread for the kernels' packing buffers).
   * Matrices beyond it raise OutOfMemoryError; L-BFGS's history vectors (`vectors.zeros`) then go
   * to JavaScript's memory instead.
   */
  maxMemory?: number;
}

/** Creates the float32 WebAssembly SIMD backend. */
export async function createWasmBackend(options: WasmBackendOptions = {}): Promise<WasmBackend> {
  const platform = await getPlatform();
  const threads = checkNumber("threads", options.threads ?? platform.defaultThreads(), {
    integer: true,
    min: 1,
    max: 256,
  });
  const maxPages = Math.floor(
    checkNumber("maxMemory", options.maxMemory ?? MAX_PAGES * PAGE, { min: MIN_MEMORY, max: MAX_PAGES * PAGE }) / PAGE,
  );
  const { memory, module, exports } = await loadKernels(threads, maxPages, options.relaxedSimd ?? "auto");
  const need = await kernelBufferBytes(exports, threads);
  if (need > maxPages * PAGE) {
    const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20).toLocaleString()} MiB`;
    throw new ArgumentError(
      `maxMemory: ${mib(maxPages * PAGE)} does not hold the kernels' buffers for ${threads} threads (${mib(need)}); give at least ${mib(need + MIN_MEMORY)} or fewer threads`,
    );
  }
  const backend = new WasmBackend(memory, exports, maxPages * PAGE);
  if (threads > 1) await backend.startThreads(module, threads - 1);
  return backend;
}

/**
 * Float32 kernels in WebAssembly SIMD. Matrices live in the module's one linear memory, so a
 * kernel call copies nothing; memory is handed out by a first-fit allocator and grows on demand.
 */
export class WasmBackend implements Backend<Float32Array> {
  readonly name = "wasm";
  readonly dtype = "float32";
  /** True when the fused multiply-add (relaxed SIMD) build is running. */
  readonly fma: boolean;
  readonly #cx: WasmContext;
  /**
   * SIMD dot and axpy for an optimiser, with its vectors in this memory (`zeros`, `release`). Only
   * over a shared memory: growing a private one detaches every view of it, a shared one's stay.
   */
  readonly vectors?: VectorOps;
  /** Products with a sparse data matrix, its arrays in this memory (assembly/kernels.ts, sparseMulT). */
  readonly sparse: SparseOps<Float32Array>;

  constructor(memory: WebAssembly.Memory, exports: KernelExports, maxBytes = MAX_PAGES * PAGE) {
    this.fma = exports.usesRelaxedSimd() !== 0;
    const heap = new WasmMemory(memory, exports.heapBase(), maxBytes);
    this.#cx = { k: exports, memory: heap, threads: new WasmThreads(exports, heap) };
    if (heap.shared) this.vectors = wasmVectorOps(this.#cx);
    this.sparse = wasmSparseOps(this.#cx);
  }

  /** Threads that run kernels, the calling thread included. */
  get threads(): number {
    return this.#cx.threads.size;
  }

  /** Starts `count` worker threads over this backend's (shared) memory. */
  async startThreads(module: WebAssembly.Module, count: number): Promise<void> {
    await this.#cx.threads.start(module, count);
  }

  /** Stops the worker threads (the backend keeps working on the calling thread). */
  async dispose(): Promise<void> {
    await this.#cx.threads.dispose();
  }

  /** Bytes of WebAssembly memory in use by matrices and kernel buffers (not yet given back). */
  get bytesInUse(): number {
    return this.#cx.memory.bytesInUse;
  }

  zeros(rows: number, cols: number): Matrix<Float32Array> {
    contract.zeros(rows, cols);
    return this.#cx.memory.zeros(rows, cols);
  }

  fromValues(rows: number, cols: number, values: ArrayLike<number>): Matrix<Float32Array> {
    checkFromValues(rows, cols, values);
    const m = this.zeros(rows, cols);
    m.data.set(values);
    return m;
  }

  free(m: Matrix<Float32Array>): void {
    contract.free(m, this.dtype);
    this.#cx.memory.free(m);
  }

  gemm(
    transA: boolean,
    transB: boolean,
    alpha: number,
    A: Matrix<Float32Array>,
    B: Matrix<Float32Array>,
    beta: number,
    C: Matrix<Float32Array>,
  ): void {
    contract.gemm(this.dtype, transA, transB, alpha, A, B, beta, C);
    gemm(this.#cx, transA, transB, alpha, A, B, beta, C);
  }

  /** out = σ(A·Wᵀ + 1·bᵀ): the sigmoid applied by the product's kernel as it stores each tile. */
  gemmBiasSigmoid(
    A: Matrix<Float32Array>,
    W: Matrix<Float32Array>,
    b: Matrix<Float32Array>,
    out: Matrix<Float32Array>,
  ): void {
    contract.gemmBiasSigmoid(this.dtype, A, W, b, out);
    gemm(this.#cx, false, true, 1, A, W, 0, out, this.#cx.memory.address("b", b));
  }

  biasSigmoid(Z: Matrix<Float32Array>, b: Matrix<Float32Array>, out: Matrix<Float32Array>): void {
    contract.biasSigmoid(this.dtype, Z, b, out);
    pass.biasSigmoid(this.#cx, Z, b, out);
  }

  sigmoidGradMul(A: Matrix<Float32Array>, D: Matrix<Float32Array>, out: Matrix<Float32Array>): void {
    contract.sigmoidGradMul(this.dtype, A, D, out);
    pass.sigmoidGradMul(this.#cx, A, D, out);
  }

  addRowSigmoidGradMul(D: Matrix<Float32Array>, s: Matrix<Float32Array>, A: Matrix<Float32Array>): void {
    contract.addRowSigmoidGradMul(this.dtype, D, s, A);
    pass.addRowSigmoidGradMul(this.#cx, D, s, A);
  }

  squaredErrorDelta(
    A3: Matrix<Float32Array>,
    X: Matrix<Float32Array>,
    delta: Matrix<Float32Array>,
    sums?: Matrix<Float32Array>,
    scale = 1,
  ): number {
    contract.squaredErrorDelta(this.dtype, A3, X, delta, sums, scale);
    return pass.squaredErrorDelta(this.#cx, A3, X, delta, sums, scale);
  }

  reconstructionDelta(
    H: Matrix<Float32Array>,
    W: Matrix<Float32Array>,
    b: Matrix<Float32Array>,
    X: Matrix<Float32Array>,
    delta: Matrix<Float32Array>,
    sums: Matrix<Float32Array>,
    scale: number,
  ): number {
    contract.reconstructionDelta(this.dtype, H, W, b, X, delta, sums, scale);
    return gemmBiasSigmoidThenDelta(this, H, W, b, X, delta, sums, scale);
  }

  softmaxRows(P: Matrix<Float32Array>, labels: Int32Array): number {
    contract.softmaxRows(this.dtype, P, labels);
    return pass.softmaxRows(this.#cx, P, labels);
  }

  colSums(A: Matrix<Float32Array>, scale: number, out: Matrix<Float32Array>): void {
    contract.colSums(this.dtype, A, scale, out);
    pass.colSums(this.#cx, A, scale, out);
  }

  sumSquares(x: Matrix<Float32Array>): number {
    contract.sumSquares(this.dtype, x);
    return pass.sumSquares(this.#cx, x);
  }

  dot(x: Matrix<Float32Array>, y: Matrix<Float32Array>): number {
    contract.dot(this.dtype, x, y);
    return pass.dot(this.#cx, x, y);
  }

  axpy(alpha: number, x: Matrix<Float32Array>, y: Matrix<Float32Array>): void {
    contract.axpy(this.dtype, alpha, x, y);
    pass.axpy(this.#cx, alpha, x, y);
  }

  gatherRows(A: Matrix<Float32Array>, rows: Int32Array, out: Matrix<Float32Array>): void {
    contract.gatherRows(this.dtype, A, rows, out);
    pass.gatherRows(this.#cx, A, rows, out);
  }
}
