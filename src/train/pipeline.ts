// The UFLDL exercise's steps with SPEC §6's hyperparameters by default: greedy layer-wise
// pretraining of the autoencoders, the softmax on top, then fine-tuning of the whole stack
// (SPEC §3–§4). Each step is a stage (stages.ts), run the same way by runStage.
import { ArgumentError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import { inputsToMatrix } from "../linalg/inputs.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import { Rng } from "../linalg/rng.ts";
import { encoderForward } from "../nn/encoder.ts";
import type { ParamLayout } from "../nn/layout.ts";
import type { StackedModel } from "../nn/model.ts";
import { stackFeatures, stackLayout } from "../nn/stack.ts";
import { runSteps, runStepsAsync, type Steps } from "../optim/steps.ts";
import { checkResume, type RunState, type TrainCheckpoint } from "./checkpoint.ts";
import { checkTrainInput, isStreamedInput, type StreamedTrainInput, summarizeInput, type TrainInput } from "./input.ts";
import { checkpointInterval, type RunContext, type RunControls, runStage } from "./run-stage.ts";
import { type PartialSettings, resolveSettings, type TrainSettings } from "./settings.ts";
import {
  autoencoderLayout,
  autoencoderStage,
  fineTuneStage,
  type RunPlan,
  type StageReport,
  softmaxStage,
} from "./stages.ts";
import {
  type EncoderLayer,
  isStreamed,
  type StageRows,
  StreamOptimizerError,
  streamedRows,
  throughEncoder,
} from "./stream-rows.ts";
import { checkEarlyStopping, type EarlyStopping } from "./validation.ts";

// A checkpoint is what `onCheckpoint` receives and `resume` takes.
export type { TrainCheckpoint } from "./checkpoint.ts";

export interface TrainResult {
  /** The network after pretraining and the softmax, before fine-tuning. */
  pretrained: StackedModel;
  /** The network after fine-tuning. */
  model: StackedModel;
  stages: StageReport[];
  settings: TrainSettings;
}

export interface TrainOptions extends RunControls {
  settings?: PartialSettings;
  /** Continue the run a checkpoint was taken from; its settings are used, so `settings` must be absent. */
  resume?: TrainCheckpoint;
  /**
   * Stop fine-tuning (and a softmax trained by adam or sgd) after `patience` evaluations of
   * `input.validation` without improvement, and keep the parameters of the best one. Needs a
   * validation set. A run resumed inside such a stage starts its count and its best afresh.
   */
  earlyStopping?: EarlyStopping;
}

/**
 * Trains a stacked sparse autoencoder classifier, every stage on `backend`. With the same seed,
 * data, backend and thread count, a run is repeatable bit for bit, resumed or not. It runs to the
 * end on the calling thread: its `signal` can be fired only from its callbacks or another
 * thread; trainStackedAutoencoderAsync gives the event loop a turn between iterations.
 */
export function trainStackedAutoencoder<T extends FloatArray>(
  backend: Backend<T>,
  input: TrainInput | StreamedTrainInput,
  options: TrainOptions = {},
): TrainResult {
  return runSteps(trainSteps(backend, input, options));
}

/**
 * trainStackedAutoencoder, giving the event loop a turn after every iteration (every minibatch
 * step), so that an AbortSignal fired by a timer or a button stops it (it rejects with
 * AbortedError, after a checkpoint where `onCheckpoint` is given), and progress can be drawn while
 * it runs. The same iterations as the synchronous call: the same model, bit for bit. The
 * backend must not be used by anything else until it settles.
 */
export function trainStackedAutoencoderAsync<T extends FloatArray>(
  backend: Backend<T>,
  input: TrainInput | StreamedTrainInput,
  options: TrainOptions = {},
): Promise<TrainResult> {
  return runStepsAsync(trainSteps(backend, input, options));
}

/** The run, yielding after every iteration of every stage. */
function* trainSteps<T extends FloatArray>(
  backend: Backend<T>,
  input: TrainInput | StreamedTrainInput,
  options: TrainOptions,
): Steps<TrainResult> {
  const resume = options.resume ?? null;
  if (resume !== null && options.settings !== undefined) {
    throw new ArgumentError("give either settings or resume: a resumed run keeps the settings of its checkpoint");
  }
  const settings = resolveSettings(resume ? resume.settings : options.settings);
  if (isStreamedInput(input)) checkStreamedSettings(settings);
  const every = checkpointInterval(options.checkpointEvery);
  const checked = checkTrainInput(input);
  const { m, n, classes, labels } = checked;
  const earlyStopping = checkEarlyStopping(options.earlyStopping, checked.validation !== undefined);
  const data = summarizeInput(input, checked, resume !== null || options.onCheckpoint !== undefined);
  const sizes = [n, ...settings.layers];
  const layout = stackLayout(sizes, classes);
  const L = settings.layers.length;
  if (resume) checkResume(resume, data, layout.length, L + 2);
  const rng = new Rng(settings.seed);
  if (resume) rng.state = resume.rng;
  const run: RunState = {
    settings,
    data,
    params: resume ? Float32Array.from(resume.params) : new Float32Array(layout.length),
    rng,
    stages: resume ? resume.stages.map((r) => ({ ...r, costs: [...r.costs] })) : [],
  };
  const ctx: RunContext<T> = { backend, controls: options, run, count: L + 2, every, resume, earlyStopping };
  const first = resume?.stage ?? 0;

  const inMemory = isStreamedInput(input) ? null : input;
  const X: StageRows<T> = inMemory
    ? inputsToMatrix(backend, m, n, inMemory.inputs)
    : streamedRows((input as StreamedTrainInput).stream);
  const unlabeled = inMemory?.unlabeled
    ? inputsToMatrix(backend, inMemory.unlabeled.length / n, n, inMemory.unlabeled)
    : null;
  const V = checked.validation;
  const validation =
    V && input.validation
      ? { X: inputsToMatrix(backend, V.m, n, input.validation.inputs), labels: V.labels }
      : undefined;
  const plan: RunPlan<T> = { backend, settings, sizes, classes, labels, rng, ...(validation ? { validation } : {}) };
  try {
    // 1. Greedy layer-wise pretraining (§3), on the unlabelled examples where there are some.
    if (first < L) yield* pretrain(plan, ctx, layout, unlabeled ?? X, first);
    // 2. The softmax on the top layer's features of the labelled examples.
    if (first <= L) yield* trainSoftmax(plan, ctx, layout, X);
    const pretrained: StackedModel = { sizes, classes, params: run.params.slice() };
    // 3. Fine-tuning of the whole stack (§4).
    const tuned = yield* runStage(fineTuneStage(plan, X, run.params), ctx);
    return { pretrained, model: { sizes, classes, params: tuned }, stages: run.stages, settings };
  } finally {
    if (!isStreamed(X)) backend.free(X);
    if (unlabeled) backend.free(unlabeled);
    if (validation) backend.free(validation.X);
  }
}

/**
 * Trains autoencoders `first` + 1 … L, each on the features of the encoders below it (the first
 * on `input`), and keeps each one's encoder (W1, b1) in the stack; the decoders are discarded.
 * A resumed run recomputes the features of the autoencoders it does not train again.
 */
export function* pretrain<T extends FloatArray>(
  plan: RunPlan<T>,
  ctx: RunContext<T>,
  layout: ParamLayout,
  input: StageRows<T>,
  first: number,
): Steps<void> {
  const { backend } = plan;
  const params = ctx.run.params;
  const L = plan.settings.layers.length;
  let F = input;
  // Streamed, each stage's batches pass through the encoders below it (freed at the end).
  const encoders: EncoderLayer<T>[] = [];
  try {
    for (let l = 1; l <= L; l++) {
      if (l - 1 >= first) {
        const x = yield* runStage(autoencoderStage(plan, l - 1, F), ctx);
        const ae = autoencoderLayout(F.cols, plan.sizes[l] as number, plan.settings.autoencoder);
        layout.slice(params, `W${l}`).set(ae.slice(x, "W1"));
        layout.slice(params, `b${l}`).set(ae.slice(x, "b1"));
      }
      if (l === L) break;
      if (isStreamed(F)) {
        encoders.push(encoderLayer(backend, layout, params, l));
        F = throughEncoder(F, encoders[encoders.length - 1] as EncoderLayer<T>);
        continue;
      }
      const next = encoderFeatures(backend, layout, params, l, F);
      if (F !== input) backend.free(F);
      F = next;
    }
  } finally {
    if (F !== input && !isStreamed(F)) backend.free(F);
    freeEncoders(backend, encoders);
  }
}

/** Encoder l of the stack vector `params`, in the backend. */
function encoderLayer<T extends FloatArray>(
  backend: Backend<T>,
  layout: ParamLayout,
  params: Float32Array,
  l: number,
): EncoderLayer<T> {
  const { rows: h, cols } = layout.spec(`W${l}`);
  return {
    W: backend.fromValues(h, cols, layout.slice(params, `W${l}`)),
    b: backend.fromValues(1, h, layout.slice(params, `b${l}`)),
  };
}

function freeEncoders<T extends FloatArray>(backend: Backend<T>, encoders: EncoderLayer<T>[]): void {
  for (const { W, b } of encoders) {
    backend.free(W);
    backend.free(b);
  }
}

/** Refuses settings that would run L-BFGS on streamed examples, naming every such stage at once. */
function checkStreamedSettings(settings: TrainSettings): void {
  const L = settings.layers.length;
  const stages = [
    ...(settings.autoencoder.optimizer === "lbfgs" ? [L === 1 ? "the autoencoder" : "the autoencoders"] : []),
    ...(settings.softmax.optimizer === "lbfgs" ? ["the softmax"] : []),
    ...(settings.fineTune.optimizer === "lbfgs" ? ["fine-tuning"] : []),
  ];
  if (stages.length > 0) throw new StreamOptimizerError(stages);
}

/** The features of F (m × sizes[l − 1]) through encoder l of the stack vector `params`: m × sizes[l]. */
function encoderFeatures<T extends FloatArray>(
  backend: Backend<T>,
  layout: ParamLayout,
  params: Float32Array,
  l: number,
  F: Matrix<T>,
): Matrix<T> {
  const { rows: h } = layout.spec(`W${l}`);
  const W = backend.fromValues(h, F.cols, layout.slice(params, `W${l}`));
  const b = backend.fromValues(1, h, layout.slice(params, `b${l}`));
  const next = backend.zeros(F.rows, h);
  encoderForward(backend, F, W, b, next);
  backend.free(W);
  backend.free(b);
  return next;
}

/** Trains the softmax on the top features of X through the pretrained encoders, and keeps its θ in the stack. */
export function* trainSoftmax<T extends FloatArray>(
  plan: RunPlan<T>,
  ctx: RunContext<T>,
  layout: ParamLayout,
  X: StageRows<T>,
): Steps<void> {
  const { backend } = plan;
  const params = ctx.run.params;
  const theta = backend.fromValues(1, layout.length, params);
  const L = plan.settings.layers.length;
  // Streamed, the batches pass through every encoder on their way in.
  const encoders = isStreamed(X)
    ? Array.from({ length: L }, (_, l) => encoderLayer(backend, layout, params, l + 1))
    : [];
  const top = isStreamed(X) ? encoders.reduce(throughEncoder, X) : stackFeatures(backend, layout, theta, X);
  // The validation examples' top features, encoded once: the softmax stage does not change them.
  const V = plan.validation?.X;
  const validationTop = V ? stackFeatures(backend, layout, theta, V) : undefined;
  backend.free(theta);
  try {
    const x = yield* runStage(softmaxStage(plan, top, validationTop), ctx);
    layout.slice(params, "theta").set(x);
  } finally {
    if (top !== X && !isStreamed(top)) backend.free(top);
    if (validationTop && validationTop !== V) backend.free(validationTop);
    freeEncoders(backend, encoders);
  }
}
