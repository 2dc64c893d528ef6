// The optional native backend: float32 matrices in ordinary Float32Arrays, products by OpenBLAS's
// cblas_sgemm, element-wise passes and reductions in C++ (native/*.cc). Built at
// install where OpenBLAS is present (scripts/build-native.mjs); Node only.
import { ArgumentError, checkNumber, StackaeError } from "../errors.ts";
import { getPlatform } from "../platform/platform.ts";
import { allocate, type Backend, checkFromValues, contract, gemmThenBiasSigmoid } from "./backend.ts";
import { Matrix } from "./matrix.ts";
import { CsrMatrix, mulTransposedDims, type SparseMatrix, type SparseOps, transposedMulDims } from "./sparse.ts";
import { kernelVectorOps, type VectorOps } from "./vectors.ts";

/** The addon's functions; sizes are checked here before any call. */
export interface NativeKernels {
  sgemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    alpha: number,
    A: Float32Array,
    B: Float32Array,
    beta: number,
    C: Float32Array,
  ): void;
  biasSigmoid(Z: Float32Array, b: Float32Array, out: Float32Array, cols: number): void;
  sigmoidGradMul(A: Float32Array, D: Float32Array, out: Float32Array): void;
  addRowSigmoidGradMul(D: Float32Array, s: Float32Array, A: Float32Array, cols: number): void;
  squaredErrorDelta(A3: Float32Array, X: Float32Array, delta: Float32Array): number;
  squaredErrorDeltaSums(
    A3: Float32Array,
    X: Float32Array,
    delta: Float32Array,
    rows: number,
    cols: number,
    scale: number,
    out: Float32Array,
    bias: Float32Array | null,
  ): number;
  softmaxRows(P: Float32Array, labels: Int32Array, rows: number, k: number): number;
  colSums(A: Float32Array, rows: number, cols: number, scale: number, out: Float32Array): void;
  dot(x: Float32Array, y: Float32Array): number;
  sumAbs(x: Float32Array): number;
  gatherRows(A: Float32Array, cols: number, rows: Int32Array, out: Float32Array): void;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  twoLoop(
    g: Float32Array,
    S: readonly Float32Array[],
    Y: readonly Float32Array[],
    rho: Float64Array,
    hDiag: number,
    d: Float32Array,
  ): void;
  adamStep(
    x: Float32Array,
    g: Float32Array,
    m: Float64Array,
    v: Float64Array,
    beta1: number,
    beta2: number,
    epsilon: number,
    stepPerM: number,
    perV: number,
  ): void;
  sgdStep(x: Float32Array, g: Float32Array, v: Float32Array, momentum: number, rate: number, nesterov: boolean): void;
  sparseMulT(
    rowStart: Int32Array,
    colIndex: Int32Array,
    values: Float32Array,
    rows: number,
    W: Float32Array,
    h: number,
    n: number,
    C: Float32Array,
    bias: Float32Array | null,
  ): void;
  /** The number of non-zero elements of A. */
  nonZeros(A: Float32Array): number;
  /** A's non-zeros in CSR arrays sized by nonZeros (sparse.ts's fillCsr). */
  fillCsr(
    A: Float32Array,
    rows: number,
    cols: number,
    rowStart: Int32Array,
    colIndex: Int32Array,
    values: Float32Array,
  ): void;
  /** Fills a NativeCsr's column blocks from its CSR arrays. */
  columnBlocks(
    rowStart: Int32Array,
    colIndex: Int32Array,
    values: Float32Array,
    rows: number,
    n: number,
    blockRows: number,
    colStart: Int32Array,
    row: Uint16Array,
    blockValues: Float32Array,
  ): void;
  sparseTMul(
    alpha: number,
    D: Float32Array,
    h: number,
    rowStart: Int32Array,
    rows: number,
    n: number,
    blockRows: number,
    colStart: Int32Array,
    row: Uint16Array,
    blockValues: Float32Array,
    C: Float32Array,
  ): void;
  /** Sets OpenBLAS's thread count when given; returns it. */
  threads(n?: number): number;
  /** Gives the whole pages inside a's bytes back to the system (native/memory.cc); returns their bytes. */
  discard?(a: Float32Array | Float64Array | Int32Array | Uint16Array): number;
}

