import { ArgumentError, describe, ShapeError, StackaeError } from "../errors.ts";
import { type Args, checkDisjoint, checkFlag, checkInt32, checkMatrix, checkScalar, matrices } from "./arguments.ts";
import { checkSameShape, type DType, type FloatArray, Matrix } from "./matrix.ts";
import type { SparseOps } from "./sparse.ts";
import type { VectorOps } from "./vectors.ts";

/**
 * The primitives the network code is written against: the mathematics apart from the kernels.
 * Every matrix passed in must have been made by the same backend (`zeros` / `fromValues`).
 * Vectors are 1 × n matrices. Shapes are checked on every call. The float32 kernels of the wasm and
 * native backends store the results of biasSigmoid, sigmoidGradMul, addRowSigmoidGradMul and
 * squaredErrorDelta that are below FLOAT32_MIN_NORMAL (2^-126) in magnitude as 0, as a CPU's
 * flush-to-zero mode would; the JavaScript reference keeps them.
 *
 * Misuse throws a StackaeError that names the call and the argument, on every backend alike
 * (`contract` below): dimensions that are not non-negative integers, an argument that is not a
 * matrix of this backend's dtype, a matrix used after `free()` (or freed twice, or a view freed),
 * an output that overlaps an input it would overwrite before reading (`gemm` with C = A), a
 * flag that is not a boolean, a scale that is not a number, labels or rows not in an Int32Array.
 */
export interface Backend<T extends FloatArray = FloatArray> {
  /** "wasm" (float32, SIMD) or "js" (plain TypeScript, float32 or float64). */
  readonly name: string;
  readonly dtype: DType;
  /** A zero-filled rows × cols matrix in this backend's storage. */
  zeros(rows: number, cols: number): Matrix<T>;
  /** A rows × cols matrix holding a copy of `values` (row-major). */
  fromValues(rows: number, cols: number, values: ArrayLike<number>): Matrix<T>;
  /** Gives back the storage of a matrix made by `zeros` or `fromValues` (not of a view). */
  free(m: Matrix<T>): void;
  /** Stops any worker threads (they never keep the process alive; this just ends them early). */
  dispose(): Promise<void>;
  /** Fast dot and axpy over plain typed arrays, for optimisers (only where faster than JavaScript). */
  readonly vectors?: VectorOps;
  /** Products with a sparse data matrix (compressed sparse rows), where this backend has them. */
  readonly sparse?: SparseOps<T>;

