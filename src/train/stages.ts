// The stages of the UFLDL exercise as data: what each one trains, on which rows, with which
// cost, from which starting point. run-stage.ts runs any of them the same way.
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";
import { createDenoisingAutoencoderBatchCost, createDenoisingAutoencoderCost } from "../nn/denoising-autoencoder.ts";
import type { ParamLayout } from "../nn/layout.ts";
import { maskingNoise } from "../nn/masking-noise.ts";
import type { BatchObjective, Objective } from "../nn/objective.ts";
import { createSoftmaxBatchCost, initSoftmax, softmaxCost } from "../nn/softmax.ts";
import {
  createSparseAutoencoderBatchCost,
  createSparseAutoencoderCost,
  initSparseAutoencoder,
  sparseAutoencoderLayout,
} from "../nn/sparse-autoencoder.ts";
import { createStackBatchCost, stackCost, stackLayout } from "../nn/stack.ts";
import {
  createTiedAutoencoderBatchCost,
  createTiedAutoencoderCost,
  initTiedAutoencoder,
  tiedAutoencoderLayout,
} from "../nn/tied-autoencoder.ts";
import { stageName } from "./checkpoint.ts";
import type { AutoencoderSettings, StageSettings, TrainSettings } from "./settings.ts";
import { isStreamed, type StageRows, StreamOptimizerError } from "./stream-rows.ts";
import { type StageValidation, softmaxValidation, stackValidation, type Validate } from "./validation.ts";

/** One stage of a run. Its costs belong to the caller, who disposes them. */
export interface Stage<T extends FloatArray> {
  /** "autoencoder 1", …, "softmax", "fine-tuning" (stageName). */
  readonly name: string;
  /** Its place in the run, as TrainCheckpoint counts: the autoencoders, then the softmax, then fine-tuning. */
  readonly index: number;
  readonly settings: StageSettings;
  /** The rows it trains on (m × n; in memory or streamed), and their labels (checked) where its cost has them. */
  readonly X: StageRows<T>;
  readonly labels?: Int32Array;
  /** The cost on all of X, for L-BFGS. */
  fullBatch(): Objective;
  /** The cost on the minibatches of X's rows it is given, for adam and sgd. */
  minibatch(): BatchObjective<T>;
  /** The starting point, drawn from the run's generator where the stage draws one. */
  init(): Float32Array;
  /** Accuracy and cost of a point on the validation set; absent without one, and for the autoencoders. */
  readonly validate?: Validate;
}

/** What `onStageStart` and every progress event receive about the stage. */
export interface StageInfo {
  /** "autoencoder 1", …, "softmax", "fine-tuning". */
  name: string;
  index: number;
  count: number;
  optimizer: string;
  /** L-BFGS iterations or minibatch steps the stage will run at most. */
  maxIterations: number;
}

/** How a finished stage ended, from its optimiser's result. */
export interface StageReport {
  name: string;
  optimizer: string;
  iterations: number;
  evaluations: number;
  cost: number;
  status: string;
  message: string;
  seconds: number;
  /** The cost after each iteration (minibatch methods: each step's batch cost). */
  costs: number[];
  /**
   * The validation set after each iteration (minibatch methods: each epoch), from the starting
   * point on, and the best; absent without a validation set, and for the autoencoders.
   */
  validation?: StageValidation;
}

/** What the stages of one run are built from. */
export interface RunPlan<T extends FloatArray> {
  readonly backend: Backend<T>;
  readonly settings: TrainSettings;
  /** [input, h1, …, hL]. */
  readonly sizes: readonly number[];
  readonly classes: number;
  /** The labelled examples' labels, checked. */
  readonly labels: Int32Array;
  /** The run's generator, which the stages' starting points draw from. */
  readonly rng: Rng;
  /** The validation examples (mv × sizes[0]) and their labels, checked; absent without a validation set. */
  readonly validation?: { readonly X: Matrix<T>; readonly labels: Int32Array };
}

/**
 * The parameters of an autoencoder visible → hidden → visible as its settings make it: SPEC §1's,
 * or with tiedWeights one matrix W1 for both (no W2). Its encoder is W1 and b1 either way.
 */
export function autoencoderLayout(visible: number, hidden: number, s: AutoencoderSettings): ParamLayout {
  return s.tiedWeights ? tiedAutoencoderLayout(visible, hidden) : sparseAutoencoderLayout(visible, hidden);
}