/**
 * Arrays of at least this many bytes are given back to the system as they are freed, not when the
 * garbage collector next runs: a stage's dead workspace and history would otherwise still be held
 * while the next stage allocates its own (docs/kernels.md). Below it a system call is not worth it.
 */
const DISCARD_BYTES = 1 << 20;

/** The native backend was asked for but is not built here. */
export class NativeMissingError extends StackaeError {
  constructor() {
    super(
      "ERR_NATIVE_MISSING",
      "the native backend is not built here: install OpenBLAS (apt-get install libopenblas-dev), then run `npm rebuild stackae` (or `node scripts/build-native.mjs` in a clone); or use --backend wasm",
    );
  }
}

/** True when the native addon is built and loads (always false in a browser). */
export async function nativeAvailable(): Promise<boolean> {
  return (await (await getPlatform()).loadNative()) !== null;
}

/**
 * Creates the native backend; `threads` sets OpenBLAS's thread count. By default OpenBLAS keeps
 * its own (the cores, or OPENBLAS_NUM_THREADS), lowered to the platform's count where that is
 * smaller: where the control group's CPU quota allows fewer cores' time, which OpenBLAS ignores.
 */
export async function createNativeBackend(options: { threads?: number } = {}): Promise<NativeBackend> {
  const platform = await getPlatform();
  const kernels = (await platform.loadNative()) as NativeKernels | null;
  if (kernels === null) throw new NativeMissingError();
  const threads = options.threads ?? Math.min(kernels.threads(), platform.defaultThreads());
  kernels.threads(checkNumber("threads", threads, { integer: true, min: 1, max: 256 }));
  return new NativeBackend(kernels);
}

/**
 * Rows per column block of a NativeCsr: the block's rows of D (32 × 200 floats, 25.6 KB) stay in
 * L1 while its columns read them. Dᵀ·S on the first autoencoder's shapes (`npm run
 * bench:profile -- --backend native`, ms per product): 38.6 with blocks of 8 rows, 32.9 (16),
 * 28.3 (32), 28.4 (48), 41.0 (128), 48.3 (1,024), 55.0 (2,048).
 */
const BLOCK_ROWS = 32;

/**
 * The native backend's sparse matrix: CSR for S·Wᵀ, and for Dᵀ·S the same non-zeros again in
 * column order within each block of BLOCK_ROWS rows (`colStart` per block and column, the row
 * within its block as a 16-bit `row`), so that a column's sum over a block adds up in registers
 * rather than storing into a row of the result for every non-zero. 6 more bytes per non-zero.
 */
class NativeCsr extends CsrMatrix<Float32Array> {
  readonly blockRows = BLOCK_ROWS;
  freed = false;
  readonly colStart: Int32Array;
  readonly row: Uint16Array;
  readonly blockValues: Float32Array;

  constructor(csr: CsrMatrix<Float32Array>, kernels: NativeKernels) {
    super(csr.rows, csr.cols, csr.rowStart, csr.colIndex, csr.values);
    const blocks = Math.ceil(csr.rows / BLOCK_ROWS);
    this.colStart = new Int32Array(blocks * (csr.cols + 1));
    this.row = new Uint16Array(csr.nnz);
    this.blockValues = new Float32Array(csr.nnz);
    kernels.columnBlocks(
      csr.rowStart,
      csr.colIndex,
      csr.values,
      csr.rows,
      csr.cols,
      BLOCK_ROWS,
      this.colStart,
      this.row,
      this.blockValues,
    );
  }
}

export class NativeBackend implements Backend<Float32Array> {
  readonly name = "native";
  readonly dtype = "float32";
  readonly #k: NativeKernels;
  /** The optimisers' vector kernels in C++, over any Float32Arrays (and Adam's float64 moments). */
  readonly vectors: VectorOps;
  /** Products with a sparse data matrix in C++, on as many threads as OpenBLAS uses. */
  readonly sparse: SparseOps<Float32Array>;

