// Products with a mostly-zero data matrix. MNIST's pixels are 81 % zeros, and the two products of
// a first layer with its input, A·Wᵀ forward and Δᵀ·A for ∇W, are two of the five in an
// autoencoder evaluation: held in compressed sparse rows (CSR), they skip the zeros.
import { ArgumentError, ShapeError } from "../errors.ts";
import type { FloatArray, Matrix } from "./matrix.ts";
import { sigmoid } from "./sigmoid.ts";

/** A sparse copy of a matrix, made by a backend's `sparse.fromDense`, for that backend only. */
export interface SparseMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Number of non-zero entries held. */
  readonly nnz: number;
}

/** The products with a sparse left operand that a backend may offer (Backend.sparse). */
export interface SparseOps<T extends FloatArray = FloatArray> {
  /** A CSR copy of A's non-zero entries (A itself is not kept). */
  fromDense(A: Matrix<T>): SparseMatrix;
  /** The number of A's non-zero entries, where the backend counts them faster than countNonZeros over A.data. */
  nonZeros?(A: Matrix<T>): number;
  /**
   * Whether a minibatch's own sparse copy, taken for each batch ("each-evaluation"), costs less
   * than its two products save: the pipeline's minibatch stages take one where this is true.
   */
  readonly perBatch?: boolean;
  /**
   * C (m × h) = S · Wᵀ, S (m × n), W (h × n). With a bias row b (1 × h), C = σ(S·Wᵀ + 1·bᵀ): the
   * backend's biasSigmoid applied to each row as it is stored (an encoder's forward pass in one
   * pass over C).
   */
  mulTransposed(S: SparseMatrix, W: Matrix<T>, C: Matrix<T>, bias?: Matrix<T>): void;
  /** C (h × n) = alpha · Dᵀ · S, D (m × h), S (m × n). */
  transposedMul(alpha: number, D: Matrix<T>, S: SparseMatrix, C: Matrix<T>): void;
  /** Gives back the memory of a sparse copy. */
  free(S: SparseMatrix): void;
}

/**
 * At most this fraction of non-zeros, data products go sparse. On the first autoencoder's shapes
 * (60000 × 784, 200 hidden, one thread) the WebAssembly kernels take 0.35 (forward) and 0.48 (∇W)
 * of the dense `gemm`'s time at MNIST's 19 % non-zeros: if their time grows with the non-zeros,
 * they break even near 55 % and 40 %.
 */
export const SPARSE_DENSITY_LIMIT = 0.3;

/** Fraction of non-zero entries of A (1 for an empty matrix), counted by `ops.nonZeros` where the backend has it. */
export function density<T extends FloatArray>(A: Matrix<T>, ops?: SparseOps<T>): number {
  return A.size === 0 ? 1 : (ops?.nonZeros?.(A) ?? countNonZeros(A.data)) / A.size;
}

/** Number of non-zero entries of `a`. */
export function countNonZeros(a: ArrayLike<number>): number {
  let nz = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) nz++;
  return nz;
}

/**
 * How a cost treats its data matrix: "auto" goes sparse at ≤ SPARSE_DENSITY_LIMIT non-zeros where
 * the backend can, with a copy taken when the cost is made; "each-evaluation" likewise, but takes
 * the copy again at every evaluation, for data rewritten between evaluations (a minibatch);
 * "never" keeps the products dense.
 */
export type SparseMode = "auto" | "each-evaluation" | "never";

const SPARSE_MODES: readonly string[] = ["auto", "each-evaluation", "never"];

/** Checks a SparseMode option. */
export function checkSparseMode(mode: unknown): SparseMode {
  if (mode === undefined) return "auto";
  if (typeof mode !== "string" || !SPARSE_MODES.includes(mode)) {
    throw new ArgumentError(`sparseInput must be "auto", "each-evaluation" or "never", got ${JSON.stringify(mode)}`);
  }
  return mode as SparseMode;
}

/** A cost's sparse copy of its data: `current()` at the start of each evaluation, `free()` when the cost is disposed. */
export interface SparseInput {
  current(): SparseMatrix | null;
  free(): void;
}

/** The sparse copy of X that a cost's products use as `mode` says (null from `current()`: dense). */
export function sparseInput<T extends FloatArray>(
  ops: SparseOps<T> | undefined,
  X: Matrix<T>,
  mode: SparseMode,
): SparseInput {
  let S = mode === "each-evaluation" ? null : sparseCopy(ops, X, mode);
  const free = () => {
    if (S) ops?.free(S);
    S = null;
  };
  if (mode !== "each-evaluation") return { current: () => S, free };
  return {
    current() {
      free();
      S = sparseCopy(ops, X, "auto");
      return S;
    },
    free,
  };
}

/** A sparse copy of X for its products when `mode` and X's density call for it and the backend can; else null. */
export function sparseCopy<T extends FloatArray>(
  ops: SparseOps<T> | undefined,
  X: Matrix<T>,
  mode: "auto" | "never" = "auto",
): SparseMatrix | null {
  if (!ops || mode === "never" || density(X, ops) > SPARSE_DENSITY_LIMIT) return null;
  return ops.fromDense(X);
}

/** Compressed sparse rows in plain typed arrays (the JavaScript and native backends). */
export class CsrMatrix<T extends FloatArray = FloatArray> implements SparseMatrix {
  readonly rows: number;
  readonly cols: number;
  /** Row i's entries are [rowStart[i], rowStart[i + 1]) of colIndex and values. */
  readonly rowStart: Int32Array;
  readonly colIndex: Int32Array;
  readonly values: T;

  constructor(rows: number, cols: number, rowStart: Int32Array, colIndex: Int32Array, values: T) {
    this.rows = rows;
    this.cols = cols;
    this.rowStart = rowStart;
    this.colIndex = colIndex;
    this.values = values;
  }

