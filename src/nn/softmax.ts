import { checkNumber } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import { checkShape, type FloatArray, type Matrix } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";
import { checkLabels, type Labels } from "./labels.ts";
import { ParamLayout } from "./layout.ts";
import { type BatchObjective, defineBatchObjective, defineObjective, type Objective } from "./objective.ts";

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

/** Checks the options, naming the first bad one. */
function checkSoftmaxOptions(options: SoftmaxOptions): SoftmaxOptions {
  return {
    classes: checkNumber("classes", options.classes, { integer: true, min: 2 }),
    lambda: checkNumber("lambda", options.lambda, { min: 0 }),
  };
}

/** J and ∇θ of SPEC §2 on F (m × d) with its labels y (checked), into P (m × classes). */
function softmaxEvaluate<T extends FloatArray>(
  backend: Backend<T>,
  lambda: number,
  F: Matrix<T>,
  y: Int32Array,
  P: Matrix<T>,
  theta: Matrix<T>,
  gradTheta: Matrix<T>,
): number {
  const nll = softmaxForward(backend, F, theta, y, P);
  const J = nll / F.rows + (lambda / 2) * backend.sumSquares(theta);
  softmaxBackward(backend, F, theta, y, P, lambda, gradTheta);
  return J;
}

/** J(θ) = −(1/m) Σ log P[i, yᵢ] + (λ/2)‖θ‖², SPEC §2, on features F (m × d). */
export function createSoftmaxCost<T extends FloatArray>(
  backend: Backend<T>,
  F: Matrix<T>,
  labels: Labels,
  options: SoftmaxOptions,
): Objective {
  const o = checkSoftmaxOptions(options);
  return softmaxCost(backend, F, checkLabels(labels, F.rows, o.classes), o);
}

/**
 * The cost of createSoftmaxCost, its options and labels already checked (checkLabels): for a
 * caller that checks them once for all its costs, as the training pipeline does.
 */
export function softmaxCost<T extends FloatArray>(
  backend: Backend<T>,
  F: Matrix<T>,
  y: Int32Array,
  options: SoftmaxOptions,
): Objective {
  const { classes, lambda } = options;
  const P = backend.zeros(F.rows, classes);
  return defineObjective(backend, softmaxLayout(classes, F.cols), [P], (p, g) =>
    softmaxEvaluate(backend, lambda, F, y, P, p.theta as Matrix<T>, g.theta as Matrix<T>),
  );
}

/** The cost of createSoftmaxCost on each minibatch of `features` values it is given, with its checked labels. */
export function createSoftmaxBatchCost<T extends FloatArray>(
  backend: Backend<T>,
  features: number,
  options: SoftmaxOptions,
): BatchObjective<T> {
  const { classes, lambda } = checkSoftmaxOptions(options);
  return defineBatchObjective(backend, softmaxLayout(classes, features), false, (m) => {
    const P = backend.zeros(m, classes);
    return {
      workspace: [P],
      evaluate: (p, g, F, y) =>
        softmaxEvaluate(backend, lambda, F, y as Int32Array, P, p.theta as Matrix<T>, g.theta as Matrix<T>),
    };
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