/**
 * Autoencoder `layer` + 1 (SPEC §3, counted from 0 as TrainCheckpoint counts stages): learns to
 * reconstruct F (m × sizes[layer]), the features below it; its parameters start as SPEC §1 draws
 * them. With `corruption` it is a denoising autoencoder whose masks are drawn from the run's
 * generator at each evaluation (a checkpoint keeps the generator's state, so a resumed run draws
 * the same masks); with `tiedWeights`, W2 = W1ᵀ (docs/denoising.md).
 */
export function autoencoderStage<T extends FloatArray>(plan: RunPlan<T>, layer: number, rows: StageRows<T>): Stage<T> {
  const { backend, settings } = plan;
  const s = settings.autoencoder;
  const cfg = { hidden: settings.layers[layer] as number, lambda: s.lambda, beta: s.beta, rho: s.rho };
  const layout = autoencoderLayout(rows.cols, cfg.hidden, s);
  const tiedWeights = s.tiedWeights === true;
  const denoising = s.corruption !== undefined && s.corruption > 0;
  const noisy = () => ({ ...cfg, tiedWeights, corruption: maskingNoise(s.corruption ?? 0, plan.rng) });
  const name = stageName(layer, settings.layers.length);
  return {
    name,
    index: layer,
    settings: s,
    X: rows,
    fullBatch: () => {
      const F = inMemory(rows, name);
      return denoising
        ? createDenoisingAutoencoderCost(backend, F, noisy())
        : tiedWeights
          ? createTiedAutoencoderCost(backend, F, cfg)
          : createSparseAutoencoderCost(backend, F, cfg);
    },
    minibatch: () =>
      denoising
        ? createDenoisingAutoencoderBatchCost(backend, rows.cols, noisy())
        : tiedWeights
          ? createTiedAutoencoderBatchCost(backend, rows.cols, cfg)
          : createSparseAutoencoderBatchCost(backend, rows.cols, cfg),
    init: () => {
      const x0 = new Float32Array(layout.length);
      (tiedWeights ? initTiedAutoencoder : initSparseAutoencoder)(layout, x0, plan.rng);
      return x0;
    },
  };
}

/**
 * The softmax of SPEC §2 on `top` (m × d), the top features of the labelled examples; θ starts as
 * §2 draws it. `validationTop` (mv × d): the validation examples' top features, where there are some.
 */
export function softmaxStage<T extends FloatArray>(
  plan: RunPlan<T>,
  top: StageRows<T>,
  validationTop?: Matrix<T>,
): Stage<T> {
  const { backend, classes, labels } = plan;
  const s = plan.settings.softmax;
  const L = plan.settings.layers.length;
  const cfg = { classes, lambda: s.lambda };
  return {
    name: stageName(L, L),
    index: L,
    settings: s,
    X: top,
    labels,
    fullBatch: () => softmaxCost(backend, inMemory(top, "softmax"), labels, cfg),
    minibatch: () => createSoftmaxBatchCost(backend, top.cols, cfg),
    init: () => {
      const x0 = new Float32Array(classes * top.cols);
      initSoftmax(x0, plan.rng);
      return x0;
    },
    ...(validationTop && plan.validation
      ? { validate: softmaxValidation(backend, validationTop, plan.validation.labels, classes) }
      : {}),
  };
}

/** Fine-tuning of the whole stack (SPEC §4) on X (m × sizes[0]), from the pretrained `params`. */
export function fineTuneStage<T extends FloatArray>(plan: RunPlan<T>, X: StageRows<T>, params: Float32Array): Stage<T> {
  const { backend, sizes, classes, labels } = plan;
  const s = plan.settings.fineTune;
  const L = plan.settings.layers.length;
  const cfg = { sizes, classes, lambda: s.lambda };
  return {
    name: stageName(L + 1, L),
    index: L + 1,
    settings: s,
    X,
    labels,
    fullBatch: () => stackCost(backend, inMemory(X, "fine-tuning"), labels, cfg),
    minibatch: () => createStackBatchCost(backend, cfg),
    init: () => params.slice(),
    ...(plan.validation
      ? { validate: stackValidation(backend, stackLayout(sizes, classes), plan.validation.X, plan.validation.labels) }
      : {}),
  };
}

/** A stage's rows as the matrix a full-batch cost needs; streamed rows have none (StreamOptimizerError). */
function inMemory<T extends FloatArray>(X: StageRows<T>, stage: string): Matrix<T> {
  if (isStreamed(X)) throw new StreamOptimizerError([stage]);
  return X;
}