  get nnz(): number {
    return this.colIndex.length;
  }

  /** The CSR arrays of a dense row-major matrix; `make(n)` allocates the values array. */
  static fromDense<T extends FloatArray>(A: Matrix<T>, make: (n: number) => T): CsrMatrix<T> {
    const a = A.data;
    const nnz = countNonZeros(a);
    const rowStart = new Int32Array(A.rows + 1);
    const colIndex = new Int32Array(nnz);
    const values = make(nnz);
    fillCsr(a, A.rows, A.cols, rowStart, colIndex, values);
    return new CsrMatrix(A.rows, A.cols, rowStart, colIndex, values);
  }
}

/** Writes the CSR form of the dense row-major `a` (rows × cols) into arrays sized for its non-zeros. */
export function fillCsr(
  a: ArrayLike<number>,
  rows: number,
  cols: number,
  rowStart: Int32Array,
  colIndex: Int32Array,
  values: FloatArray,
): void {
  let p = 0;
  for (let i = 0; i < rows; i++) {
    rowStart[i] = p;
    for (let j = 0, at = i * cols; j < cols; j++, at++) {
      const v = a[at] as number;
      if (v !== 0) {
        colIndex[p] = j;
        values[p++] = v;
      }
    }
  }
  rowStart[rows] = p;
}

/** Checks the shapes of C = S·Wᵀ (and of its bias row, if any); returns [m, n, h]. */
export function mulTransposedDims(S: SparseMatrix, W: Matrix, C: Matrix, bias?: Matrix): [number, number, number] {
  if (W.cols !== S.cols) {
    throw new ShapeError(
      `sparse S·Wᵀ: W must have ${S.cols} columns (S is ${S.rows} × ${S.cols}), got ${W.rows} × ${W.cols}`,
    );
  }
  if (C.rows !== S.rows || C.cols !== W.rows) {
    throw new ShapeError(`sparse S·Wᵀ: C must be ${S.rows} × ${W.rows}, got ${C.rows} × ${C.cols}`);
  }
  if (bias && bias.size !== W.rows) {
    throw new ShapeError(`sparse S·Wᵀ: the bias must have ${W.rows} elements, got ${bias.rows} × ${bias.cols}`);
  }
  if (bias === C) {
    // Every backend writes C before it has read all of the bias.
    throw new ArgumentError("sparse S·Wᵀ: the bias must not be C itself; pass a copy of it");
  }
  return [S.rows, S.cols, W.rows];
}

/** Checks the shapes of C = Dᵀ·S; returns [m, n, h]. */
export function transposedMulDims(D: Matrix, S: SparseMatrix, C: Matrix): [number, number, number] {
  if (D.rows !== S.rows) {
    throw new ShapeError(
      `sparse Dᵀ·S: D must have ${S.rows} rows (S is ${S.rows} × ${S.cols}), got ${D.rows} × ${D.cols}`,
    );
  }
  if (C.rows !== D.cols || C.cols !== S.cols) {
    throw new ShapeError(`sparse Dᵀ·S: C must be ${D.cols} × ${S.cols}, got ${C.rows} × ${C.cols}`);
  }
  return [S.rows, S.cols, D.cols];
}

/** The sparse products in plain TypeScript over CsrMatrix (the JavaScript backend's, and the tests' reference). */
export class JsSparseOps<T extends FloatArray> implements SparseOps<T> {
  readonly #make: (n: number) => T;

  constructor(make: (n: number) => T) {
    this.#make = make;
  }

  fromDense(A: Matrix<T>): CsrMatrix<T> {
    return CsrMatrix.fromDense(A, this.#make);
  }

  mulTransposed(S: SparseMatrix, W: Matrix<T>, C: Matrix<T>, bias?: Matrix<T>): void {
    const s = csr(S);
    const [m, , h] = mulTransposedDims(S, W, C, bias);
    const n = S.cols;
    const w = W.data;
    const c = C.data;
    const b = bias?.data;
    const { rowStart, colIndex, values } = s;
    for (let i = 0; i < m; i++) {
      const p0 = rowStart[i] as number;
      const p1 = rowStart[i + 1] as number;
      for (let j = 0; j < h; j++) {
        let sum = 0;
        for (let p = p0; p < p1; p++) sum += (values[p] as number) * (w[j * n + (colIndex[p] as number)] as number);
        c[i * h + j] = sum;
        // From the stored value, as biasSigmoid would read it (rounded to C's precision).
        if (b) c[i * h + j] = sigmoid((c[i * h + j] as number) + (b[j] as number));
      }
    }
  }

  transposedMul(alpha: number, D: Matrix<T>, S: SparseMatrix, C: Matrix<T>): void {
    const s = csr(S);
    const [m, n, h] = transposedMulDims(D, S, C);
    const d = D.data;
    const acc = new Float64Array(h * n);
    const { rowStart, colIndex, values } = s;
    for (let i = 0; i < m; i++) {
      for (let p = rowStart[i] as number; p < (rowStart[i + 1] as number); p++) {
        const k = colIndex[p] as number;
        const v = values[p] as number;
        for (let j = 0; j < h; j++) acc[j * n + k] = (acc[j * n + k] as number) + v * (d[i * h + j] as number);
      }
    }
    const c = C.data;
    for (let q = 0; q < acc.length; q++) c[q] = alpha * (acc[q] as number);
  }

  free(_S: SparseMatrix): void {}
}

function csr<T extends FloatArray>(S: SparseMatrix): CsrMatrix<T> {
  if (!(S instanceof CsrMatrix)) throw new ArgumentError("this sparse matrix was made by another backend");
  return S as CsrMatrix<T>;
}
