import { ArgumentError, checkNumber, StackaeError } from "../errors.ts";
import type { VectorOps } from "../optim/types.ts";
import { axpy as jsAxpy, dot as jsDot, sumAbs as jsSumAbs } from "../optim/vector.ts";
import { getPlatform } from "../platform/platform.ts";
import {
  type Backend,
  checkClassLabels,
  checkGatherRows,
  checkRow,
  checkSize,
  gemmBiasSigmoidThenDelta,
  gemmDims,
} from "./backend.ts";
import { checkSameShape, type FloatArray, Matrix, type Storage } from "./matrix.ts";
import { mulTransposedDims, type SparseMatrix, type SparseOps, transposedMulDims } from "./sparse.ts";
import type { PoolFunction, ThreadPool } from "./thread-pool.ts";

/** The exports of assembly/kernels.ts (addresses are byte offsets into the memory). */
interface KernelExports {
  PACK_A_BYTES: WebAssembly.Global;
  PACK_B_BYTES: WebAssembly.Global;
  TILE_BYTES: WebAssembly.Global;
  BLOCK_ROWS: WebAssembly.Global;
  heapBase(): number;
  usesRelaxedSimd(): number;
  sgemm(
    transA: number,
    transB: number,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: number,
    lda: number,
    B: number,
    ldb: number,
    beta: number,
    C: number,
    ldc: number,
    packA: number,
    packB: number,
    tile: number,
    bias: number,
  ): void;
  sgemmChunked(counter: number, chunk: number, byRows: number, ...args: Parameters<KernelExports["sgemm"]>): void;
  biasSigmoid(Z: number, b: number, rows: number, cols: number, out: number): void;
  sigmoidGradMul(A: number, D: number, n: number, out: number): void;
  addRowSigmoidGradMul(D: number, s: number, A: number, rows: number, cols: number): void;
  squaredErrorDelta(A3: number, X: number, n: number, delta: number): number;
  colSumsRange(A: number, r0: number, r1: number, cols: number, partial: number, total: number): void;
  colSumsOut(totals: number, parts: number, stride: number, cols: number, scale: number, out: number): void;
  squaredErrorDeltaRange(
    A3: number,
    X: number,
    r0: number,
    r1: number,
    cols: number,
    delta: number,
    partial: number,
    total: number,
  ): number;
  sumSquares(x: number, n: number): number;
  softmaxRows(P: number, labels: number, rows: number, k: number): number;
  dot(x: number, y: number, n: number): number;
  axpy(alpha: number, x: number, y: number, n: number): void;
  sumAbs(x: number, n: number): number;
  copyRows(src: number, n: number, list: number, i0: number, i1: number, dst: number): void;
  adamRange(
    x: number,
    g: number,
    m: number,
    v: number,
    i0: number,
    i1: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    stepPerM: number,
    perV: number,
  ): void;
  sgdRange(
    x: number,
    g: number,
    v: number,
    i0: number,
    i1: number,
    momentum: number,
    rate: number,
    nesterov: number,
  ): void;
  twoLoop(
    part: number,
    parts: number,
    g: number,
    sList: number,
    yList: number,
    rho: number,
    k: number,
    hDiag: number,
    d: number,
    n: number,
    sync: number,
    alpha: number,
  ): void;
  sparseMulT(
    r0: number,
    r1: number,
    rowStart: number,
    colIndex: number,
    values: number,
    Wt: number,
    h: number,
    Z: number,
    bias: number,
  ): void;
  countNonZeros(a: number, n: number): number;
  csrFill(a: number, rows: number, cols: number, rowStart: number, colIndex: number, values: number): void;
  columnBlocks(
    rowStart: number,
    colIndex: number,
    values: number,
    rows: number,
    n: number,
    colStart: number,
    row: number,
    blockValues: number,
    next: number,
  ): void;
  sparseTMulBlocks(
    r0: number,
    r1: number,
    c0: number,
    c1: number,
    n: number,
    colStart: number,
    row: number,
    blockValues: number,
    D: number,
    h: number,
    Gt: number,
  ): void;
  transposeSum(A: number, parts: number, stride: number, rows: number, cols: number, alpha: number, out: number): void;
}

const PAGE = 65536;
const ALIGN = 64;
/** 4 GiB of 64 KiB pages: the most a 32-bit WebAssembly memory can address. */
const MAX_PAGES = 65536;
/** The least `maxMemory`; a backend with threads needs its buffers too (see kernelBufferBytes). */
const MIN_MEMORY = 16 * 2 ** 20;
/**
 * What `vectors.zeros` leaves free of the memory's maximum for the matrices and scratch that a
 * cost evaluation allocates and frees again; past it, vectors go to JavaScript's memory.
 */
const VECTOR_HEADROOM = 128 * 2 ** 20;

