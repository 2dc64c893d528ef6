// Greedy layer-wise pretraining, the softmax on top, then fine-tuning of the whole stack
// (SPEC §3–§4), with the hyperparameters of SPEC §6 by default.
import { ArgumentError, checkNumber, StackaeError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import { checkFiniteInputs, inputsToMatrix } from "../linalg/inputs.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import { Rng, type RngState } from "../linalg/rng.ts";
import { encoderForward } from "../nn/encoder.ts";
import { checkLabels } from "../nn/labels.ts";
import type { StackedModel } from "../nn/model.ts";
import type { Objective } from "../nn/objective.ts";
import { createSoftmaxCost, initSoftmax } from "../nn/softmax.ts";
import {
  createSparseAutoencoderCost,
  initSparseAutoencoder,
  sparseAutoencoderLayout,
} from "../nn/sparse-autoencoder.ts";
import { createStackCost, stackFeatures, stackLayout } from "../nn/stack.ts";
import { lbfgs } from "../optim/lbfgs.ts";
import { adam, DEFAULT_LEARNING_RATE, sgd } from "../optim/minibatch.ts";
import type { LbfgsState, MinibatchState, OptimizerState, OptimResult, Progress } from "../optim/types.ts";
import { allFinite } from "../optim/vector.ts";
import { minibatchObjective } from "./minibatch-objective.ts";
import { type PartialSettings, resolveSettings, type StageSettings, type TrainSettings } from "./settings.ts";

/**
 * A stage stopped because its cost or gradient was no longer finite. The message is the
 * optimiser's, which says where (the starting point, an iteration or a minibatch step).
 */
export class NumericalError extends StackaeError {
  readonly stage: string;
  /** The iteration (L-BFGS) or step (SGD, Adam) that failed, counted from 1. */
  readonly iteration: number;
  constructor(stage: string, iteration: number, message: string) {
    super("ERR_NUMERICAL", `${stage}: ${message}`);
    this.stage = stage;
    this.iteration = iteration;
  }
}

/** Training was stopped through its AbortSignal or `shouldStop`. */
export class AbortedError extends StackaeError {
  readonly stage: string;
  readonly iteration: number;
  constructor(stage: string, iteration: number) {
    super("ERR_ABORTED", `training was stopped during ${stage}, after iteration ${iteration}`);
    this.stage = stage;
    this.iteration = iteration;
  }
}

export interface StageInfo {
  /** "autoencoder 1", …, "softmax", "fine-tuning". */
  name: string;
  index: number;
  count: number;
  optimizer: string;
  /** L-BFGS iterations or minibatch steps the stage will run at most. */
  maxIterations: number;
}

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
}

export interface TrainEvents {
  onStageStart?(stage: StageInfo): void;
  onProgress?(stage: StageInfo, progress: Progress & { seconds: number }): void;
  onStageEnd?(stage: StageInfo, report: StageReport): void;
}

export interface TrainInput {
  /** m × n examples, one per row, and their labels: values in [0, 1], or unsigned-byte pixels (scaled by 1/255). */
  inputs: FloatArray | Uint8Array;
  labels: ArrayLike<number>;
  /** Values per example (n). */
  inputSize: number;
  /** Number of classes (default: the largest label + 1). */
  classes?: number;
  /** Other, unlabelled examples to pretrain the autoencoders on (self-taught learning, SPEC §8). */
  unlabeled?: FloatArray | Uint8Array;
}

export interface TrainResult {
  /** The network after pretraining and the softmax, before fine-tuning. */
  pretrained: StackedModel;
  /** The network after fine-tuning. */
  model: StackedModel;
  stages: StageReport[];
  settings: TrainSettings;
}

/**
 * The whole state of a run between two iterations: enough to continue it as if it had never
 * stopped. Its arrays may be the optimiser's own: save or copy them before `onCheckpoint` returns
 * (with the wasm backend's threads they are views of WebAssembly memory that is reused later, and
 * `structuredClone` shares such views rather than copying them: use `slice()` or `saveCheckpoint`).
 */