  /** C = alpha · op(A) · op(B) + beta · C, op(X) = Xᵀ when its flag is set; beta = 0 ignores C's old values. */
  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix<T>, B: Matrix<T>, beta: number, C: Matrix<T>): void;
  /**
   * out (m × h) = σ(A·Wᵀ + 1·bᵀ), A (m × n), W (h × n), b (1 × h): gemm then biasSigmoid, in one
   * pass over out where the backend can (wasm: as the product stores each tile).
   */
  gemmBiasSigmoid(A: Matrix<T>, W: Matrix<T>, b: Matrix<T>, out: Matrix<T>): void;
  /** out (m × n) = σ(Z + 1·bᵀ), b (1 × n). out may be Z. */
  biasSigmoid(Z: Matrix<T>, b: Matrix<T>, out: Matrix<T>): void;
  /** out = D ⊙ A ⊙ (1 − A), all the same shape. out may be D. */
  sigmoidGradMul(A: Matrix<T>, D: Matrix<T>, out: Matrix<T>): void;
  /** D (m × n) = (D + 1·sᵀ) ⊙ A ⊙ (1 − A), s (1 × n). */
  addRowSigmoidGradMul(D: Matrix<T>, s: Matrix<T>, A: Matrix<T>): void;
  /**
   * delta = (A3 − X) ⊙ A3 ⊙ (1 − A3); returns Σ (A3 − X)². delta may be A3. With `sums` (1 × n),
   * also sums = scale · column sums of delta, as colSums(delta, scale, sums) gives them, in the
   * same pass (the autoencoder's output bias gradient).
   */
  squaredErrorDelta(A3: Matrix<T>, X: Matrix<T>, delta: Matrix<T>, sums?: Matrix<T>, scale?: number): number;
  /**
   * Each row of P (m × k logits) becomes its softmax, the row's maximum subtracted before exp so
   * that nothing overflows; returns Σᵢ −log P[i, yᵢ] over the labels (m integers in [0, k)),
   * computed from the logits (log-sum-exp) rather than from P, so that a probability that rounds
   * to 0 still gives a finite cost. On float32, probabilities below FLOAT32_MIN_NORMAL are
   * stored as 0. A NaN or infinite logit gives NaN.
   */
  softmaxRows(P: Matrix<T>, labels: Int32Array): number;
  /**
   * An autoencoder's output layer and its delta in one call: with A3 = σ(H·Wᵀ + 1·bᵀ) (H m × h,
   * W n × h, b 1 × n, X m × n), delta (m × n) = (A3 − X) ⊙ A3 ⊙ (1 − A3) and sums (1 × n) = scale
   * · its column sums; returns Σ (A3 − X)². A3 itself is not kept. gemmBiasSigmoid then
   * squaredErrorDelta, in delta, where the backend has nothing better (native: the product, then
   * one pass for the sigmoid, the delta and the sums).
   */
  reconstructionDelta(
    H: Matrix<T>,
    W: Matrix<T>,
    b: Matrix<T>,
    X: Matrix<T>,
    delta: Matrix<T>,
    sums: Matrix<T>,
    scale: number,
  ): number;
  /** out (1 × n) = scale · column sums of A (m × n). */
  colSums(A: Matrix<T>, scale: number, out: Matrix<T>): void;
  /** Σ x². */
  sumSquares(x: Matrix<T>): number;
  /** Σ x ⊙ y (same size). */
  dot(x: Matrix<T>, y: Matrix<T>): number;
  /** y += alpha · x (same size). */
  axpy(alpha: number, x: Matrix<T>, y: Matrix<T>): void;
  /** out's rows = the rows of A listed in `rows` (a minibatch's gather); out is rows.length × A.cols. */
  gatherRows(A: Matrix<T>, rows: Int32Array, out: Matrix<T>): void;
}

/** Raised when memory cannot be had for a matrix: the WebAssembly memory's limit, or the engine's. */
export class OutOfMemoryError extends StackaeError {
  constructor(message: string, options?: ErrorOptions) {
    super("ERR_OUT_OF_MEMORY", message, options);
  }
}

/** Checks that `values` fills a rows × cols matrix, for fromValues. */
export function checkFromValues(rows: number, cols: number, values: ArrayLike<number>): void {
  checkDims("fromValues", rows, cols);
  if (values === null || typeof values !== "object" || typeof values.length !== "number") {
    throw new ArgumentError(`fromValues: values must be an array or a typed array, got ${describe(values)}`);
  }
  if (values.length !== rows * cols) {
    throw new ArgumentError(`fromValues: a ${rows} × ${cols} matrix needs ${rows * cols} values, got ${values.length}`);
  }
}

/** Checks gatherRows' operands: out's shape, and every row index an integer row of A. */
export function checkGatherRows(A: Matrix, rows: Int32Array, out: Matrix): void {
  if (out.rows !== rows.length || out.cols !== A.cols) {
    throw new ShapeError(
      `gatherRows: out must be ${rows.length} × ${A.cols} (one row per index, A's columns), got ${out.rows} × ${out.cols}`,
    );
  }
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    if (!(r >= 0 && r < A.rows))
      throw new ArgumentError(`gatherRows: rows[${i}] = ${r} is not a row of A (0 to ${A.rows - 1})`);
  }
}

/** gatherRows by typed-array copies, for arrays that are not shared (a shared one's `set` is slower than a kernel's copy). */
export function gatherRowsBySet<T extends FloatArray>(A: Matrix<T>, rows: Int32Array, out: Matrix<T>): void {
  checkGatherRows(A, rows, out);
  const n = A.cols;
  const src = A.data;
  const dst = out.data;
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    dst.set(src.subarray(r * n, (r + 1) * n), i * n);
  }
}