/** Raised when the WebAssembly memory cannot grow to hold a requested matrix. */
export class OutOfMemoryError extends StackaeError {
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_OUT_OF_MEMORY", message, options);
  }
}

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
  const want = options.relaxedSimd ?? "auto";
  const platform = await getPlatform();
  const readKernel = (name: string) => platform.readKernel(name);
  const threads = checkNumber("threads", options.threads ?? platform.defaultThreads(), {
    integer: true,
    min: 1,
    max: 256,
  });
  const maxPages = Math.floor(
    checkNumber("maxMemory", options.maxMemory ?? MAX_PAGES * PAGE, { min: MIN_MEMORY, max: MAX_PAGES * PAGE }) / PAGE,
  );
  const shared = threads > 1 ? "-shared" : "";
  const relaxed = await readKernel(`kernels-relaxed${shared}.wasm`);
  const canRelax = WebAssembly.validate(relaxed);
  if (want === true && !canRelax) {
    throw new ArgumentError(
      "relaxedSimd: true needs an engine with relaxed SIMD; on Node 20 call enableRelaxedSimd() first, or start node with --experimental-wasm-relaxed-simd",
    );
  }
  const bytes = want !== false && canRelax ? relaxed : await readKernel(`kernels-simd${shared}.wasm`);
  const memory = new WebAssembly.Memory({ initial: 64, maximum: maxPages, shared: threads > 1 });
  const module = await WebAssembly.compile(bytes);
  const instance = await WebAssembly.instantiate(module, { env: { memory, abort: wasmAbort } });
  const exports = instance.exports as unknown as KernelExports;
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
 * Bytes the kernels' own buffers take (as the constructor and startThreads allocate them): the
 * static data, each thread's packing buffers, the calling thread's counter and each worker's
 * control block.
 */
async function kernelBufferBytes(k: KernelExports, threads: number): Promise<number> {
  const buffers = [k.PACK_A_BYTES, k.PACK_B_BYTES, k.TILE_BYTES].reduce((sum, g) => sum + align(g.value as number), 0);
  const control = threads > 1 ? align((await import("./thread-pool.ts")).CONTROL_BYTES) : 0;
  return align(k.heapBase()) + buffers + ALIGN + (threads - 1) * (buffers + control);
}

