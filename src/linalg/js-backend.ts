import { ArgumentError } from "../errors.ts";
import {
  allocate,
  type Backend,
  checkFromValues,
  contract,
  gatherRowsBySet,
  gemmBiasSigmoidThenDelta,
  gemmThenBiasSigmoid,
} from "./backend.ts";
import { type DType, FLOAT32_MIN_NORMAL, type FloatArray, Matrix } from "./matrix.ts";
import { sigmoid } from "./sigmoid.ts";
import { JsSparseOps } from "./sparse.ts";

/**
 * Plain TypeScript kernels, in float32 or float64. The float64 backend is the reference that
 * tests compare against and the one gradient checks run on; arithmetic is done in float64 and
 * rounded on store for float32.
 */
export class JsBackend<T extends FloatArray = FloatArray> implements Backend<T> {
  readonly name = "js";
  readonly dtype: DType;
  readonly #Array: { new (n: number): T };
  readonly sparse: JsSparseOps<T>;

  constructor(dtype: DType = "float64") {
    if (dtype !== "float32" && dtype !== "float64") {
      throw new ArgumentError(`dtype must be "float32" or "float64", got ${JSON.stringify(dtype)}`);
    }
    this.dtype = dtype;
    this.#Array = (dtype === "float32" ? Float32Array : Float64Array) as unknown as { new (n: number): T };
    this.sparse = new JsSparseOps((n) => new this.#Array(n));
  }

  zeros(rows: number, cols: number): Matrix<T> {
    contract.zeros(rows, cols);
    return Matrix.of(rows, cols, allocate(this.#Array, rows, cols));
  }

  fromValues(rows: number, cols: number, values: ArrayLike<number>): Matrix<T> {
    checkFromValues(rows, cols, values);
    const m = this.zeros(rows, cols);
    m.data.set(values);
    return m;
  }

  /** Nothing to give back (the garbage collector does): marks m freed, as the other backends do. */
  free(m: Matrix<T>): void {
    contract.free(m, this.dtype);
    m.storage.freed = true;
  }

  async dispose(): Promise<void> {}

  gemm(transA: boolean, transB: boolean, alpha: number, A: Matrix<T>, B: Matrix<T>, beta: number, C: Matrix<T>): void {
    const [M, N, K] = contract.gemm(this.dtype, transA, transB, alpha, A, B, beta, C);
    const a = A.data;
    const b = B.data;
    const c = C.data;
    const lda = A.cols;
    const ldb = B.cols;
    for (let i = 0; i < M * N; i++) c[i] = beta === 0 ? 0 : beta * (c[i] as number);
    if (alpha === 0 || K === 0) return;
    // Row i of op(A), copied once so that the inner loops are branch-free and contiguous.
    const aRow = new Float64Array(K);
    for (let i = 0; i < M; i++) {
      for (let k = 0; k < K; k++) aRow[k] = (transA ? a[k * lda + i] : a[i * lda + k]) as number;
      const ci = i * N;
      if (transB) {
        // op(B)(k, j) = B[j, k]: row j of B is contiguous along k, so take dot products.
        for (let j = 0; j < N; j++) {
          const bj = j * ldb;
          let s = 0;
          for (let k = 0; k < K; k++) s += (aRow[k] as number) * (b[bj + k] as number);
          c[ci + j] = (c[ci + j] as number) + alpha * s;
        }
      } else {
        // op(B)(k, j) = B[k, j]: add alpha·A(i, k) times row k of B into row i of C.
        for (let k = 0; k < K; k++) {
          const aik = alpha * (aRow[k] as number);
          if (aik === 0) continue;
          const bk = k * ldb;
          for (let j = 0; j < N; j++) c[ci + j] = (c[ci + j] as number) + aik * (b[bk + j] as number);
        }
      }
    }
  }

  gemmBiasSigmoid(A: Matrix<T>, W: Matrix<T>, b: Matrix<T>, out: Matrix<T>): void {
    contract.gemmBiasSigmoid(this.dtype, A, W, b, out);
    gemmThenBiasSigmoid(this, A, W, b, out);
  }

  biasSigmoid(Z: Matrix<T>, b: Matrix<T>, out: Matrix<T>): void {
    contract.biasSigmoid(this.dtype, Z, b, out);
    const z = Z.data;
    const bv = b.data;
    const o = out.data;
    const n = Z.cols;
    for (let i = 0; i < Z.size; i++) o[i] = sigmoid((z[i] as number) + (bv[i % n] as number));
  }

  sigmoidGradMul(A: Matrix<T>, D: Matrix<T>, out: Matrix<T>): void {
    contract.sigmoidGradMul(this.dtype, A, D, out);
    const a = A.data;
    const d = D.data;
    const o = out.data;
    for (let i = 0; i < A.size; i++) {
      const ai = a[i] as number;
      o[i] = (d[i] as number) * ai * (1 - ai);
    }
  }

  addRowSigmoidGradMul(D: Matrix<T>, s: Matrix<T>, A: Matrix<T>): void {
    contract.addRowSigmoidGradMul(this.dtype, D, s, A);
    const d = D.data;
    const sv = s.data;
    const a = A.data;
    const n = D.cols;
    for (let i = 0; i < D.size; i++) {
      const ai = a[i] as number;
      d[i] = ((d[i] as number) + (sv[i % n] as number)) * ai * (1 - ai);
    }
  }

  squaredErrorDelta(A3: Matrix<T>, X: Matrix<T>, delta: Matrix<T>, sums?: Matrix<T>, scale = 1): number {
    contract.squaredErrorDelta(this.dtype, A3, X, delta, sums, scale);
    const a = A3.data;
    const x = X.data;
    const d = delta.data;
    let total = 0;
    for (let i = 0; i < A3.size; i++) {
      const ai = a[i] as number;
      const e = ai - (x[i] as number);
      total += e * e;
      d[i] = e * ai * (1 - ai);
    }
    if (sums) this.colSums(delta, scale, sums);
    return total;
  }

  reconstructionDelta(
    H: Matrix<T>,
    W: Matrix<T>,
    b: Matrix<T>,
    X: Matrix<T>,
    delta: Matrix<T>,
    sums: Matrix<T>,
    scale: number,
  ): number {
    contract.reconstructionDelta(this.dtype, H, W, b, X, delta, sums, scale);
    return gemmBiasSigmoidThenDelta(this, H, W, b, X, delta, sums, scale);
  }

  softmaxRows(P: Matrix<T>, labels: Int32Array): number {
    contract.softmaxRows(this.dtype, P, labels);
    const k = P.cols;
    const p = P.data;
    const tiny = this.dtype === "float32" ? FLOAT32_MIN_NORMAL : 0;
    let nll = 0;
    for (let i = 0; i < P.rows; i++) {
      const row = i * k;
      let max = Number.NEGATIVE_INFINITY;
      for (let c = 0; c < k; c++) max = Math.max(max, p[row + c] as number);
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp((p[row + c] as number) - max);
      const logSum = Math.log(sum);
      nll -= (p[row + (labels[i] as number)] as number) - max - logSum;
      for (let c = 0; c < k; c++) {
        const q = Math.exp((p[row + c] as number) - max - logSum);
        p[row + c] = q < tiny ? 0 : q;
      }
    }
    return nll;
  }

  colSums(A: Matrix<T>, scale: number, out: Matrix<T>): void {
    contract.colSums(this.dtype, A, scale, out);
    const a = A.data;
    const n = A.cols;
    const sums = new Float64Array(n);
    for (let i = 0; i < A.rows; i++) {
      for (let j = 0; j < n; j++) sums[j] = (sums[j] as number) + (a[i * n + j] as number);
    }
    const o = out.data;
    for (let j = 0; j < n; j++) o[j] = scale * (sums[j] as number);
  }

  sumSquares(x: Matrix<T>): number {
    contract.sumSquares(this.dtype, x);
    return this.dot(x, x);
  }

  dot(x: Matrix<T>, y: Matrix<T>): number {
    contract.dot(this.dtype, x, y);
    const xv = x.data;
    const yv = y.data;
    let s = 0;
    for (let i = 0; i < x.size; i++) s += (xv[i] as number) * (yv[i] as number);
    return s;
  }

  axpy(alpha: number, x: Matrix<T>, y: Matrix<T>): void {
    contract.axpy(this.dtype, alpha, x, y);
    const xv = x.data;
    const yv = y.data;
    for (let i = 0; i < x.size; i++) yv[i] = (yv[i] as number) + alpha * (xv[i] as number);
  }

  gatherRows(A: Matrix<T>, rows: Int32Array, out: Matrix<T>): void {
    contract.gatherRows(this.dtype, A, rows, out);
    gatherRowsBySet(A, rows, out);
  }
}
