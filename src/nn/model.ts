import { ArgumentError, ShapeError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import { checkFiniteInputs, inputsToMatrix } from "../linalg/inputs.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { ParamLayout } from "./layout.ts";
import { stackFeatures, stackLayout, stackPredict } from "./stack.ts";

/**
 * A trained network: encoders sizes[0] → sizes[1] → … → sizes[L] and a softmax over `classes`,
 * as one flat float32 vector in the stack layout (W1, b1, …, WL, bL, theta).
 */
export interface StackedModel {
  readonly sizes: readonly number[];
  readonly classes: number;
  readonly params: Float32Array;
}

/** The layout of a model's parameter vector. */
export function modelLayout(model: Pick<StackedModel, "sizes" | "classes">): ParamLayout {
  return stackLayout(model.sizes, model.classes);
}

/** Checks that a model's vector has the length its sizes and classes imply. */
export function checkModel(model: StackedModel): ParamLayout {
  const layout = modelLayout(model);
  if (!(model.params instanceof Float32Array)) throw new ArgumentError("model.params must be a Float32Array");
  layout.check("model.params", model.params.length);
  return layout;
}

/**
 * The predicted class of each of the m examples in `inputs` (m × sizes[0] values in [0, 1], or
 * unsigned-byte pixels, scaled by 1/255),
 * computed in blocks of `blockRows` so that memory stays bounded.
 */
export function predict<T extends FloatArray>(
  backend: Backend<T>,
  model: StackedModel,
  inputs: FloatArray | Uint8Array,
  blockRows = 5000,
): Int32Array {
  const { layout, m } = checkInputs(model, inputs);
  const out = new Int32Array(m);
  inBlocks(backend, model, inputs, blockRows, (theta, X, start) => {
    out.set(stackPredict(backend, layout, theta, X), start);
  });
  return out;
}

/**
 * The probability of every class for each of the m examples in `inputs` (as for `predict`):
 * m × classes values, row-major, each row summing to 1, computed in float64 from the logits, in
 * blocks of `blockRows` examples as `predict` is.
 */
export function predictProbabilities<T extends FloatArray>(
  backend: Backend<T>,
  model: StackedModel,
  inputs: FloatArray | Uint8Array,
  blockRows = 5000,
): Float64Array {
  const { layout, m } = checkInputs(model, inputs);
  const k = model.classes;
  const out = new Float64Array(m * k);
  inBlocks(backend, model, inputs, blockRows, (theta, X, start) => {
    const F = stackFeatures(backend, layout, theta, X);
    const Z = backend.zeros(X.rows, k);
    try {
      backend.gemm(false, true, 1, F, layout.view(theta, "theta"), 0, Z);
      out.set(Z.data, start * k);
    } finally {
      backend.free(Z);
      if (F !== X) backend.free(F);
    }
  });
  for (let i = 0; i < m; i++) softmaxRow(out.subarray(i * k, (i + 1) * k));
  return out;
}

/**
 * The hidden features of each of the m examples in `inputs` (as for `predict`): F (m × h_K), the
 * activations of hidden layer `layer` = K (1: the first, the default: the top one, sizes.length − 1),
 * row-major float32, computed by stackFeatures in blocks of `blockRows` examples as `predict` is.
 * This is the transform of self-taught learning (UFLDL): features for another classifier.
 */
export function hiddenFeatures<T extends FloatArray>(
  backend: Backend<T>,
  model: StackedModel,
  inputs: FloatArray | Uint8Array,
  layer = model.sizes.length - 1,
  blockRows = 5000,
): Float32Array {
  const { layout, m } = checkInputs(model, inputs);
  const top = model.sizes.length - 1;
  if (!Number.isInteger(layer) || layer < 1 || layer > top) {
    throw new ArgumentError(`layer must be a hidden layer of the model, an integer in [1, ${top}], got ${layer}`);
  }
  const h = model.sizes[layer] as number;
  const out = new Float32Array(m * h);
  inBlocks(backend, model, inputs, blockRows, (theta, X, start) => {
    const F = stackFeatures(backend, layout, theta, X, layer);
    try {
      out.set(F.data, start * h);
    } finally {
      backend.free(F);
    }
  });
  return out;
}

/** Turns one row of class scores into probabilities, in place (shifted by its largest score). */
function softmaxRow(row: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const z of row) max = Math.max(max, z);
  let sum = 0;
  for (let c = 0; c < row.length; c++) {
    row[c] = Math.exp((row[c] as number) - max);
    sum += row[c] as number;
  }
  for (let c = 0; c < row.length; c++) row[c] = (row[c] as number) / sum;
}

/**
 * Calls `body` with the model's parameters and each block of up to `blockRows` examples of
 * `inputs` (from example `start`) as a matrix in the backend, freeing them after.
 */
function inBlocks<T extends FloatArray>(
  backend: Backend<T>,
  model: StackedModel,
  inputs: FloatArray | Uint8Array,
  blockRows: number,
  body: (theta: Matrix<T>, X: Matrix<T>, start: number) => void,
): void {
  const n = model.sizes[0] as number;
  const m = inputs.length / n;
  const theta = backend.fromValues(1, model.params.length, model.params);
  try {
    for (let start = 0; start < m; start += blockRows) {
      const rows = Math.min(blockRows, m - start);
      const X = inputsToMatrix(backend, rows, n, inputs.subarray(start * n, (start + rows) * n));
      try {
        body(theta, X, start);
      } finally {
        backend.free(X);
      }
    }
  } finally {
    backend.free(theta);
  }
}

/** Checks a model and inputs for it; returns the layout, the input size n and the example count m. */
function checkInputs(
  model: StackedModel,
  inputs: FloatArray | Uint8Array,
): { layout: ParamLayout; n: number; m: number } {
  const layout = checkModel(model);
  const n = model.sizes[0] as number;
  if (inputs.length % n !== 0) {
    throw new ShapeError(
      `inputs must hold whole examples of ${n} values (the model's input size), got ${inputs.length} values`,
    );
  }
  checkFiniteInputs(inputs, n);
  return { layout, n, m: inputs.length / n };
}

/** The fraction of predictions equal to the labels. */
export function accuracy(predictions: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (predictions.length !== labels.length) {
    throw new ShapeError(`${predictions.length} predictions for ${labels.length} labels`);
  }
  let ok = 0;
  for (let i = 0; i < labels.length; i++) if (predictions[i] === labels[i]) ok++;
  return labels.length === 0 ? 0 : ok / labels.length;
}

/** counts[actual][predicted]. */
export function confusionMatrix(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number>,
  classes: number,
): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < labels.length; i++) {
    const row = counts[labels[i] as number];
    const p = predictions[i] as number;
    if (row && p >= 0 && p < classes) row[p] = (row[p] as number) + 1;
  }
  return counts;
}