/** The dimensions M, N, K of C = op(A)·op(B), after checking that A, B and C agree. */
export function gemmDims(transA: boolean, transB: boolean, A: Matrix, B: Matrix, C: Matrix): [number, number, number] {
  const [M, K] = transA ? [A.cols, A.rows] : [A.rows, A.cols];
  const [KB, N] = transB ? [B.cols, B.rows] : [B.rows, B.cols];
  if (K !== KB) {
    throw new ShapeError(
      `gemm: inner dimensions of op(A) (${M} × ${K}) and op(B) (${KB} × ${N}) must match (A is ${A.rows} × ${A.cols}${transA ? ", transposed" : ""}; B is ${B.rows} × ${B.cols}${transB ? ", transposed" : ""})`,
    );
  }
  if (C.rows !== M || C.cols !== N) {
    throw new ShapeError(`gemm: C must be ${M} × ${N} for op(A)·op(B), got ${C.rows} × ${C.cols}`);
  }
  return [M, N, K];
}

/**
 * gemmBiasSigmoid in its two steps, gemm then biasSigmoid in place, for a backend without a
 * fused kernel; b is checked before out is written.
 */
export function gemmThenBiasSigmoid<T extends FloatArray>(
  backend: Backend<T>,
  A: Matrix<T>,
  W: Matrix<T>,
  b: Matrix<T>,
  out: Matrix<T>,
): void {
  checkRow("b", b, out.cols);
  backend.gemm(false, true, 1, A, W, 0, out);
  backend.biasSigmoid(out, b, out);
}

/**
 * reconstructionDelta in its two steps, gemmBiasSigmoid then squaredErrorDelta in place, for a
 * backend without a fused pass; X and sums are checked before delta is written.
 */
export function gemmBiasSigmoidThenDelta<T extends FloatArray>(
  backend: Backend<T>,
  H: Matrix<T>,
  W: Matrix<T>,
  b: Matrix<T>,
  X: Matrix<T>,
  delta: Matrix<T>,
  sums: Matrix<T>,
  scale: number,
): number {
  checkReconstructionDelta(b, X, delta, sums);
  backend.gemmBiasSigmoid(H, W, b, delta);
  return backend.squaredErrorDelta(delta, X, delta, sums, scale);
}

/** reconstructionDelta's checks of b, X and sums against delta (the product's are gemm's). */
export function checkReconstructionDelta(b: Matrix, X: Matrix, delta: Matrix, sums: Matrix): void {
  checkRow("b", b, delta.cols);
  checkSameShape("X", X, "delta", delta);
  checkRow("sums", sums, delta.cols);
}

/** Checks that a bias/row vector has n elements. */
export function checkRow(name: string, v: Matrix, n: number): void {
  if (v.size !== n) throw new ShapeError(`${name} must have ${n} elements (one per column), got ${v.rows} × ${v.cols}`);
}

/** Checks that `labels` has one class in [0, P.cols) per row of P, for softmaxRows. */
export function checkClassLabels(P: Matrix, labels: Int32Array): void {
  if (labels.length !== P.rows) {
    throw new ShapeError(`softmaxRows: labels must have one entry per row of P (${P.rows}), got ${labels.length}`);
  }
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    if (y < 0 || y >= P.cols) {
      throw new ArgumentError(`softmaxRows: labels[${i}] must be a class in [0, ${P.cols - 1}], got ${y}`);
    }
  }
}

/** Checks that two operands have the same number of elements. */
export function checkSize(nameA: string, a: Matrix, nameB: string, b: Matrix): void {
  if (a.size !== b.size) {
    throw new ShapeError(
      `${nameA} (${a.rows} × ${a.cols}) and ${nameB} (${b.rows} × ${b.cols}) must have the same number of elements`,
    );
  }
}

