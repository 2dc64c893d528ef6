import { checkNumber, ShapeError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import { checkSparseMode, type SparseMatrix, type SparseOps, sparseCopy, sparseInput } from "../linalg/sparse.ts";
import { encoderBackward, encoderForward } from "./encoder.ts";
import { checkLabels, type Labels } from "./labels.ts";
import { ParamLayout } from "./layout.ts";
import type { Corruption, DropoutMasks } from "./masking-noise.ts";
import { type BatchObjective, defineBatchObjective, defineObjective, type Objective } from "./objective.ts";
import { softmaxBackward, softmaxForward, softmaxPredict } from "./softmax.ts";
import type { DataOptions } from "./sparse-autoencoder.ts";

/**
 * A stack of sigmoid encoders with a softmax on top (SPEC §4). `sizes` = [input, h1, …, hL]:
 * encoder l maps sizes[l−1] → sizes[l]. Tensors: W1 (h1 × input), b1 (1 × h1), …, WL, bL,
 * then theta (classes × hL).
 */
export function stackLayout(sizes: readonly number[], classes: number): ParamLayout {
  checkSizes(sizes);
  checkNumber("classes", classes, { integer: true, min: 2 });
  const tensors = [];
  for (let l = 1; l < sizes.length; l++) {
    tensors.push({ name: `W${l}`, rows: sizes[l] as number, cols: sizes[l - 1] as number });
    tensors.push({ name: `b${l}`, rows: 1, cols: sizes[l] as number });
  }
  tensors.push({ name: "theta", rows: classes, cols: sizes[sizes.length - 1] as number });
  return new ParamLayout(tensors);
}

function checkSizes(sizes: readonly number[]): void {
  if (!Array.isArray(sizes) || sizes.length < 1) {
    throw new ShapeError(`sizes must list the input size then each layer's size, got ${JSON.stringify(sizes)}`);
  }
  sizes.forEach((s, i) => {
    checkNumber(`sizes[${i}]`, s, { integer: true, min: 1 });
  });
}

export interface StackOptions {
  /** [input, h1, …, hL]. */
  sizes: readonly number[];
  classes: number;
  /** Weight decay λ on θ only (the encoders are not decayed by it during fine-tuning, as in UFLDL). */
  lambda: number;
  /** Weight decay on every encoder's weights W1…WL (not the biases): (wd/2)·Σ‖Wl‖² (default 0: none). */
  weightDecay?: number;
  /**
   * Where given, the stack sees X̃ = corrupt(X) at each evaluation instead of X: inputDropout(p,
   * rng) while training, fixedMask(…) for a gradient check.
   */
  corruption?: Corruption;
  /**
   * Where given, each hidden layer's activations are multiplied by a mask drawn at each
   * evaluation: hiddenDropout(p, rng) while training, fixedDropout(…) for a gradient check.
   */
  dropout?: DropoutMasks;
}

/**
 * The power of two that every delta below the softmax is multiplied by during backpropagation,
 * as loss scaling does in mixed-precision training; the gradients come out unscaled. A trained
 * stack's deltas and activations are mostly far below 1 (at the 206th fine-tuning iteration of
 * the reference experiment, 97 % of the top encoder's deltas were below 2^-20 and 29 % of the
 * first layer's activations below 2^-63), so that their products fall below 2^-126, where
 * Intel's cores multiply and round through microcode assists, and the Wasm backend has no
 * flush-to-zero mode to avoid them. Scaled by 2^64 they stay normal floats. Multiplying by a
 * power of two is exact: every gradient that is a normal float comes out with the same bits as
 * unscaled, and only those below 2^-126 differ (now rounded as the scaled products were).
 */
const DELTA_SCALE = 2 ** 64;

/**
 * acts[l] (m × sizes[l]) the activations for l ≥ 1, each overwritten by its layer's delta on the
 * way down once nothing reads it; below (m × the widest layer) each Δ·W before f' makes it the
 * delta; P (m × classes). With dropout, kept[l] = acts[l] ⊙ masks[l], what the layer above sees.
 */
interface StackWorkspace<T extends FloatArray> {
  acts: Matrix<T>[];
  below: Matrix<T>;
  P: Matrix<T>;
  dropout?: { kept: Matrix<T>[]; masks: Float32Array[] };
}

function stackWorkspace<T extends FloatArray>(
  backend: Backend<T>,
  m: number,
  sizes: readonly number[],
  classes: number,
  dropout = false,
): StackWorkspace<T> {
  const hidden = sizes.slice(1);
  const acts = hidden.map((h) => backend.zeros(m, h));
  const below = backend.zeros(m, Math.max(0, ...hidden));
  const w: StackWorkspace<T> = { acts, below, P: backend.zeros(m, classes) };
  if (dropout) {
    w.dropout = {
      kept: hidden.map((h) => backend.zeros(m, h)),
      masks: hidden.map((h) => new Float32Array(m * h)),
    };
  }
  return w;
}

function workspaceList<T extends FloatArray>(w: StackWorkspace<T>): Matrix<T>[] {
  return [...w.acts, w.below, w.P, ...(w.dropout?.kept ?? [])];
}

/** out = A ⊙ mask, elementwise (out may be A). */
function multiplyMask<T extends FloatArray>(A: Matrix<T>, mask: Float32Array, out: Matrix<T>): void {
  const a = A.data;
  const o = out.data;
  for (let i = 0; i < mask.length; i++) o[i] = (a[i] as number) * (mask[i] as number);
}

/**
 * J, and ∇J by backpropagation with every delta below the softmax times `deltaScale`, on X (m ×
 * input) with its labels y (checked); Xs is X's sparse copy, or null (dense).
 */
function stackBackprop<T extends FloatArray>(
  backend: Backend<T>,
  lambda: number,
  X: Matrix<T>,
  y: Int32Array,
  Xs: SparseMatrix | null,
  w: StackWorkspace<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
  deltaScale: number,
): number {
  const L = w.acts.length;
  const m = X.rows;
  /** acts[0] is X, never written. */
  const acts = [X, ...w.acts];
  /** What each layer passes up: its activations, or with dropout their masked copy. */
  const outs = w.dropout ? [X, ...w.dropout.kept] : acts;
  const masks = w.dropout ? [new Float32Array(0), ...w.dropout.masks] : null;
  const P = w.P;
  for (let l = 1; l <= L; l++) {
    encoderForward(
      backend,
      outs[l - 1] as Matrix<T>,
      p[`W${l}`] as Matrix<T>,
      p[`b${l}`] as Matrix<T>,
      acts[l] as Matrix<T>,
      l === 1 ? Xs : null,
    );
    if (masks) multiplyMask(acts[l] as Matrix<T>, masks[l] as Float32Array, outs[l] as Matrix<T>);
  }
  const top = outs[L] as Matrix<T>;
  const theta = p.theta as Matrix<T>;
  const J = softmaxForward(backend, top, theta, y, P) / m + (lambda / 2) * backend.sumSquares(theta);
  if (L === 0) {
    softmaxBackward(backend, top, theta, y, P, lambda, g.theta as Matrix<T>);
    return J;
  }
  // δ^L = (P − Y) θ ⊙ f'(z^L); then δ^l = (δ^{l+1} W) ⊙ f'(z^l) down the stack, each δ^l
  // written over acts[l] once the products that read acts[l] are done.
  const upper = w.below.view(0, m, theta.cols);
  softmaxBackward(backend, top, theta, y, P, lambda, g.theta as Matrix<T>, upper, deltaScale);
  toDelta(backend, upper, masks?.[L], acts[L] as Matrix<T>);
  for (let l = L; l >= 1; l--) {
    const W = p[`W${l}`] as Matrix<T>;
    const delta = acts[l] as Matrix<T>;
    const gW = g[`W${l}`] as Matrix<T>;
    encoderBackward(
      backend,
      outs[l - 1] as Matrix<T>,
      delta,
      W,
      gW,
      g[`b${l}`] as Matrix<T>,
      undefined,
      l === 1 ? Xs : null,
      deltaScale,
    );
    if (l === 1) break;
    const product = w.below.view(0, m, W.cols);
    backend.gemm(false, false, 1, delta, W, 0, product);
    toDelta(backend, product, masks?.[l - 1], acts[l - 1] as Matrix<T>);
  }
  return J;
}

/**
 * A layer's delta from the product D = δ_above·W that reaches its output: D ⊙ f'(z) written over
 * its activations A (f'(z) = A ⊙ (1 − A)). With dropout, D is masked first, as the activations
 * were on their way up, and f' is of the activations before the mask.
 */
function toDelta<T extends FloatArray>(
  backend: Backend<T>,
  D: Matrix<T>,
  mask: Float32Array | undefined,
  A: Matrix<T>,
): void {
  if (mask) multiplyMask(D, mask, D);
  backend.sigmoidGradMul(A, D, A);
}

/** stackBackprop with DELTA_SCALE, and again unscaled where an encoder's gradient overflowed scaled. */
function stackEvaluate<T extends FloatArray>(
  backend: Backend<T>,
  lambda: number,
  X: Matrix<T>,
  y: Int32Array,
  Xs: SparseMatrix | null,
  w: StackWorkspace<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
): number {
  const J = stackBackprop(backend, lambda, X, y, Xs, w, p, g, DELTA_SCALE);
  let sum = 0;
  for (let l = 1; l <= w.acts.length; l++)
    sum += backend.sumSquares(g[`W${l}`] as Matrix<T>) + backend.sumSquares(g[`b${l}`] as Matrix<T>);
  // A gradient of 2^64 or more overflows scaled: then it is computed again unscaled.
  return Number.isFinite(sum) ? J : stackBackprop(backend, lambda, X, y, Xs, w, p, g, 1);
}

/** Adds (wd/2)·Σ‖Wl‖² to J and wd·Wl to each ∇Wl; returns J. Nothing to do for wd = 0. */
function addWeightDecay<T extends FloatArray>(
  backend: Backend<T>,
  weightDecay: number,
  layers: number,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
  J: number,
): number {
  if (weightDecay === 0) return J;
  let sum = 0;
  for (let l = 1; l <= layers; l++) {
    const W = p[`W${l}`] as Matrix<T>;
    sum += backend.sumSquares(W);
    backend.axpy(weightDecay, W, g[`W${l}`] as Matrix<T>);
  }
  return J + (weightDecay / 2) * sum;
}

/** What one evaluation of the stack's cost needs besides its data. */
interface StackEvaluation<T extends FloatArray> {
  lambda: number;
  weightDecay: number;
  /** Draws X̃ from X, into `Xt`; absent: the stack sees X. */
  corruption: Corruption | undefined;
  Xt: Matrix<T> | null;
  /** The backend's sparse products for X̃'s copy, where it is to have one. */
  ops: SparseOps<T> | undefined;
  /** Draws the hidden layers' masks into the workspace's; absent: no dropout. */
  dropout: DropoutMasks | undefined;
}

/**
 * stackEvaluate with fine-tuning's regularisers: on X̃ = corrupt(X) (with its own sparse copy)
 * where there is a corruption, with new dropout masks of the hidden layers where there is
 * dropout, and with the weight decay of every encoder added.
 */
function regularisedEvaluate<T extends FloatArray>(
  backend: Backend<T>,
  e: StackEvaluation<T>,
  X: Matrix<T>,
  y: Int32Array,
  Xs: SparseMatrix | null,
  w: StackWorkspace<T>,
  p: Record<string, Matrix<T>>,
  g: Record<string, Matrix<T>>,
): number {
  const L = w.acts.length;
  // Drawn once an evaluation: a retry unscaled (stackEvaluate) sees the same masks.
  if (e.dropout && w.dropout) for (const [i, mask] of w.dropout.masks.entries()) e.dropout.draw(i + 1, mask);
  if (!e.corruption || !e.Xt)
    return addWeightDecay(backend, e.weightDecay, L, p, g, stackEvaluate(backend, e.lambda, X, y, Xs, w, p, g));
  e.corruption.corrupt(X.data, e.Xt.data);
  const Xts = L > 0 ? sparseCopy(e.ops, e.Xt) : null;
  try {
    const J = stackEvaluate(backend, e.lambda, e.Xt, y, Xts, w, p, g);
    return addWeightDecay(backend, e.weightDecay, L, p, g, J);
  } finally {
    if (Xts) e.ops?.free(Xts);
  }
}

/** The regularisers of `options`, checked. */
function regularisers(
  options: StackOptions,
): Pick<StackEvaluation<FloatArray>, "weightDecay" | "corruption" | "dropout"> {
  return {
    weightDecay: checkNumber("weightDecay", options.weightDecay ?? 0, { min: 0 }),
    corruption: options.corruption,
    dropout: options.dropout,
  };
}

/**
 * The fine-tuning cost of SPEC §4 on X (m × input) with labels: the softmax cost of §2 on the
 * top layer's activations, and its gradient with respect to every encoder and θ by
 * backpropagation. Works for any number of encoders (none: plain softmax regression).
 */
export function createStackCost<T extends FloatArray>(
  backend: Backend<T>,
  X: Matrix<T>,
  labels: Labels,
  options: StackOptions & DataOptions,
): Objective {
  stackLayout(options.sizes, options.classes);
  const sparseInput = checkSparseMode(options.sparseInput);
  const lambda = checkNumber("lambda", options.lambda, { min: 0 });
  const sizes = options.sizes;
  if (X.cols !== sizes[0]) throw new ShapeError(`X must have ${sizes[0]} columns (sizes[0]), got ${X.cols}`);
  const y = checkLabels(labels, X.rows, options.classes);
  return stackCost(backend, X, y, { ...options, sizes, classes: options.classes, lambda, sparseInput });
}

/**
 * The cost of createStackCost, its options and labels already checked (checkLabels): for a
 * caller that checks them once for all its costs, as the training pipeline does.
 */
export function stackCost<T extends FloatArray>(
  backend: Backend<T>,
  X: Matrix<T>,
  y: Int32Array,
  options: StackOptions & DataOptions,
): Objective {
  const { sizes, classes, lambda } = options;
  const { weightDecay, corruption, dropout } = regularisers(options);
  const w = stackWorkspace(backend, X.rows, sizes, classes, dropout !== undefined);
  const mode = sizes.length > 1 ? (options.sparseInput ?? "auto") : "never";
  /** The sparse copy of X for the first encoder's two products with it (null: dense); X̃'s is taken at each evaluation. */
  const sparseX = sparseInput(backend.sparse, X, corruption ? "never" : mode);
  const Xt = corruption ? backend.zeros(X.rows, X.cols) : null;
  const ops = mode === "never" ? undefined : backend.sparse;
  const e: StackEvaluation<T> = { lambda, weightDecay, corruption, Xt, ops, dropout };
  return defineObjective(
    backend,
    stackLayout(sizes, classes),
    Xt ? [...workspaceList(w), Xt] : workspaceList(w),
    (p, g) => regularisedEvaluate(backend, e, X, y, sparseX.current(), w, p, g),
    () => sparseX.free(),
  );
}

/** The cost of createStackCost on each minibatch it is given, with its checked labels. */
export function createStackBatchCost<T extends FloatArray>(
  backend: Backend<T>,
  options: StackOptions,
): BatchObjective<T> {
  const layout = stackLayout(options.sizes, options.classes);
  const lambda = checkNumber("lambda", options.lambda, { min: 0 });
  const { sizes, classes } = options;
  const { weightDecay, corruption, dropout } = regularisers(options);
  // With a corruption, a batch's sparse copy is of X̃, taken here, not of the clean batch.
  const ops = corruption && backend.sparse?.perBatch ? backend.sparse : undefined;
  return defineBatchObjective(backend, layout, sizes.length > 1 && !corruption, (m) => {
    const w = stackWorkspace(backend, m, sizes, classes, dropout !== undefined);
    const Xt = corruption ? backend.zeros(m, sizes[0] as number) : null;
    const e: StackEvaluation<T> = { lambda, weightDecay, corruption, Xt, ops, dropout };
    return {
      workspace: Xt ? [...workspaceList(w), Xt] : workspaceList(w),
      evaluate: (p, g, X, y, Xs) => regularisedEvaluate(backend, e, X, y as Int32Array, Xs, w, p, g),
    };
  });
}

/**
 * The features of X (m × n) through encoders 1…L of θ (a stack-layout vector in backend memory):
 * the top layer's (m × h_L), or with `layers` = K the K-th hidden layer's (m × h_K). X itself
 * when K is 0.
 */
export function stackFeatures<T extends FloatArray>(
  backend: Backend<T>,
  layout: ParamLayout,
  theta: Matrix<T>,
  X: Matrix<T>,
  layers = Number.POSITIVE_INFINITY,
): Matrix<T> {
  let A = X;
  for (let l = 1; l <= layers && layout.names().includes(`W${l}`); l++) {
    const W = layout.view(theta, `W${l}`);
    const next = backend.zeros(X.rows, W.rows);
    encoderForward(backend, A, W, layout.view(theta, `b${l}`), next);
    if (A !== X) backend.free(A);
    A = next;
  }
  return A;
}

/** The predicted class of every row of X. */
export function stackPredict<T extends FloatArray>(
  backend: Backend<T>,
  layout: ParamLayout,
  theta: Matrix<T>,
  X: Matrix<T>,
): Int32Array {
  const F = stackFeatures(backend, layout, theta, X);
  try {
    return softmaxPredict(backend, F, layout.view(theta, "theta"));
  } finally {
    if (F !== X) backend.free(F);
  }
}