export interface TrainCheckpoint {
  settings: TrainSettings;
  /** What the run learns from; a resumed run must be given the same. */
  data: TrainDataSummary;
  /** The stage in progress: 0 … layers − 1 the autoencoders, then the softmax, then fine-tuning. */
  stage: number;
  /** The stack's encoders and softmax as far as the finished stages have learned them. */
  params: Float32Array;
  /** The run's random generator: before the stage's own draws when `optimizer` is null, after them otherwise. */
  rng: RngState;
  /** Reports of the finished stages. */
  stages: StageReport[];
  /** The stage's optimiser after its last iteration; null when the stage has not begun. */
  optimizer: OptimizerState | null;
  /** The stage's cost after each iteration so far, and the seconds spent in it. */
  costs: number[];
  seconds: number;
}

/** The name of a run's stage `stage` (as in TrainCheckpoint) for a stack of `layers` autoencoders. */
export function stageName(stage: number, layers: number): string {
  return stage < layers ? `autoencoder ${stage + 1}` : stage === layers ? "softmax" : "fine-tuning";
}

/** The shape of a run's data, and a checksum of its values. */
export interface TrainDataSummary {
  examples: number;
  inputSize: number;
  classes: number;
  unlabeled: number | null;
  /** FNV-1a (32-bit) over the labels and the inputs' bytes, as hex. */
  checksum: string;
}

export interface TrainOptions extends TrainEvents {
  settings?: PartialSettings;
  signal?: AbortSignal;
  /**
   * Polled after every iteration; when it returns true the run writes a checkpoint (when
   * `onCheckpoint` is given) and stops with AbortedError. For callers that cannot use an
   * AbortSignal, such as a worker whose stop flag lives in shared memory.
   */
  shouldStop?: () => boolean;
  /**
   * Receives the run's state at the start of every stage, every `checkpointEvery` iterations,
   * and when the run is stopped. Save it to continue later with `resume`.
   */
  onCheckpoint?: (checkpoint: TrainCheckpoint) => void;
  /**
   * Iterations (minibatch steps) between checkpoints within a stage; 0 (the default): none. A
   * function gives each stage its own, from what `onStageStart` receives (its optimiser, say).
   */
  checkpointEvery?: number | ((stage: StageInfo) => number);
  /** Continue the run a checkpoint was taken from; its settings are used, so `settings` must be absent. */
  resume?: TrainCheckpoint;
}

/**
 * Trains a stacked sparse autoencoder classifier, every stage on `backend`. With the same seed,
 * data, backend and thread count, a run is repeatable bit for bit, resumed or not.
 */