  constructor(kernels: NativeKernels) {
    this.#k = kernels;
    const own = (S: SparseMatrix): NativeCsr => {
      if (!(S instanceof NativeCsr)) {
        throw new ArgumentError("this sparse matrix was not made by the native backend's sparse.fromDense");
      }
      if (S.freed) throw new ArgumentError("this sparse matrix has been freed");
      return S;
    };
    this.sparse = {
      nonZeros: (A) => kernels.nonZeros(A.data),
      fromDense: (A) => {
        const nnz = kernels.nonZeros(A.data);
        const csr = new CsrMatrix(
          A.rows,
          A.cols,
          new Int32Array(A.rows + 1),
          new Int32Array(nnz),
          new Float32Array(nnz),
        );
        if (A.size > 0) kernels.fillCsr(A.data, A.rows, A.cols, csr.rowStart, csr.colIndex, csr.values);
        return new NativeCsr(csr, kernels);
      },
      mulTransposed: (S, W, C, bias) => {
        const s = own(S);
        const [m, n, h] = mulTransposedDims(S, W, C, bias);
        if (C.size > 0)
          kernels.sparseMulT(s.rowStart, s.colIndex, s.values, m, W.data, h, n, C.data, bias?.data ?? null);
      },
      transposedMul: (alpha, D, S, C) => {
        const s = own(S);
        const [m, n, h] = transposedMulDims(D, S, C);
        if (C.size > 0) {
          kernels.sparseTMul(alpha, D.data, h, s.rowStart, m, n, s.blockRows, s.colStart, s.row, s.blockValues, C.data);
        }
      },
      free: (S) => {
        const s = own(S);
        s.freed = true;
        for (const a of [s.rowStart, s.colIndex, s.values, s.colStart, s.row, s.blockValues]) this.#discard(a);
      },
    };
    this.vectors = {
      ...this.#vectorKernels(kernels),
      // The optimisers' history and working vectors, given back as soon as a stage ends.
      zeros: (n) => this.#made(new Float32Array(n)),
      zeros64: (n) => this.#made(new Float64Array(n)),
      release: (v) => {
        if (this.#arrays.has(v)) this.#discard(v);
      },
    };
  }

  /** The addon's vector kernels behind the optimisers' VectorOps. */
  #vectorKernels(kernels: NativeKernels): VectorOps {
    return kernelVectorOps({
      takes: (v) => v instanceof Float32Array,
      takes64: (v) => v instanceof Float64Array,
      dot: (x, y) => kernels.dot(x, y),
      axpy: (alpha, x, y) => kernels.axpy(alpha, x, y),
      sumAbs: (x) => kernels.sumAbs(x),
      twoLoop: (g, S, Y, rho, hDiag, d) => kernels.twoLoop(g, S, Y, Float64Array.from(rho), hDiag, d),
      adamStep: (x, g, m, v, c) => kernels.adamStep(x, g, m, v, c.beta1, c.beta2, c.epsilon, c.stepPerM, c.perV),
      sgdStep: (x, g, v, c) => kernels.sgdStep(x, g, v, c.momentum, c.rate, c.nesterov),
    });
  }

  /** Arrays this backend made (zeros, the vectors' zeros): the only ones it may discard. */
  readonly #arrays = new WeakSet<ArrayBufferView>();

