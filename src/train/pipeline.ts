// Greedy layer-wise pretraining, the softmax on top, then fine-tuning of the whole stack
// (SPEC §3–§4), with the hyperparameters of SPEC §6 by default.
import { inputsToMatrix } from "../data/dataset.ts";
import { StackaeError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import { Rng } from "../linalg/rng.ts";
import { encoderForward } from "../nn/encoder.ts";
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
import { adam, sgd } from "../optim/minibatch.ts";
import type { OptimResult, Progress } from "../optim/types.ts";
import { minibatchObjective } from "./minibatch-objective.ts";
import { type PartialSettings, resolveSettings, type StageSettings, type TrainSettings } from "./settings.ts";

/** A stage stopped because its cost or gradient was no longer finite. */
export class NumericalError extends StackaeError {
  readonly stage: string;
  readonly iteration: number;
  constructor(stage: string, iteration: number, message: string) {
    super("ERR_NUMERICAL", `${stage}: ${message} (at iteration ${iteration})`);
    this.stage = stage;
    this.iteration = iteration;
  }
}

/** Training was stopped through its AbortSignal. */
export class AbortedError extends StackaeError {
  constructor(stage: string) {
    super("ERR_ABORTED", `training was stopped during ${stage}`);
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

export interface TrainOptions extends TrainEvents {
  settings?: PartialSettings;
  signal?: AbortSignal;
}

/** Trains a stacked sparse autoencoder classifier, every stage on `backend`. */
export function trainStackedAutoencoder<T extends FloatArray>(
  backend: Backend<T>,
  input: TrainInput,
  options: TrainOptions = {},
): TrainResult {
  const settings = resolveSettings(options.settings);
  const n = input.inputSize;
  const m = input.labels.length;
  if (input.inputs.length !== m * n) {
    throw new StackaeError(
      "ERR_SHAPE",
      `inputs hold ${input.inputs.length} values, but ${m} labels × ${n} values per example need ${m * n}`,
    );
  }
  let classes = input.classes ?? 0;
  const labels = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    labels[i] = input.labels[i] as number;
    if (input.classes === undefined) classes = Math.max(classes, (labels[i] as number) + 1);
  }
  const sizes = [n, ...settings.layers];
  const layout = stackLayout(sizes, classes);
  const params = new Float32Array(layout.length);
  const rng = new Rng(settings.seed);
  const count = settings.layers.length + 2;
  const stages: StageReport[] = [];
  let index = 0;

  const run = (
    name: string,
    s: StageSettings,
    rows: number,
    objective: Objective | null,
    makeBatch: ((Xb: Matrix<T>, yb: Int32Array) => Objective) | null,
    X: Matrix<T>,
    y: Int32Array | undefined,
    x0: Float32Array,
  ): Float32Array => {
    const steps = s.optimizer === "lbfgs" ? s.iterations : s.iterations * Math.ceil(rows / s.batchSize);
    const info: StageInfo = { name, index: index++, count, optimizer: s.optimizer, maxIterations: steps };
    options.onStageStart?.(info);
    const costs: number[] = [];
    const started = performance.now();
    const onProgress = (p: Progress) => {
      costs.push(p.cost);
      options.onProgress?.(info, { ...p, seconds: (performance.now() - started) / 1000 });
    };
    let result: OptimResult<Float32Array>;
    if (s.optimizer === "lbfgs") {
      result = lbfgs(objective as Objective, x0, { maxIter: s.iterations, onProgress, signal: options.signal });
    } else {
      const batches = minibatchObjective(backend, X, y, makeBatch as (Xb: Matrix<T>, yb: Int32Array) => Objective);
      const common = {
        epochs: s.iterations,
        batchSize: s.batchSize,
        seed: rng.nextUint32(),
        onProgress,
        signal: options.signal,
        ...(s.learningRate === undefined ? {} : { learningRate: s.learningRate }),
      };
      try {
        result = s.optimizer === "adam" ? adam(batches, x0, common) : sgd(batches, x0, common);
      } finally {
        batches.dispose();
      }
    }
    const report: StageReport = {
      name,
      optimizer: s.optimizer,
      iterations: result.iterations,
      evaluations: result.evaluations,
      cost: result.cost,
      status: result.status,
      message: result.message,
      seconds: (performance.now() - started) / 1000,
      costs,
    };
    stages.push(report);
    options.onStageEnd?.(info, report);
    if (result.status === "nonFinite") throw new NumericalError(name, result.iterations + 1, result.message);
    if (result.status === "aborted") throw new AbortedError(name);
    return result.x;
  };

  const X = inputsToMatrix(backend, m, n, input.inputs);
  const unlabeled = input.unlabeled ? inputsToMatrix(backend, input.unlabeled.length / n, n, input.unlabeled) : null;
  const owned: Matrix<T>[] = [X];
  if (unlabeled) owned.push(unlabeled);
  try {
    // 1. Greedy layer-wise pretraining (§3): each autoencoder learns from the features below it.
    let F = unlabeled ?? X;
    for (let l = 1; l <= settings.layers.length; l++) {
      const h = settings.layers[l - 1] as number;
      const ae = settings.autoencoder;
      const cfg = { hidden: h, lambda: ae.lambda, beta: ae.beta, rho: ae.rho };
      const objective = ae.optimizer === "lbfgs" ? createSparseAutoencoderCost(backend, F, cfg) : null;
      const aeLayout = sparseAutoencoderLayout(F.cols, h);
      const x0 = new Float32Array(aeLayout.length);
      initSparseAutoencoder(aeLayout, x0, rng);
      let x: Float32Array;
      try {
        x = run(
          `autoencoder ${l}`,
          ae,
          F.rows,
          objective,
          (Xb) => createSparseAutoencoderCost(backend, Xb, cfg),
          F,
          undefined,
          x0,
        );
      } finally {
        objective?.dispose();
      }
      // Keep the encoder (W1, b1); the decoder is discarded.
      layout.slice(params, `W${l}`).set(aeLayout.slice(x, "W1"));
      layout.slice(params, `b${l}`).set(aeLayout.slice(x, "b1"));
      const W = backend.fromValues(h, F.cols, aeLayout.slice(x, "W1"));
      const b = backend.fromValues(1, h, aeLayout.slice(x, "b1"));
      const next = backend.zeros(F.rows, h);
      encoderForward(backend, F, W, b, next);
      backend.free(W);
      backend.free(b);
      if (F !== X && F !== unlabeled) backend.free(F);
      F = next;
    }
    if (F !== X && F !== unlabeled) backend.free(F);

    // 2. The softmax on the top layer's features of the labelled examples.
    const theta = backend.fromValues(1, layout.length, params);
    const top = stackFeatures(backend, layout, theta, X);
    backend.free(theta);
    try {
      const sm = settings.softmax;
      const cfg = { classes, lambda: sm.lambda };
      const objective = sm.optimizer === "lbfgs" ? createSoftmaxCost(backend, top, labels, cfg) : null;
      const x0 = new Float32Array(classes * top.cols);
      initSoftmax(x0, rng);
      try {
        const x = run(
          "softmax",
          sm,
          m,
          objective,
          (Fb, yb) => createSoftmaxCost(backend, Fb, yb, cfg),
          top,
          labels,
          x0,
        );
        layout.slice(params, "theta").set(x);
      } finally {
        objective?.dispose();
      }
    } finally {
      if (top !== X) backend.free(top);
    }
    const pretrained: StackedModel = { sizes, classes, params: params.slice() };

    // 3. Fine-tuning of the whole stack (§4).
    const ft = settings.fineTune;
    const cfg = { sizes, classes, lambda: ft.lambda };
    const objective = ft.optimizer === "lbfgs" ? createStackCost(backend, X, labels, cfg) : null;
    let tuned: Float32Array;
    try {
      tuned = run(
        "fine-tuning",
        ft,
        m,
        objective,
        (Xb, yb) => createStackCost(backend, Xb, yb, cfg),
        X,
        labels,
        params,
      );
    } finally {
      objective?.dispose();
    }
    return { pretrained, model: { sizes, classes, params: tuned }, stages, settings };
  } finally {
    for (const M of owned) backend.free(M);
  }
}