export function trainStackedAutoencoder<T extends FloatArray>(
  backend: Backend<T>,
  input: TrainInput,
  options: TrainOptions = {},
): TrainResult {
  const resume = options.resume;
  if (resume !== undefined && options.settings !== undefined) {
    throw new ArgumentError("give either settings or resume: a resumed run keeps the settings of its checkpoint");
  }
  const settings = resolveSettings(resume ? resume.settings : options.settings);
  const checkEvery = (n: number) => checkNumber("checkpointEvery", n, { integer: true, min: 0 });
  const everyOption = options.checkpointEvery ?? 0;
  // A number is checked now; what a function gives, as each stage starts.
  const everyOf = typeof everyOption === "function" ? everyOption : () => everyOption;
  if (typeof everyOption !== "function") checkEvery(everyOption);
  const n = checkNumber("inputSize", input.inputSize, { integer: true, min: 1 });
  const m = input.labels.length;
  if (m === 0) throw new ArgumentError("there are no training examples: give at least one, with its label");
  if (input.unlabeled && input.unlabeled.length === 0) {
    throw new ArgumentError("unlabeled holds no examples: give at least one, or leave it out");
  }
  if (input.inputs.length !== m * n) {
    throw new StackaeError(
      "ERR_SHAPE",
      `inputs hold ${input.inputs.length} values, but ${m} labels × ${n} values per example need ${m * n}`,
    );
  }
  checkFiniteInputs(input.inputs, n);
  if (input.unlabeled) checkFiniteInputs(input.unlabeled, n, "unlabeled inputs");
  let classes = input.classes ?? 0;
  if (input.classes === undefined) {
    for (let i = 0; i < m; i++) classes = Math.max(classes, (input.labels[i] as number) + 1);
  }
  // Checked now rather than when the softmax starts, after the long pretraining.
  const labels = checkLabels(Array.from(input.labels), m, classes);
  const tracked = resume !== undefined || options.onCheckpoint !== undefined;
  const data: TrainDataSummary = {
    examples: m,
    inputSize: n,
    classes,
    unlabeled: input.unlabeled ? input.unlabeled.length / n : null,
    checksum: tracked ? checksum([labels, input.inputs, input.unlabeled]) : "",
  };
  const sizes = [n, ...settings.layers];
  const layout = stackLayout(sizes, classes);
  const count = settings.layers.length + 2;
  if (resume) checkResume(resume, data, layout.length, count);
  const params = resume ? Float32Array.from(resume.params) : new Float32Array(layout.length);
  const rng = new Rng(settings.seed);
  if (resume) rng.state = resume.rng;
  const stages: StageReport[] = resume ? resume.stages.map((r) => ({ ...r, costs: [...r.costs] })) : [];
  const first = resume?.stage ?? 0;

  // A minibatch's rows change every step: where the backend's sparse copy pays for itself at
  // that size, each batch takes its own; elsewhere the batches' products stay dense.
  const batchSparse = backend.sparse?.perBatch ? "each-evaluation" : "never";
  /** Runs stage k from init(), or from the checkpoint when the run resumes inside it. */
  const run = (
    k: number,
    name: string,
    s: StageSettings,
    rows: number,
    objective: Objective | null,
    makeBatch: ((Xb: Matrix<T>, yb: Int32Array) => Objective) | null,
    X: Matrix<T>,
    y: Int32Array | undefined,
    init: () => Float32Array,
  ): Float32Array => {
    const steps = s.optimizer === "lbfgs" ? s.iterations : s.iterations * Math.ceil(rows / s.batchSize);
    const info: StageInfo = { name, index: k, count, optimizer: s.optimizer, maxIterations: steps };
    const every = checkEvery(everyOf(info));
    const from = k === first && resume?.optimizer ? resume : null;
    const costs = from ? [...from.costs] : [];
    const before = from?.seconds ?? 0;
    const started = performance.now();
    const seconds = () => before + (performance.now() - started) / 1000;
    // A minibatch step may move x to a non-finite point before the next evaluation finds it out:
    // such a state is not handed out, so that the last checkpoint saved stays a good one.
    const checkpoint = (optimizer: OptimizerState | null) =>
      (optimizer === null || allFinite(optimizer.x)) &&
      options.onCheckpoint?.({
        settings,
        data,
        stage: k,
        params,
        rng: rng.state,
        stages,
        optimizer,
        costs,
        seconds: seconds(),
      });
    if (!from) checkpoint(null);
    options.onStageStart?.(info);
    const x0 = from ? Float32Array.from((from.optimizer as OptimizerState).x) : init();
    const seed = s.optimizer === "lbfgs" || from ? 0 : rng.nextUint32();
    const optimizerState = from?.optimizer ?? undefined;
    if (optimizerState && optimizerState.kind !== s.optimizer) {
      throw new ArgumentError(`the checkpoint's ${name} ran ${optimizerState.kind}, its settings say ${s.optimizer}`);
    }
    let stoppedAt = 0;
    const onProgress = (p: Progress) => {
      costs.push(p.cost);
      options.onProgress?.(info, { ...p, seconds: seconds() });
      const stop = options.shouldStop?.() === true || options.signal?.aborted === true;
      if (stop || (every > 0 && p.iteration % every === 0)) checkpoint(p.state());
      if (!stop) return true;
      stoppedAt = p.iteration;
      return false;
    };
    let result: OptimResult<Float32Array>;
    if (s.optimizer === "lbfgs") {
      result = lbfgs(objective as Objective, x0, {
        maxIter: s.iterations,
        ...(backend.vectors ? { vectors: backend.vectors } : {}),
        onProgress,
        signal: options.signal,
        ...(optimizerState ? { resume: optimizerState as LbfgsState } : {}),
      });
    } else {
      const batches = minibatchObjective(backend, X, y, makeBatch as (Xb: Matrix<T>, yb: Int32Array) => Objective);
      const common = {
        epochs: s.iterations,
        batchSize: s.batchSize,
        seed,
        onProgress,
        signal: options.signal,
        ...(s.learningRate === undefined ? {} : { learningRate: s.learningRate }),
        ...(optimizerState ? { resume: optimizerState as MinibatchState } : {}),
      };
      try {
        const withVectors = { ...common, ...(backend.vectors ? { vectors: backend.vectors } : {}) };
        result = s.optimizer === "adam" ? adam(batches, x0, withVectors) : sgd(batches, x0, withVectors);
      } finally {
        batches.dispose();
      }
    }
    if (stoppedAt > 0 || result.status === "aborted") throw new AbortedError(name, stoppedAt || result.iterations);
    const report: StageReport = {
      name,
      optimizer: s.optimizer,
      iterations: result.iterations,
      evaluations: result.evaluations,
      cost: result.cost,
      status: result.status,
      message: result.message,
      seconds: seconds(),
      costs,
    };
    stages.push(report);
    options.onStageEnd?.(info, report);
    if (result.status === "nonFinite") {
      // The inputs are finite (checked above): a step too long, or inputs so large that the
      // squared error overflows float32.
      const hint =
        s.optimizer === "lbfgs"
          ? "inputs of very large magnitude can cause this: scale them to about [0, 1]"
          : `a learning rate below this stage's ${s.learningRate ?? DEFAULT_LEARNING_RATE[s.optimizer]} may keep it finite`;
      throw new NumericalError(name, result.iterations + 1, `${result.message}; ${hint}`);
    }
    return result.x;
  };

  const X = inputsToMatrix(backend, m, n, input.inputs);
  const unlabeled = input.unlabeled ? inputsToMatrix(backend, input.unlabeled.length / n, n, input.unlabeled) : null;
  const owned: Matrix<T>[] = [X];
  if (unlabeled) owned.push(unlabeled);
  try {
    // 1. Greedy layer-wise pretraining (§3): each autoencoder learns from the features below it.
    //    A resumed run recomputes the features of the autoencoders it does not train again.
    const L = settings.layers.length;
    let F = unlabeled ?? X;
    for (let l = 1; l <= L && first < L; l++) {
      const h = settings.layers[l - 1] as number;
      if (l - 1 >= first) {
        const ae = settings.autoencoder;
        const cfg = { hidden: h, lambda: ae.lambda, beta: ae.beta, rho: ae.rho };
        const objective = ae.optimizer === "lbfgs" ? createSparseAutoencoderCost(backend, F, cfg) : null;
        const aeLayout = sparseAutoencoderLayout(F.cols, h);
        const init = () => {
          const x0 = new Float32Array(aeLayout.length);
          initSparseAutoencoder(aeLayout, x0, rng);
          return x0;
        };
        let x: Float32Array;
        try {
          x = run(
            l - 1,
            stageName(l - 1, L),
            ae,
            F.rows,
            objective,
            (Xb) => createSparseAutoencoderCost(backend, Xb, { ...cfg, sparseInput: batchSparse }),
            F,
            undefined,
            init,
          );
        } finally {
          objective?.dispose();
        }
        // Keep the encoder (W1, b1); the decoder is discarded.
        layout.slice(params, `W${l}`).set(aeLayout.slice(x, "W1"));
        layout.slice(params, `b${l}`).set(aeLayout.slice(x, "b1"));
      }
      if (l === L) break;
      // The next autoencoder's input: this encoder's features.
      const W = backend.fromValues(h, F.cols, layout.slice(params, `W${l}`));
      const b = backend.fromValues(1, h, layout.slice(params, `b${l}`));
      const next = backend.zeros(F.rows, h);
      encoderForward(backend, F, W, b, next);
      backend.free(W);
      backend.free(b);
      if (F !== X && F !== unlabeled) backend.free(F);
      F = next;
    }
    if (F !== X && F !== unlabeled) backend.free(F);

    // 2. The softmax on the top layer's features of the labelled examples.
    if (first <= L) {
      const theta = backend.fromValues(1, layout.length, params);
      const top = stackFeatures(backend, layout, theta, X);
      backend.free(theta);
      try {
        const sm = settings.softmax;
        const cfg = { classes, lambda: sm.lambda };
        const objective = sm.optimizer === "lbfgs" ? createSoftmaxCost(backend, top, labels, cfg) : null;
        const init = () => {
          const x0 = new Float32Array(classes * top.cols);
          initSoftmax(x0, rng);
          return x0;
        };
        try {
          const x = run(
            L,
            stageName(L, L),
            sm,
            m,
            objective,
            (Fb, yb) => createSoftmaxCost(backend, Fb, yb, cfg),
            top,
            labels,
            init,
          );
          layout.slice(params, "theta").set(x);
        } finally {
          objective?.dispose();
        }
      } finally {
        if (top !== X) backend.free(top);
      }
    }
    const pretrained: StackedModel = { sizes, classes, params: params.slice() };

    // 3. Fine-tuning of the whole stack (§4).
    const ft = settings.fineTune;
    const cfg = { sizes, classes, lambda: ft.lambda };
    const objective = ft.optimizer === "lbfgs" ? createStackCost(backend, X, labels, cfg) : null;
    let tuned: Float32Array;
    try {
      tuned = run(
        L + 1,
        stageName(L + 1, L),
        ft,
        m,
        objective,
        (Xb, yb) => createStackCost(backend, Xb, yb, { ...cfg, sparseInput: batchSparse }),
        X,
        labels,
        () => params.slice(),
      );
    } finally {
      objective?.dispose();
    }
    return { pretrained, model: { sizes, classes, params: tuned }, stages, settings };
  } finally {
    for (const M of owned) backend.free(M);
  }
}