/** Checks a matrix's dimensions: non-negative integers. */
export function checkDims(op: string, rows: unknown, cols: unknown): void {
  for (const [name, v] of [
    ["rows", rows],
    ["cols", cols],
  ] as const) {
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) {
      throw new ArgumentError(`${op}: ${name} must be a non-negative integer, got ${describe(v)}`);
    }
  }
}

/**
 * A typed array of `n` elements for a matrix: an OutOfMemoryError, not the engine's RangeError,
 * where the engine cannot allocate it.
 */
export function allocate<T extends FloatArray>(Typed: { new (n: number): T }, rows: number, cols: number): T {
  try {
    return new Typed(rows * cols);
  } catch (cause) {
    const bytes = rows * cols * (Typed as unknown as { BYTES_PER_ELEMENT: number }).BYTES_PER_ELEMENT;
    throw new OutOfMemoryError(
      `zeros: a ${rows} × ${cols} matrix (${(bytes / 2 ** 30).toFixed(1)} GiB) cannot be allocated: use fewer examples or smaller layers`,
      { cause },
    );
  }
}

/**
 * The argument checks of every Backend call, shared by the backends so that a misuse throws the
 * same StackaeError on each: each backend calls the entry of its method before any work. Shapes
 * are checked here too, where the call's shapes are the interface's.
 */
