// Test functions with known minima, for every optimiser.
import type { FloatArray } from "../../src/linalg/matrix.ts";
import { Rng } from "../../src/linalg/rng.ts";

/** 2-D Rosenbrock f = 100(x₂ − x₁²)² + (1 − x₁)², minimum 0 at (1, 1). */
export function rosenbrock(x: FloatArray, g: FloatArray): number {
  const a = x[0] as number;
  const b = x[1] as number;
  g[0] = -400 * a * (b - a * a) - 2 * (1 - a);
  g[1] = 200 * (b - a * a);
  return 100 * (b - a * a) ** 2 + (1 - a) ** 2;
}

/** A matrix (rows × cols, cols ≤ rows) with orthonormal columns, by modified Gram–Schmidt. */
function orthonormalColumns(rows: number, cols: number, rng: Rng): Float64Array[] {
  const cs: Float64Array[] = [];
  for (let j = 0; j < cols; j++) {
    const v = Float64Array.from({ length: rows }, () => rng.normal());
    for (const c of cs) {
      let d = 0;
      for (let i = 0; i < rows; i++) d += (c[i] as number) * (v[i] as number);
      for (let i = 0; i < rows; i++) v[i] = (v[i] as number) - d * (c[i] as number);
    }
    let n = 0;
    for (let i = 0; i < rows; i++) n += (v[i] as number) ** 2;
    n = Math.sqrt(n);
    for (let i = 0; i < rows; i++) v[i] = (v[i] as number) / n;
    cs.push(v);
  }
  return cs;
}

/**
 * Least squares f(x) = (1/2m) Σᵢ (aᵢᵀx − bᵢ)² in n dimensions with a consistent right-hand side
 * b = A x*, so that the minimum is exactly f(x*) = 0. A = √m · U · D · Qᵀ (U, Q with orthonormal
 * columns) makes the Hessian AᵀA/m = Q D² Qᵀ, whose condition number is exactly `condition`
 * (eigenvalues log-spaced from 1 to `condition`).
 */
export function leastSquares(n: number, m: number, condition: number, seed: number) {
  const rng = new Rng(seed);
  const U = orthonormalColumns(m, n, rng); // n columns of length m
  const Q = orthonormalColumns(n, n, rng); // n columns of length n
  const dj = Array.from({ length: n }, (_, j) => Math.sqrt(condition ** (j / (n - 1))));
  // A[i][k] = √m Σⱼ U[i][j] d[j] Q[k][j]
  const A = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < n; k++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += (U[j]![i] as number) * (dj[j] as number) * (Q[j]![k] as number);
      A[i * n + k] = Math.sqrt(m) * s;
    }
  }
  const xStar = Float64Array.from({ length: n }, () => rng.uniformIn(-1, 1));
  const b = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k < n; k++) s += (A[i * n + k] as number) * (xStar[k] as number);
    b[i] = s;
  }
  const batchCost = (x: FloatArray, g: FloatArray, rows: ArrayLike<number>): number => {
    g.fill(0);
    let f = 0;
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r] as number;
      let e = -(b[i] as number);
      for (let k = 0; k < n; k++) e += (A[i * n + k] as number) * (x[k] as number);
      f += e * e;
      for (let k = 0; k < n; k++) g[k] = (g[k] as number) + (e * (A[i * n + k] as number)) / rows.length;
    }
    return f / (2 * rows.length);
  };
  const all = Int32Array.from({ length: m }, (_, i) => i);
  return {
    n,
    m,
    xStar,
    A,
    b,
    full: (x: FloatArray, g: FloatArray) => batchCost(x, g, all),
    minibatch: { examples: m, cost: batchCost },
  };
}

/**
 * L2-regularised logistic regression on a separable 2-class problem in `dim` dimensions
 * (labels by the sign of wᵀz for a hidden w): f(x) = (1/m) Σ log(1 + exp(−yᵢ xᵀzᵢ)) + (λ/2)‖x‖².
 * Strictly convex, so the minimum is where ∇f = 0.
 */
export function logistic(dim: number, m: number, lambda: number, seed: number) {
  const rng = new Rng(seed);
  const w = Float64Array.from({ length: dim }, () => rng.normal());
  const Z = new Float64Array(m * dim);
  const y = new Float64Array(m);
  for (let i = 0; i < m; i++) {
    let s = 0;
    for (let k = 0; k < dim; k++) {
      const v = rng.normal();
      Z[i * dim + k] = v;
      s += v * (w[k] as number);
    }
    y[i] = s >= 0 ? 1 : -1;
  }
  const batchCost = (x: FloatArray, g: FloatArray, rows: ArrayLike<number>): number => {
    let f = 0;
    for (let k = 0; k < dim; k++) g[k] = lambda * (x[k] as number);
    for (let r = 0; r < rows.length; r++) {
      const i = rows[r] as number;
      let s = 0;
      for (let k = 0; k < dim; k++) s += (x[k] as number) * (Z[i * dim + k] as number);
      const margin = (y[i] as number) * s;
      // log(1 + e^{−margin}) without overflow
      f += margin > 0 ? Math.log1p(Math.exp(-margin)) : -margin + Math.log1p(Math.exp(margin));
      const coef = -(y[i] as number) / (1 + Math.exp(margin)) / rows.length;
      for (let k = 0; k < dim; k++) g[k] = (g[k] as number) + coef * (Z[i * dim + k] as number);
    }
    let reg = 0;
    for (let k = 0; k < dim; k++) reg += (x[k] as number) ** 2;
    return f / rows.length + (lambda / 2) * reg;
  };
  const all = Int32Array.from({ length: m }, (_, i) => i);
  const accuracy = (x: FloatArray): number => {
    let ok = 0;
    for (let i = 0; i < m; i++) {
      let s = 0;
      for (let k = 0; k < dim; k++) s += (x[k] as number) * (Z[i * dim + k] as number);
      if (s * (y[i] as number) > 0) ok++;
    }
    return ok / m;
  };
  return {
    dim,
    m,
    accuracy,
    full: (x: FloatArray, g: FloatArray) => batchCost(x, g, all),
    minibatch: { examples: m, cost: batchCost },
  };
}

export function distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += ((a[i] as number) - (b[i] as number)) ** 2;
  return Math.sqrt(s);
}

export function gradNorm(f: (x: FloatArray, g: FloatArray) => number, x: FloatArray): number {
  const g = new Float64Array(x.length);
  f(x, g);
  return Math.sqrt(g.reduce((s, v) => s + v * v, 0));
}
