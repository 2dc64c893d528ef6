// The held-out validation set during a stage: its accuracy and cost at a point, the curve of
// them, and early stopping's bookkeeping (the best point so far and how long ago it was).
import { ArgumentError, checkNumber } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { ParamLayout } from "../nn/layout.ts";
import { argmaxRows } from "../nn/softmax.ts";
import { stackFeatures } from "../nn/stack.ts";

/** The validation set's accuracy and cost at one iteration (minibatch methods: the step that ends an epoch). */
export interface ValidationPoint {
  iteration: number;
  /** The fraction of the validation examples classified correctly. */
  accuracy: number;
  /** The mean cross-entropy −(1/m) Σ log p(yᵢ), without weight decay. */
  cost: number;
}

/** What a stage's report holds of its validation: every evaluation, and the best (see `isBetter`). */
export interface StageValidation {
  curve: ValidationPoint[];
  best: ValidationPoint;
  /** The evaluation of the parameters the stage returned: the best with early stopping, else the last. */
  kept: ValidationPoint;
}

/** Accuracy and cost of a stage's parameter vector x on the validation set; it only reads x. */
export type Validate = (x: FloatArray) => Omit<ValidationPoint, "iteration">;

/** Early stopping: stop after `patience` evaluations of the validation set without improvement. */
export interface EarlyStopping {
  patience: number;
}

/** Checks the `earlyStopping` option against the run's data; null when it is absent. */
export function checkEarlyStopping(option: EarlyStopping | undefined, hasValidation: boolean): EarlyStopping | null {
  if (option === undefined) return null;
  const patience = checkNumber("earlyStopping.patience", option.patience, { integer: true, min: 1 });
  if (!hasValidation) {
    throw new ArgumentError(
      `earlyStopping (patience ${patience}) needs a validation set to watch: give the input a validation set (stackae train: --validation-fraction F), or leave early stopping out`,
    );
  }
  return { patience };
}

/**
 * Whether `a` is better than `b`: a higher accuracy, or the same accuracy at a lower cost (the
 * accuracy of a small validation set moves in steps, so the cost decides between equals).
 */
export function isBetter(a: ValidationPoint, b: ValidationPoint): boolean {
  return a.accuracy > b.accuracy || (a.accuracy === b.accuracy && a.cost < b.cost);
}

/**
 * Accuracy and cost of softmax θ (k × d) on F (m × d), the validation set's top features with
 * their labels: the logits Z = F θᵀ, their argmax (as `predict` takes it), then the cross-entropy.
 */
export function softmaxValidation<T extends FloatArray>(
  backend: Backend<T>,
  F: Matrix<T>,
  labels: Int32Array,
  classes: number,
): Validate {
  return (x) => {
    const theta = backend.fromValues(classes, F.cols, x);
    const Z = backend.zeros(F.rows, classes);
    try {
      backend.gemm(false, true, 1, F, theta, 0, Z);
      return scoreLogits(backend, Z, labels);
    } finally {
      backend.free(Z);
      backend.free(theta);
    }
  };
}

/** Accuracy and cost of a whole stack-layout vector on X (m × n), the validation examples. */
export function stackValidation<T extends FloatArray>(
  backend: Backend<T>,
  layout: ParamLayout,
  X: Matrix<T>,
  labels: Int32Array,
): Validate {
  return (x) => {
    const theta = backend.fromValues(1, layout.length, x);
    const F = stackFeatures(backend, layout, theta, X);
    const W = layout.view(theta, "theta");
    const Z = backend.zeros(X.rows, W.rows);
    try {
      backend.gemm(false, true, 1, F, W, 0, Z);
      return scoreLogits(backend, Z, labels);
    } finally {
      backend.free(Z);
      if (F !== X) backend.free(F);
      backend.free(theta);
    }
  };
}

/** Accuracy of the logits Z (m × k)'s argmax, then the mean cross-entropy (Z becomes the probabilities). */
function scoreLogits<T extends FloatArray>(
  backend: Backend<T>,
  Z: Matrix<T>,
  labels: Int32Array,
): Omit<ValidationPoint, "iteration"> {
  const predicted = argmaxRows(Z);
  let right = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) right++;
  const cost = backend.softmaxRows(Z, labels) / labels.length;
  return { accuracy: right / labels.length, cost };
}

/** A stage's evaluations of the validation set: the curve, the best point and a copy of its parameters. */
export class ValidationTracker {
  readonly curve: ValidationPoint[] = [];
  best: ValidationPoint | null = null;
  bestParams: Float32Array | null = null;
  /** Evaluations since the best one. */
  sinceBest = 0;
  constructor(private readonly validate: Validate) {}

  /** Evaluates x after `iteration`; keeps a copy of x when it is the best so far (`keep`). */
  record(iteration: number, x: FloatArray, keep: boolean): ValidationPoint {
    const point = { iteration, ...this.validate(x) };
    this.curve.push(point);
    if (this.best === null || isBetter(point, this.best)) {
      this.best = point;
      this.sinceBest = 0;
      if (keep) this.bestParams = Float32Array.from(x);
    } else {
      this.sinceBest++;
    }
    return point;
  }

  /** The curve, the best point and the one kept (the best, or the last); undefined before the first evaluation. */
  report(keptBest: boolean): StageValidation | undefined {
    const last = this.curve.at(-1);
    if (this.best === null || last === undefined) return undefined;
    return { curve: this.curve, best: this.best, kept: keptBest ? this.best : last };
  }
}