export const contract = {
  zeros(rows: number, cols: number): void {
    checkDims("zeros", rows, cols);
  },
  free(m: Matrix, dtype: DType): void {
    if (m instanceof Matrix && m.freed) {
      throw new ArgumentError(
        `free: m (${m.rows} × ${m.cols}) has already been freed: a matrix is freed once (freed twice?)`,
      );
    }
    checkMatrix("free", "m", m, dtype);
    if (m.isView) {
      throw new ArgumentError(
        `free: m (${m.rows} × ${m.cols}) is a view of another matrix: free the matrix that zeros() or fromValues() made`,
      );
    }
  },
  gemm(
    dtype: DType,
    transA: boolean,
    transB: boolean,
    alpha: number,
    A: Matrix,
    B: Matrix,
    beta: number,
    C: Matrix,
  ): [number, number, number] {
    checkFlag("gemm", "transA", transA);
    checkFlag("gemm", "transB", transB);
    checkScalar("gemm", "alpha", alpha);
    checkScalar("gemm", "beta", beta);
    matrices("gemm", dtype, [
      ["A", A],
      ["B", B],
      ["C", C],
    ]);
    const dims = gemmDims(transA, transB, A, B, C);
    checkDisjoint(
      "gemm",
      ["C", C],
      [
        ["A", A],
        ["B", B],
      ],
    );
    return dims;
  },
  gemmBiasSigmoid(dtype: DType, A: Matrix, W: Matrix, b: Matrix, out: Matrix): void {
    const args: Args = [
      ["A", A],
      ["W", W],
      ["b", b],
    ];
    matrices("gemmBiasSigmoid", dtype, [...args, ["out", out]]);
    gemmDims(false, true, A, W, out);
    checkRow("b", b, out.cols);
    checkDisjoint("gemmBiasSigmoid", ["out", out], args as [string, Matrix][]);
  },
  biasSigmoid(dtype: DType, Z: Matrix, b: Matrix, out: Matrix): void {
    matrices("biasSigmoid", dtype, [
      ["Z", Z],
      ["b", b],
      ["out", out],
    ]);
    checkSameShape("Z", Z, "out", out);
    checkRow("b", b, Z.cols);
    checkDisjoint(
      "biasSigmoid",
      ["out", out],
      [
        ["Z", Z],
        ["b", b],
      ],
      ["Z"],
    );
  },
  sigmoidGradMul(dtype: DType, A: Matrix, D: Matrix, out: Matrix): void {
    matrices("sigmoidGradMul", dtype, [
      ["A", A],
      ["D", D],
      ["out", out],
    ]);
    checkSize("A", A, "D", D);
    checkSize("A", A, "out", out);
    checkDisjoint(
      "sigmoidGradMul",
      ["out", out],
      [
        ["A", A],
        ["D", D],
      ],
      ["A", "D"],
    );
  },
  addRowSigmoidGradMul(dtype: DType, D: Matrix, s: Matrix, A: Matrix): void {
    matrices("addRowSigmoidGradMul", dtype, [
      ["D", D],
      ["s", s],
      ["A", A],
    ]);
    checkSameShape("D", D, "A", A);
    checkRow("s", s, D.cols);
    checkDisjoint(
      "addRowSigmoidGradMul",
      ["D", D],
      [
        ["s", s],
        ["A", A],
      ],
      ["A"],
    );
  },
  squaredErrorDelta(dtype: DType, A3: Matrix, X: Matrix, delta: Matrix, sums: Matrix | undefined, scale: number): void {
    const args: Args = [
      ["A3", A3],
      ["X", X],
    ];
    const all: Args = [...args, ["delta", delta]];
    if (sums !== undefined) all.push(["sums", sums]);
    matrices("squaredErrorDelta", dtype, all);
    checkScalar("squaredErrorDelta", "scale", scale);
    checkSameShape("A3", A3, "X", X);
    checkSameShape("A3", A3, "delta", delta);
    checkDisjoint("squaredErrorDelta", ["delta", delta], args as [string, Matrix][], ["A3", "X"]);
    if (sums === undefined) return;
    checkRow("sums", sums, A3.cols);
    checkDisjoint("squaredErrorDelta", ["sums", sums], [...(args as [string, Matrix][]), ["delta", delta]]);
  },
  reconstructionDelta(
    dtype: DType,
    H: Matrix,
    W: Matrix,
    b: Matrix,
    X: Matrix,
    delta: Matrix,
    sums: Matrix,
    scale: number,
  ): void {
    const args: [string, Matrix][] = [
      ["H", H],
      ["W", W],
      ["b", b],
      ["X", X],
    ];
    matrices("reconstructionDelta", dtype, [...args, ["delta", delta], ["sums", sums]]);
    checkScalar("reconstructionDelta", "scale", scale);
    gemmDims(false, true, H, W, delta);
    checkReconstructionDelta(b, X, delta, sums);
    checkDisjoint("reconstructionDelta", ["delta", delta], args);
    checkDisjoint("reconstructionDelta", ["sums", sums], [...args, ["delta", delta]]);
  },
  softmaxRows(dtype: DType, P: Matrix, labels: Int32Array): void {
    checkMatrix("softmaxRows", "P", P, dtype);
    checkInt32("softmaxRows", "labels", labels);
    checkClassLabels(P, labels);
  },
  colSums(dtype: DType, A: Matrix, scale: number, out: Matrix): void {
    matrices("colSums", dtype, [
      ["A", A],
      ["out", out],
    ]);
    checkScalar("colSums", "scale", scale);
    checkRow("out", out, A.cols);
    checkDisjoint("colSums", ["out", out], [["A", A]]);
  },
  sumSquares(dtype: DType, x: Matrix): void {
    checkMatrix("sumSquares", "x", x, dtype);
  },
  dot(dtype: DType, x: Matrix, y: Matrix): void {
    matrices("dot", dtype, [
      ["x", x],
      ["y", y],
    ]);
    checkSize("x", x, "y", y);
  },
  axpy(dtype: DType, alpha: number, x: Matrix, y: Matrix): void {
    checkScalar("axpy", "alpha", alpha);
    matrices("axpy", dtype, [
      ["x", x],
      ["y", y],
    ]);
    checkSize("x", x, "y", y);
    checkDisjoint("axpy", ["y", y], [["x", x]], ["x"]);
  },
  gatherRows(dtype: DType, A: Matrix, rows: Int32Array, out: Matrix): void {
    matrices("gatherRows", dtype, [
      ["A", A],
      ["out", out],
    ]);
    checkInt32("gatherRows", "rows", rows);
    checkGatherRows(A, rows, out);
    checkDisjoint("gatherRows", ["out", out], [["A", A]]);
  },
};