  #made<A extends Float32Array | Float64Array>(a: A): A {
    this.#arrays.add(a);
    return a;
  }

  /** Gives a's pages back to the system, where it is large enough to be worth a call. */
  #discard(a: Float32Array | Float64Array | Int32Array | Uint16Array): void {
    if (a.byteLength >= DISCARD_BYTES) this.#k.discard?.(a);
  }

  /** Threads OpenBLAS runs the products on. */
  get threads(): number {
    return this.#k.threads();
  }

  zeros(rows: number, cols: number): Matrix<Float32Array> {
    contract.zeros(rows, cols);
    return Matrix.of(rows, cols, this.#made(allocate(Float32Array, rows, cols)));
  }

  fromValues(rows: number, cols: number, values: ArrayLike<number>): Matrix<Float32Array> {
    checkFromValues(rows, cols, values);
    const m = this.zeros(rows, cols);
    m.data.set(values);
    return m;
  }

  /** Marks m freed, as the other backends do, and gives its pages back to the system at once. */
  free(m: Matrix<Float32Array>): void {
    contract.free(m, this.dtype);
    const a = m.storage.array();
    m.storage.freed = true;
    if (this.#arrays.has(a)) this.#discard(a);
  }

  async dispose(): Promise<void> {}

  gemm(
    transA: boolean,
    transB: boolean,
    alpha: number,
    A: Matrix<Float32Array>,
    B: Matrix<Float32Array>,
    beta: number,
    C: Matrix<Float32Array>,
  ): void {
    const [M, N, K] = contract.gemm(this.dtype, transA, transB, alpha, A, B, beta, C);
    if (M === 0 || N === 0) return;
    if (K === 0 || alpha === 0) {
      // BLAS leaves C alone only when beta = 1; follow the interface: C = beta · C.
      const c = C.data;
      for (let i = 0; i < c.length; i++) c[i] = beta === 0 ? 0 : beta * (c[i] as number);
      return;
    }
    this.#k.sgemm(transA, transB, M, N, K, alpha, A.data, B.data, beta, C.data);
  }

  gemmBiasSigmoid(
    A: Matrix<Float32Array>,
    W: Matrix<Float32Array>,
    b: Matrix<Float32Array>,
    out: Matrix<Float32Array>,
  ): void {
    contract.gemmBiasSigmoid(this.dtype, A, W, b, out);
    gemmThenBiasSigmoid(this, A, W, b, out);
  }

  biasSigmoid(Z: Matrix<Float32Array>, b: Matrix<Float32Array>, out: Matrix<Float32Array>): void {
    contract.biasSigmoid(this.dtype, Z, b, out);
    if (Z.size > 0) this.#k.biasSigmoid(Z.data, b.data, out.data, Z.cols);
  }

  sigmoidGradMul(A: Matrix<Float32Array>, D: Matrix<Float32Array>, out: Matrix<Float32Array>): void {
    contract.sigmoidGradMul(this.dtype, A, D, out);
    this.#k.sigmoidGradMul(A.data, D.data, out.data);
  }

  addRowSigmoidGradMul(D: Matrix<Float32Array>, s: Matrix<Float32Array>, A: Matrix<Float32Array>): void {
    contract.addRowSigmoidGradMul(this.dtype, D, s, A);
    if (D.size > 0) this.#k.addRowSigmoidGradMul(D.data, s.data, A.data, D.cols);
  }

  squaredErrorDelta(
    A3: Matrix<Float32Array>,
    X: Matrix<Float32Array>,
    delta: Matrix<Float32Array>,
    sums?: Matrix<Float32Array>,
    scale = 1,
  ): number {
    contract.squaredErrorDelta(this.dtype, A3, X, delta, sums, scale);
    if (!sums) return this.#k.squaredErrorDelta(A3.data, X.data, delta.data);
    return this.#k.squaredErrorDeltaSums(A3.data, X.data, delta.data, A3.rows, A3.cols, scale, sums.data, null);
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
    // The product's pre-activations in delta, then one pass: σ(Z + b), the delta and its sums.
    this.gemm(false, true, 1, H, W, 0, delta);
    const d = delta.data;
    return this.#k.squaredErrorDeltaSums(d, X.data, d, delta.rows, delta.cols, scale, sums.data, b.data);
  }

  softmaxRows(P: Matrix<Float32Array>, labels: Int32Array): number {
    contract.softmaxRows(this.dtype, P, labels);
    return P.size > 0 ? this.#k.softmaxRows(P.data, labels, P.rows, P.cols) : 0;
  }

  colSums(A: Matrix<Float32Array>, scale: number, out: Matrix<Float32Array>): void {
    contract.colSums(this.dtype, A, scale, out);
    this.#k.colSums(A.data, A.rows, A.cols, scale, out.data);
  }

  sumSquares(x: Matrix<Float32Array>): number {
    contract.sumSquares(this.dtype, x);
    return this.#k.dot(x.data, x.data);
  }

  dot(x: Matrix<Float32Array>, y: Matrix<Float32Array>): number {
    contract.dot(this.dtype, x, y);
    return this.#k.dot(x.data, y.data);
  }

  axpy(alpha: number, x: Matrix<Float32Array>, y: Matrix<Float32Array>): void {
    contract.axpy(this.dtype, alpha, x, y);
    this.#k.axpy(alpha, x.data, y.data);
  }

  /** By memcpy: 256 rows of 784 values took 131 µs by a typed-array `set` per row, 93 µs so (bench:steps). */
  gatherRows(A: Matrix<Float32Array>, rows: Int32Array, out: Matrix<Float32Array>): void {
    contract.gatherRows(this.dtype, A, rows, out);
    if (out.size > 0) this.#k.gatherRows(A.data, A.cols, rows, out.data);
  }
}