/** A checkpoint resumed on other data than its run was started with (an ArgumentError, ERR_ARGUMENT). */
export class ResumeDataError extends ArgumentError {}

/** Checks that a checkpoint belongs to this data and these settings before anything is trained. */
function checkResume(c: TrainCheckpoint, data: TrainDataSummary, length: number, count: number): void {
  const d = c.data;
  const shape = (s: TrainDataSummary) =>
    `${s.examples} examples of ${s.inputSize} values in ${s.classes} classes${s.unlabeled === null ? "" : ` and ${s.unlabeled} unlabelled ones`}`;
  if (
    d.examples !== data.examples ||
    d.inputSize !== data.inputSize ||
    d.classes !== data.classes ||
    d.unlabeled !== data.unlabeled
  ) {
    throw new ResumeDataError(
      `the checkpoint was taken on ${shape(d)}, this run has ${shape(data)}: resume with the data the run started with`,
    );
  }
  if (d.checksum !== data.checksum) {
    throw new ResumeDataError(
      `the checkpoint was taken on data with checksum ${d.checksum}, this run's is ${data.checksum} (same shape, other values): resume with the data the run started with`,
    );
  }
  checkNumber("checkpoint stage", c.stage, { integer: true, min: 0, max: count - 1 });
  if (c.params.length !== length) {
    throw new ArgumentError(`the checkpoint holds ${c.params.length} parameters, its settings need ${length}`);
  }
  if (c.stages.length !== c.stage) {
    throw new ArgumentError(`the checkpoint is at stage ${c.stage} but reports ${c.stages.length} finished stages`);
  }
}

/** FNV-1a over the bytes of each array, 32-bit, as 8 hex digits. */
export function checksum(arrays: (ArrayBufferView | undefined)[]): string {
  let h = 0x811c9dc5;
  for (const a of arrays) {
    if (!a) continue;
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ (bytes[i] as number), 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, "0");
}