function wasmAbort(): never {
  throw new StackaeError("ERR_WASM_ABORT", "the WebAssembly kernel aborted");
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
  readonly #memory: WebAssembly.Memory;
  readonly #k: KernelExports;
  readonly #storage: Storage<Float32Array>;
  #heap: Float32Array;
  /** Byte offsets: first free byte above every allocation, and the free blocks below it. */
  #top: number;
  #free: { start: number; bytes: number }[] = [];
  #allocated = new Map<number, number>();
  readonly #packA: number;
  readonly #packB: number;
  readonly #tile: number;
  /** The i32 that threads claim gemm chunks from (sgemmChunked). */
  readonly #counter: number;
  #scratch = 0;
  #scratchBytes = 0;
  #pool: ThreadPool | null = null;
  /** Pack buffers and tile of each worker thread (the calling thread's are #packA, #packB, #tile). */
  #workerBuffers: { packA: number; packB: number; tile: number }[] = [];
  /** Every SharedArrayBuffer of the memory that a `vectors.zeros` view was made on (one per size). */
  readonly #vectorBuffers = new WeakSet<ArrayBufferLike>();
  /** The vectors that `vectors.zeros` made in JavaScript's memory, the WebAssembly memory being full. */
  readonly #outsideVectors = new WeakSet<Float32Array | Float64Array>();
  /** The most bytes the memory may grow to. */
  readonly #maxBytes: number;
  /**
   * SIMD dot and axpy for an optimiser, with its vectors in this memory (`zeros`, `release`). Only
   * over a shared memory: growing a private one detaches every view of it, a shared one's stay.
   */
  readonly vectors?: VectorOps;
  /** Products with a sparse data matrix, its arrays in this memory (assembly/kernels.ts, sparseMulT). */
  readonly sparse: SparseOps<Float32Array>;

  constructor(memory: WebAssembly.Memory, exports: KernelExports, maxBytes = MAX_PAGES * PAGE) {
    this.#memory = memory;
    this.#maxBytes = maxBytes;
    this.#k = exports;
    this.fma = exports.usesRelaxedSimd() !== 0;
    this.#heap = new Float32Array(memory.buffer);
    this.#storage = { array: () => this.#view() };
    this.#top = align(exports.heapBase());
    this.#packA = this.#alloc(exports.PACK_A_BYTES.value as number);
    this.#packB = this.#alloc(exports.PACK_B_BYTES.value as number);
    this.#tile = this.#alloc(exports.TILE_BYTES.value as number);
    this.#counter = this.#alloc(ALIGN);
    if (memory.buffer instanceof SharedArrayBuffer) this.vectors = this.#vectorOps();
    this.sparse = this.#sparseOps();
  }

  #sparseOps(): SparseOps<Float32Array> {
    const own = (S: SparseMatrix): WasmCsr => {
      if (!(S instanceof WasmCsr) || S.owner !== this) {
        throw new ArgumentError("this sparse matrix was not made by this backend's sparse.fromDense");
      }
      if (S.rowStart < 0) throw new ArgumentError("this sparse matrix has been freed");
      return S;
    };
    return {
      // A batch of 256 MNIST images, first autoencoder, 2 threads (scratch timing): 5.93 ms an
      // evaluation with a copy of the batch taken each time (fromDense 0.32 ms; 0.18 ms since
      // csrFill moves four values at a time) against 6.12-6.49 dense.
      perBatch: true,
      nonZeros: (A) => this.#k.countNonZeros(this.#own("A", A), A.size),
      fromDense: (A) => {
        const a = this.#own("A", A);
        const nnz = this.#k.countNonZeros(a, A.size);
        // csrFill's last store may fall up to four past the non-zeros: hence nnz + 4.
        const rowStart = this.#alloc((A.rows + 1) * 4);
        const colIndex = this.#alloc((nnz + 4) * 4);
        const values = this.#alloc((nnz + 4) * 4);
        this.#k.csrFill(a, A.rows, A.cols, rowStart, colIndex, values);
        // The non-zeros again in column order within blocks of rows, for Dᵀ·S (transposedMul).
        const blockRows = this.#k.BLOCK_ROWS.value as number;
        const starts = Math.ceil(A.rows / blockRows) * (A.cols + 1);
        const colStart = this.#alloc(starts * 4);
        const row = this.#alloc(nnz * 2);
        const blockValues = this.#alloc(nnz * 4);
        const next = this.#alloc(A.cols * 4);
        this.#k.columnBlocks(rowStart, colIndex, values, A.rows, A.cols, colStart, row, blockValues, next);
        this.#release(next);
        return new WasmCsr(this, A.rows, A.cols, nnz, rowStart, colIndex, values, colStart, row, blockValues);
      },
      mulTransposed: (S, W, C, bias) => {
        const s = own(S);
        const [m, n, h] = mulTransposedDims(S, W, C, bias);
        const w = this.#own("W", W);
        const c = this.#own("C", C);
        const b = bias ? this.#own("bias", bias) : 0;
        // Wᵀ (n × h) so that each non-zero S[i][k] reads one contiguous row k; h·n is small.
        const wt = this.#alloc(n * h * 4);
        try {
          this.#k.transposeSum(w, 1, 0, h, n, 1, wt);
          const parts = rowsByWork(s, this.#view(), this.#ways(s.nnz * h, 1 << 20)).map(([r0, r1]) => [
            r0,
            r1,
            s.rowStart,
            s.colIndex,
            s.values,
            wt,
            h,
            c,
            b,
          ]);
          if (parts.length === 1) this.#k.sparseMulT(0, m, s.rowStart, s.colIndex, s.values, wt, h, c, b);
          else this.#parallel("sparseMulT", parts);
        } finally {
          this.#release(wt);
        }
      },
      transposedMul: (alpha, D, S, C) => {
        const s = own(S);
        const [, n, h] = transposedMulDims(D, S, C);
        const d = this.#own("D", D);
        const c = this.#own("C", C);
        // Each thread adds whole column blocks into its own n × h sum, then one pass adds them
        // up, transposed and scaled, into C. Where S has fewer blocks of BLOCK_ROWS rows than
        // threads (a minibatch of 256 rows is one), the threads split D's columns instead, each
        // writing its own columns of one sum: 256 MNIST rows took 369 µs on 2 threads where one
        // took 458 (the kernel alone). On all 60,000 rows the row split is the faster: 61 ms
        // against 67 (scratch timings, 2026-12-02).
        const blockRows = this.#k.BLOCK_ROWS.value as number;
        const ways = this.#ways(s.nnz * h, 1 << 20);
        const byColumns = Math.ceil(s.rows / blockRows) < ways;
        const ranges: [r0: number, r1: number, c0: number, c1: number][] = byColumns
          ? split(h, ways, 4).map(([c0, width]) => [0, s.rows, c0, c0 + width])
          : rowsByWork(s, this.#view(), ways, blockRows).map(([r0, r1]) => [r0, r1, 0, h]);
        const count = byColumns ? 1 : ranges.length;
        const stride = align(n * h * 4);
        const sums = this.#alloc(stride * count);
        try {
          this.#view().fill(0, sums / 4, (sums + stride * count) / 4);
          const parts = ranges.map(([r0, r1, c0, c1], q) => [
            r0,
            r1,
            c0,
            c1,
            n,
            s.colStart,
            s.row,
            s.blockValues,
            d,
            h,
            sums + (byColumns ? 0 : q) * stride,
          ]);
          if (parts.length === 1) {
            this.#k.sparseTMulBlocks(...(parts[0] as Parameters<KernelExports["sparseTMulBlocks"]>));
          } else this.#parallel("sparseTMulBlocks", parts);
          this.#k.transposeSum(sums, count, stride, n, h, alpha, c);
        } finally {
          this.#release(sums);
        }
      },
      free: (S) => {
        const s = own(S);
        for (const start of [s.rowStart, s.colIndex, s.values, s.colStart, s.row, s.blockValues]) this.#release(start);
        s.rowStart = -1;
      },
    };
  }

  #vectorOps(): VectorOps {
    const here = (v: FloatArray): boolean => v instanceof Float32Array && this.#vectorBuffers.has(v.buffer);
    const here64 = (v: FloatArray): boolean => v instanceof Float64Array && this.#vectorBuffers.has(v.buffer);
    /** Runs an update kernel over [0, n) split across the threads from 2^15 elements each. */
    const update = (fn: "adamRange" | "sgdRange", n: number, args: (i0: number, i1: number) => number[]) => {
      const parts = split(n, this.#ways(n, 1 << 15), 4).map(([i0, count]) => args(i0, i0 + count));
      if (parts.length === 1) (this.#k[fn] as (...a: number[]) => void)(...(parts[0] as number[]));
      else this.#parallel(fn, parts);
    };
    return {
      dot: (x, y) => (here(x) && here(y) ? this.#k.dot(x.byteOffset, y.byteOffset, x.length) : jsDot(x, y)),
      sumAbs: (x) => (here(x) ? this.#k.sumAbs(x.byteOffset, x.length) : jsSumAbs(x)),
      axpy: (alpha, x, y) => {
        if (here(x) && here(y)) this.#k.axpy(alpha, x.byteOffset, y.byteOffset, x.length);
        else jsAxpy(alpha, x, y);
      },
      twoLoop: (g, S, Y, rho, hDiag, d) => {
        const n = g.length;
        const mine = (v: FloatArray) => here(v) && v.length === n;
        if (
          !(mine(g) && mine(d) && S.every(mine) && Y.every(mine) && Y.length === S.length && rho.length === S.length)
        ) {
          return false;
        }
        this.#twoLoop(g as Float32Array, S as Float32Array[], Y as Float32Array[], rho, hDiag, d as Float32Array);
        return true;
      },
      adamStep: (x, g, m, v, c) => {
        const n = x.length;
        if (!(here(x) && here(g) && here64(m) && here64(v) && g.length === n && m.length === n && v.length === n)) {
          return false;
        }
        const [xs, gs, ms, vs] = [x.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset];
        update("adamRange", n, (i0, i1) => [xs, gs, ms, vs, i0, i1, c.beta1, c.beta2, c.epsilon, c.stepPerM, c.perV]);
        return true;
      },
      sgdStep: (x, g, v, c) => {
        const n = x.length;
        if (!(here(x) && here(g) && here(v) && g.length === n && v.length === n)) return false;
        const [xs, gs, vs] = [x.byteOffset, g.byteOffset, v.byteOffset];
        update("sgdRange", n, (i0, i1) => [xs, gs, vs, i0, i1, c.momentum, c.rate, c.nesterov ? 1 : 0]);
        return true;
      },
      zeros: (n) => this.#vector(n, Float32Array),
      zeros64: (n) => this.#vector(n, Float64Array),
      release: (v) => {
        if (here(v) || here64(v)) this.#release(v.byteOffset);
        else if (!this.#outsideVectors.delete(v)) {
          throw new ArgumentError("vectors.release: this vector was not made by vectors.zeros or vectors.zeros64");
        }
      },
    };
  }

  /**
   * A zeroed vector for `vectors.zeros` and `zeros64`. One that does not fit (L-BFGS keeps 2 × 100
   * vectors of the parameters' size) goes in JavaScript's memory, and the optimiser's work on it
   * there: slower, where running out of memory would end the run.
   */
  #vector<T extends Float32Array | Float64Array>(n: number, type: VectorType<T>): T {
    const start = this.#alloc(n * type.BYTES_PER_ELEMENT, this.#maxBytes - VECTOR_HEADROOM);
    if (start < 0) {
      const v = new type(n);
      this.#outsideVectors.add(v);
      return v;
    }
    const buffer = this.#memory.buffer;
    this.#vectorBuffers.add(buffer);
    return new type(buffer, start, n).fill(0) as T;
  }

  /**
   * vectors.twoLoop over vectors in this memory: the pairs' offsets, ρ, the barrier and each
   * thread's α in one scratch block; the vector split across the threads from 2^15 values.
   */
  #twoLoop(
    g: Float32Array,
    S: Float32Array[],
    Y: Float32Array[],
    rho: readonly number[],
    hDiag: number,
    d: Float32Array,
  ): void {
    const k = S.length;
    const parts = this.#ways(g.length, 1 << 15);
    // [sList: k i32][yList: k i32][rho: k f64][sync: 4 i32, 2·parts f64][alpha: parts·k f64]
    const rhoAt = align(8 * k);
    const sync = rhoAt + align(8 * k);
    const alpha = sync + align(16 + 16 * parts);
    const block = this.#alloc(alpha + 8 * parts * k);
    try {
      const buffer = this.#memory.buffer;
      const offsets = new Int32Array(buffer, block, 2 * k);
      S.forEach((s, i) => {
        offsets[i] = s.byteOffset;
        offsets[k + i] = (Y[i] as Float32Array).byteOffset;
      });
      new Float64Array(buffer, block + rhoAt, k).set(rho);
      new Int32Array(buffer, block + sync, 4).fill(0);
      const args = (part: number) => [
        part,
        parts,
        g.byteOffset,
        block,
        block + 4 * k,
        block + rhoAt,
        k,
        hDiag,
        d.byteOffset,
        g.length,
        block + sync,
        block + alpha,
      ];
      if (parts === 1) this.#k.twoLoop(...(args(0) as Parameters<KernelExports["twoLoop"]>));
      else
        this.#parallel(
          "twoLoop",
          Array.from({ length: parts }, (_, part) => args(part)),
        );
    } finally {
      this.#release(block);
    }
  }

  /** Threads that run kernels, the calling thread included. */
  get threads(): number {
    return 1 + (this.#pool?.size ?? 0);
  }

  /** Starts `count` worker threads over this backend's (shared) memory. */
  async startThreads(module: WebAssembly.Module, count: number): Promise<void> {
    if (this.#pool) throw new ArgumentError("startThreads: this backend already has worker threads");
    if (!(this.#memory.buffer instanceof SharedArrayBuffer)) {
      throw new ArgumentError("startThreads: worker threads need a shared WebAssembly memory");
    }
    const { ThreadPool, CONTROL_BYTES } = await import("./thread-pool.ts");
    const controls: number[] = [];
    for (let w = 0; w < count; w++) {
      controls.push(this.#alloc(CONTROL_BYTES));
      this.#workerBuffers.push({
        packA: this.#alloc(this.#k.PACK_A_BYTES.value as number),
        packB: this.#alloc(this.#k.PACK_B_BYTES.value as number),
        tile: this.#alloc(this.#k.TILE_BYTES.value as number),
      });
    }
    this.#pool = await ThreadPool.start(module, this.#memory, controls);
  }

  /** Stops the worker threads (the backend keeps working on the calling thread). */
  async dispose(): Promise<void> {
    await this.#pool?.dispose();
    this.#pool = null;
  }

  /**
   * Runs parts[0] on the calling thread and parts[1…] on the workers, then waits for all;
   * returns the results. Each part is the argument list of `fn`.
   */
  #parallel(fn: PoolFunction, parts: number[][]): number[] {
    const pool = this.#pool as ThreadPool;
    for (let w = 1; w < parts.length; w++) pool.post(w - 1, fn, parts[w] as number[]);
    const results = [(this.#k[fn] as (...a: number[]) => number)(...(parts[0] as number[])) ?? 0];
    for (let w = 1; w < parts.length; w++) results.push(pool.wait(w - 1));
    return results;
  }

  /** How many ways to split `work` units of work (1 when small or single-threaded). */
  #ways(work: number, minPerThread: number): number {
    return this.#pool ? Math.max(1, Math.min(this.threads, Math.floor(work / minPerThread))) : 1;
  }

  /** Bytes of WebAssembly memory in use by matrices and kernel buffers (not yet given back). */
  get bytesInUse(): number {
    let n = 0;
    for (const bytes of this.#allocated.values()) n += bytes;
    return n;
  }

  #view(): Float32Array {
    if (this.#heap.buffer !== this.#memory.buffer) this.#heap = new Float32Array(this.#memory.buffer);
    return this.#heap;
  }

  /**
   * The byte offset of `bytes` of memory. Grows the memory where no free block fits: past `limit`
   * bytes (a soft limit below the maximum), or where it cannot grow, it returns −1 when given a
   * limit, and raises OutOfMemoryError when not.
   */
  #alloc(bytes: number, limit?: number): number {
    const size = Math.max(ALIGN, align(bytes));
    let start = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const block = this.#free[i] as { start: number; bytes: number };
      if (block.bytes >= size) {
        start = block.start;
        if (block.bytes === size) this.#free.splice(i, 1);
        else {
          block.start += size;
          block.bytes -= size;
        }
        break;
      }
    }
    if (start < 0) {
      start = this.#top;
      const end = start + size;
      const have = this.#memory.buffer.byteLength;
      if (limit !== undefined && end > limit) return -1;
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE);
        try {
          this.#memory.grow(pages);
        } catch (cause) {
          if (limit !== undefined) return -1;
          throw new OutOfMemoryError(
            `WebAssembly memory cannot grow by ${pages} pages to ${Math.ceil(end / 2 ** 20).toLocaleString()} MiB (its limit is ${(this.#maxBytes / 2 ** 20).toLocaleString()} MiB): use fewer training examples or smaller layers, or the native backend (--backend native, or createBackend("native")), which has no such limit`,
            { cause },
          );
        }
      }
      this.#top = end;
    }
    this.#allocated.set(start, size);
    return start;
  }

  #release(start: number): void {
    const size = this.#allocated.get(start);
    if (size === undefined)
      throw new ArgumentError(`free: no allocation starts at byte ${start} (freed twice, or a view?)`);
    this.#allocated.delete(start);
    this.#free.push({ start, bytes: size });
    this.#free.sort((a, b) => a.start - b.start);
    const merged: { start: number; bytes: number }[] = [];
    for (const block of this.#free) {
      const last = merged[merged.length - 1];
      if (last && last.start + last.bytes === block.start) last.bytes += block.bytes;
      else merged.push({ ...block });
    }
    const last = merged[merged.length - 1];
    if (last && last.start + last.bytes === this.#top) {
      this.#top = last.start;
      merged.pop();
    }
    this.#free = merged;
  }

  /** A scratch area of at least `bytes`, reused across calls. */
  #scratchOf(bytes: number): number {
    if (bytes > this.#scratchBytes) {
      if (this.#scratchBytes > 0) this.#release(this.#scratch);
      this.#scratch = this.#alloc(bytes);
      this.#scratchBytes = align(bytes);
    }
    return this.#scratch;
  }

  zeros(rows: number, cols: number): Matrix<Float32Array> {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new ArgumentError(`zeros: dimensions must be non-negative integers, got ${rows} × ${cols}`);
    }
    const start = this.#alloc(rows * cols * 4);
    const m = new Matrix(rows, cols, this.#storage, start / 4);
    m.data.fill(0);
    return m;
  }

  fromValues(rows: number, cols: number, values: ArrayLike<number>): Matrix<Float32Array> {
    if (values.length !== rows * cols) {
      throw new ArgumentError(
        `fromValues: a ${rows} × ${cols} matrix needs ${rows * cols} values, got ${values.length}`,
      );
    }
    const m = this.zeros(rows, cols);
    m.data.set(values);
    return m;
  }

  free(m: Matrix<Float32Array>): void {
    this.#own("m", m);
    this.#release(m.offset * 4);
  }

  /** The byte address of a matrix, after checking that it lives in this backend's memory. */
  #own(name: string, m: Matrix): number {
    if (m.storage !== this.#storage) {
      throw new ArgumentError(
        `${name} (${m.rows} × ${m.cols}) is not in the WebAssembly memory: make it with backend.zeros() or backend.fromValues()`,
      );
    }
    return m.offset * 4;
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
    this.#gemm(transA, transB, alpha, A, B, beta, C, 0);
  }

  /** out = σ(A·Wᵀ + 1·bᵀ): the sigmoid applied by the product's kernel as it stores each tile. */
  gemmBiasSigmoid(
    A: Matrix<Float32Array>,
    W: Matrix<Float32Array>,
    b: Matrix<Float32Array>,
    out: Matrix<Float32Array>,
  ): void {
    gemmDims(false, true, A, W, out);
    checkRow("b", b, out.cols);
    this.#gemm(false, true, 1, A, W, 0, out, this.#own("b", b));
  }

  /** gemm; with a bias row (its byte address, else 0), then C = σ(C + 1·biasᵀ) in the same pass. */
  #gemm(
    transA: boolean,
    transB: boolean,
    alpha: number,
    A: Matrix<Float32Array>,
    B: Matrix<Float32Array>,
    beta: number,
    C: Matrix<Float32Array>,
    bias: number,
  ): void {
    const [M, N, K] = gemmDims(transA, transB, A, B, C);
    const a = this.#own("A", A);
    const b = this.#own("B", B);
    const c = this.#own("C", C);
    const [lda, ldb, ldc] = [A.cols, B.cols, C.cols];
    const ta = transA ? 1 : 0;
    const tb = transB ? 1 : 0;
    // Split by rows of C, or by columns when C has fewer rows than columns (e.g. Δ2ᵀ·X, 200 × 784
    // with K = 60000). Each part is the same product on offset pointers; small products stay here.
    const ways = this.#ways(M * N * K, 1 << 22);
    if (ways === 1) {
      this.#k.sgemm(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, this.#packA, this.#packB, this.#tile, bias);
      return;
    }
    // Split by rows of C, or by columns when C has fewer rows than columns (Δ2ᵀ·X, 200 × 784 with
    // K = 60000), into chunks that the threads claim in turn: four per thread where chunks stay
    // at least MIN_CHUNK rows or columns deep (each chunk packs the whole other operand again).
    const byRows = M >= N;
    const unit = byRows ? 4 : 8;
    const total = byRows ? M : N;
    const chunk = Math.ceil(Math.max(total / (ways * 4), Math.min(total / ways, MIN_CHUNK)) / unit) * unit;
    this.#view()[this.#counter / 4] = 0; // +0.0 has the bits of the i32 0: no new view per call
    const parts: number[][] = [];
    for (let w = 0; w < ways; w++) {
      const buf =
        w === 0
          ? { packA: this.#packA, packB: this.#packB, tile: this.#tile }
          : (this.#workerBuffers[w - 1] as { packA: number; packB: number; tile: number });
      parts.push([
        this.#counter,
        chunk,
        byRows ? 1 : 0,
        ta,
        tb,
        M,
        N,
        K,
        alpha,
        a,
        lda,
        b,
        ldb,
        beta,
        c,
        ldc,
        buf.packA,
        buf.packB,
        buf.tile,
        bias,
      ]);
    }
    this.#parallel("sgemmChunked", parts);
  }

  biasSigmoid(Z: Matrix<Float32Array>, b: Matrix<Float32Array>, out: Matrix<Float32Array>): void {
    checkSameShape("Z", Z, "out", out);
    checkRow("b", b, Z.cols);
    const [z, bias, o] = [this.#own("Z", Z), this.#own("b", b), this.#own("out", out)];
    const parts = split(Z.rows, this.#ways(Z.size, 1 << 18), 1).map(([r, n]) => [
      z + r * Z.cols * 4,
      bias,
      n,
      Z.cols,
      o + r * Z.cols * 4,
    ]);
    if (parts.length === 1) this.#k.biasSigmoid(z, bias, Z.rows, Z.cols, o);
    else this.#parallel("biasSigmoid", parts);
  }

  sigmoidGradMul(A: Matrix<Float32Array>, D: Matrix<Float32Array>, out: Matrix<Float32Array>): void {
    checkSize("A", A, "D", D);
    checkSize("A", A, "out", out);
    const [a, d, o] = [this.#own("A", A), this.#own("D", D), this.#own("out", out)];
    const parts = split(A.size, this.#ways(A.size, 1 << 18), 4).map(([i, n]) => [a + i * 4, d + i * 4, n, o + i * 4]);
    if (parts.length === 1) this.#k.sigmoidGradMul(a, d, A.size, o);
    else this.#parallel("sigmoidGradMul", parts);
  }

  addRowSigmoidGradMul(D: Matrix<Float32Array>, s: Matrix<Float32Array>, A: Matrix<Float32Array>): void {
    checkSameShape("D", D, "A", A);
    checkRow("s", s, D.cols);
    const [d, sv, a] = [this.#own("D", D), this.#own("s", s), this.#own("A", A)];
    const parts = split(D.rows, this.#ways(D.size, 1 << 18), 1).map(([r, n]) => [
      d + r * D.cols * 4,
      sv,
      a + r * D.cols * 4,
      n,
      D.cols,
    ]);
    if (parts.length === 1) this.#k.addRowSigmoidGradMul(d, sv, a, D.rows, D.cols);
    else this.#parallel("addRowSigmoidGradMul", parts);
  }

  squaredErrorDelta(
    A3: Matrix<Float32Array>,
    X: Matrix<Float32Array>,
    delta: Matrix<Float32Array>,
    sums?: Matrix<Float32Array>,
    scale = 1,
  ): number {
    checkSameShape("A3", A3, "X", X);
    checkSameShape("A3", A3, "delta", delta);
    const [a, x, d] = [this.#own("A3", A3), this.#own("X", X), this.#own("delta", delta)];
    if (sums) {
      checkRow("sums", sums, A3.cols);
      return this.#byColumns(A3.rows, A3.cols, scale, this.#own("sums", sums), (r0, r1, partial, total) => [
        "squaredErrorDeltaRange",
        [a, x, r0, r1, A3.cols, d, partial, total],
      ]);
    }
    const parts = split(A3.size, this.#ways(A3.size, 1 << 18), 4).map(([i, n]) => [a + i * 4, x + i * 4, n, d + i * 4]);
    if (parts.length === 1) return this.#k.squaredErrorDelta(a, x, A3.size, d);
    return this.#parallel("squaredErrorDelta", parts).reduce((sum, v) => sum + v, 0);
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
    return gemmBiasSigmoidThenDelta(this, H, W, b, X, delta, sums, scale);
  }

  softmaxRows(P: Matrix<Float32Array>, labels: Int32Array): number {
    checkClassLabels(P, labels);
    const p = this.#own("P", P);
    if (P.rows === 0) return 0;
    const l = this.#scratchOf(labels.length * 4);
    new Int32Array(this.#memory.buffer, l, labels.length).set(labels);
    const k = P.cols;
    const parts = split(P.rows, this.#ways(P.size, 1 << 16), 4).map(([r, n]) => [p + r * k * 4, l + r * 4, n, k]);
    if (parts.length === 1) return this.#k.softmaxRows(p, l, P.rows, k);
    return this.#parallel("softmaxRows", parts).reduce((sum, v) => sum + v, 0);
  }

  colSums(A: Matrix<Float32Array>, scale: number, out: Matrix<Float32Array>): void {
    checkRow("out", out, A.cols);
    const a = this.#own("A", A);
    const o = this.#own("out", out);
    this.#byColumns(A.rows, A.cols, scale, o, (r0, r1, partial, total) => [
      "colSumsRange",
      [a, r0, r1, A.cols, partial, total],
    ]);
  }

  /**
   * A pass that sums columns, on every thread: each takes whole blocks of 256 rows (the kernels'
   * SUM_ROWS); `call` names its kernel and arguments for rows [r0, r1) with its own f32 partial
   * and f64 totals; the totals are then added in order into out, times scale. Returns the sum of
   * the kernel's results.
   */
  #byColumns(
    rows: number,
    cols: number,
    scale: number,
    out: number,
    call: (r0: number, r1: number, partial: number, total: number) => [PoolFunction, number[]],
  ): number {
    const ranges = split(rows, this.#ways(rows * cols, 1 << 18), 256);
    const stride = align(cols * 8) + align(cols * 4);
    const scratch = this.#scratchOf(stride * ranges.length);
    const calls = ranges.map(([r, n], q) =>
      call(r, r + n, scratch + q * stride + align(cols * 8), scratch + q * stride),
    );
    const [fn, first] = calls[0] as [PoolFunction, number[]];
    const results =
      calls.length === 1
        ? [(this.#k[fn] as (...a: number[]) => number)(...first) ?? 0]
        : this.#parallel(
            fn,
            calls.map(([, args]) => args),
          );
    this.#k.colSumsOut(scratch, ranges.length, stride, cols, scale, out);
    return results.reduce((sum, v) => sum + v, 0);
  }

  sumSquares(x: Matrix<Float32Array>): number {
    return this.#k.sumSquares(this.#own("x", x), x.size);
  }

  dot(x: Matrix<Float32Array>, y: Matrix<Float32Array>): number {
    checkSize("x", x, "y", y);
    return this.#k.dot(this.#own("x", x), this.#own("y", y), x.size);
  }

  axpy(alpha: number, x: Matrix<Float32Array>, y: Matrix<Float32Array>): void {
    checkSize("x", x, "y", y);
    this.#k.axpy(alpha, this.#own("x", x), this.#own("y", y), x.size);
  }
  /**
   * By the kernel's memory.copy, on two threads from 2^16 values: a JavaScript `set` between views
   * of a shared memory is slower than a plain one's. 256 random rows of a 60000 × 784 matrix
   * took 176–187 µs by a `set` per row (scratch timing, 2026-12-02), 90–104 µs by the kernel on
   * one thread and 45–48 µs on two (`npm run bench:steps`); rows of 200 values 51–56, 14 and 14 µs.
   */
  gatherRows(A: Matrix<Float32Array>, rows: Int32Array, out: Matrix<Float32Array>): void {
    checkGatherRows(A, rows, out);
    const [src, dst] = [this.#own("A", A), this.#own("out", out)];
    const list = this.#scratchOf(rows.length * 4);
    new Int32Array(this.#memory.buffer, list, rows.length).set(rows);
    const parts = split(rows.length, this.#ways(out.size, 1 << 16), 1).map(([i0, count]) => [
      src,
      A.cols,
      list,
      i0,
      i0 + count,
      dst,
    ]);
    if (parts.length === 1) this.#k.copyRows(src, A.cols, list, 0, rows.length, dst);
    else this.#parallel("copyRows", parts);
  }
}

/** A sparse matrix in a WasmBackend's memory: byte addresses of its CSR arrays. */
class WasmCsr implements SparseMatrix {
  constructor(
    readonly owner: WasmBackend,
    readonly rows: number,
    readonly cols: number,
    readonly nnz: number,
    /** -1 once freed. */
    public rowStart: number,
    readonly colIndex: number,
    readonly values: number,
    /** The non-zeros in column order within blocks of BLOCK_ROWS rows (assembly/kernels.ts, columnBlocks). */
    readonly colStart: number,
    readonly row: number,
    readonly blockValues: number,
  ) {}
}

/** Splits S's rows into `parts` ranges [r0, r1) of about equal non-zeros, cut at multiples of `block`. */
function rowsByWork(S: WasmCsr, heap: Float32Array, parts: number, block = 1): [number, number][] {
  if (parts <= 1) return [[0, S.rows]];
  const rowStart = new Int32Array(heap.buffer, S.rowStart, S.rows + 1);
  const out: [number, number][] = [];
  let r0 = 0;
  for (let q = 1; q <= parts && r0 < S.rows; q++) {
    let r1 = S.rows;
    if (q < parts) {
      const target = (S.nnz * q) / parts;
      r1 = r0;
      const step = (r: number) => Math.min(S.rows, r + block);
      while (r1 < S.rows && (rowStart[step(r1)] as number) <= target) r1 = step(r1);
      r1 = Math.max(r1, step(r0));
    }
    out.push([r0, r1]);
    r0 = r1;
  }
  return out;
}

/** [start, count] pieces of [0, total) in `parts` near-equal pieces whose starts are multiples of `unit`. */
/** Float32Array or Float64Array, as a constructor. */
interface VectorType<T> {
  new (n: number): T;
  new (buffer: ArrayBufferLike, start: number, n: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

function split(total: number, parts: number, unit: number): [number, number][] {
  const size = Math.ceil(total / parts / unit) * unit;
  const out: [number, number][] = [];
  for (let start = 0; start < total; start += size) out.push([start, Math.min(size, total - start)]);
  return out.length > 0 ? out : [[0, 0]];
}

/**
 * Fewest rows (columns) of C in a gemm chunk when there are enough for four chunks per thread.
 * A chunk repacks the other operand (K × N for a row chunk), which costs about as much as
 * multiplying 20 of its rows by it.
 */
const MIN_CHUNK = 1024;

function align(bytes: number): number {
  return Math.ceil(bytes / ALIGN) * ALIGN;
}
