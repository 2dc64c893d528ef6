import { checkNumber } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import { checkShape, type FloatArray, type Matrix } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";
import { checkLabels, type Labels } from "./labels.ts";
import { ParamLayout } from "./layout.ts";
import { defineObjective, type Objective } from "./objective.ts";

/** Softmax regression, SPEC §2: θ (classes × features), no bias. */
export function softmaxLayout(classes: number, features: number): ParamLayout {
  return new ParamLayout([{ name: "theta", rows: classes, cols: features }]);
}

/**
 * Forward: P (m × k) = softmax of the rows of F θᵀ (backend.softmaxRows: each row's maximum
 * subtracted before exp). Returns Σᵢ −log P[i, yᵢ], computed from the logits (log-sum-exp). F (m
 * × d), θ (k × d).
 */
export function softmaxForward<T extends FloatArray>(
  backend: Backend<T>,
  F: Matrix<T>,
  theta: Matrix<T>,
  labels: Int32Array,
  P: Matrix<T>,
): number {
  backend.gemm(false, true, 1, F, theta, 0, P);
  return backend.softmaxRows(P, labels);
}

/**
 * The backward twin of softmaxForward. P holds the probabilities and becomes G = P − Y.
 * Writes ∇θ = Gᵀ F / m + λ θ and, when `deltaF` (m × d) is given, deltaF = G θ: the gradient
 * of m·J with respect to F, which the stack propagates into its encoders (SPEC §4), times
 * `deltaScale`.
 */
export function softmaxBackward<T extends FloatArray>(
  backend: Backend<T>,
  F: Matrix<T>,
  theta: Matrix<T>,
  labels: Int32Array,
  P: Matrix<T>,
  lambda: number,
  gradTheta: Matrix<T>,
  deltaF?: Matrix<T>,
  deltaScale = 1,
): void {
  const k = P.cols;
  const p = P.data;
  for (let i = 0; i < P.rows; i++) {
    const at = i * k + (labels[i] as number);
    p[at] = (p[at] as number) - 1;
  }
  backend.gemm(true, false, 1 / F.rows, P, F, 0, gradTheta);
  backend.axpy(lambda, theta, gradTheta);
  if (deltaF) backend.gemm(false, false, deltaScale, P, theta, 0, deltaF);
}

export interface SoftmaxOptions {
  /** Number of classes k. */
  classes: number;
  /** Weight decay λ on θ. */
  lambda: number;
}

/** J(θ) = −(1/m) Σ log P[i, yᵢ] + (λ/2)‖θ‖², SPEC §2, on features F (m × d). */
export function createSoftmaxCost<T extends FloatArray>(
  backend: Backend<T>,
  F: Matrix<T>,
  labels: Labels,
  options: SoftmaxOptions,
): Objective {
  const classes = checkNumber("classes", options.classes, { integer: true, min: 2 });
  const lambda = checkNumber("lambda", options.lambda, { min: 0 });
  const y = checkLabels(labels, F.rows, classes);
  const layout = softmaxLayout(classes, F.cols);
  const m = F.rows;
  const P = backend.zeros(m, classes);
  return defineObjective(backend, layout, [P], (params, grads) => {
    const theta = params.theta as Matrix<T>;
    const nll = softmaxForward(backend, F, theta, y, P);
    const J = nll / m + (lambda / 2) * backend.sumSquares(theta);
    softmaxBackward(backend, F, theta, y, P, lambda, grads.theta as Matrix<T>);
    return J;
  });
}

/** θ = 0.005 · N(0, 1), SPEC §2. */
export function initSoftmax(theta: FloatArray, rng: Rng): void {
  for (let i = 0; i < theta.length; i++) theta[i] = 0.005 * rng.normal();
}

/** The arg-max class of each row of F θᵀ (F m × d, θ k × d). */
export function softmaxPredict<T extends FloatArray>(backend: Backend<T>, F: Matrix<T>, theta: Matrix<T>): Int32Array {
  checkShape("theta", theta, theta.rows, F.cols);
  const Z = backend.zeros(F.rows, theta.rows);
  try {
    backend.gemm(false, true, 1, F, theta, 0, Z);
    return argmaxRows(Z);
  } finally {
    backend.free(Z);
  }
}

/** The column index of each row's maximum (the first one on ties). */
export function argmaxRows(Z: Matrix): Int32Array {
  const out = new Int32Array(Z.rows);
  const z = Z.data;
  for (let i = 0; i < Z.rows; i++) {
    let best = 0;
    for (let c = 1; c < Z.cols; c++) if ((z[i * Z.cols + c] as number) > (z[i * Z.cols + best] as number)) best = c;
    out[i] = best;
  }
  return out;
}
