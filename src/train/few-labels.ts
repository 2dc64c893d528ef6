// The few-labels experiment (docs/few-labels.md): what greedy pretraining on unlabelled data is
// worth when labels are few. The stack is pretrained once; then for each number of labels N and
// each seed, a class-balanced subset of N labelled examples trains three classifiers, each tested
// on the whole test set: the pretrained stack (softmax, then fine-tuning), the same network from
// its random initialisation by backpropagation alone, and a softmax on the raw inputs.
import { balancedSubset, stratifiedSplit } from "../data/split.ts";
import { ArgumentError, checkNumber } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import { inputsToMatrix } from "../linalg/inputs.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import { Rng } from "../linalg/rng.ts";
import { accuracy, predict } from "../nn/model.ts";
import { initSoftmax } from "../nn/softmax.ts";
import { stackLayout } from "../nn/stack.ts";
import { runSteps } from "../optim/steps.ts";
import type { RunState } from "./checkpoint.ts";
import { pretrain, trainSoftmax } from "./pipeline.ts";
import { type RunContext, type RunControls, runStage, type TrainEvents } from "./run-stage.ts";
import { type PartialSettings, resolveSettings, type TrainSettings } from "./settings.ts";
import { fineTuneStage, type RunPlan, softmaxStage } from "./stages.ts";

export type FewLabelsMethod = "pretrained" | "backprop" | "softmax";
export const FEW_LABELS_METHODS: readonly FewLabelsMethod[] = ["pretrained", "backprop", "softmax"];

/** Examples of n values each (values in [0, 1], or bytes standing for ÷ 255) and their labels. */
export interface LabelledSet {
  inputs: FloatArray | Uint8Array;
  labels: ArrayLike<number>;
}

export interface FewLabelsInput {
  /** The pool the labelled subsets are drawn from; also the unlabelled pretraining data unless `unlabeled` is given. */
  train: LabelledSet;
  /** Every subset's classifiers are tested on all of it. */
  test: LabelledSet;
  inputSize: number;
  classes: number;
  /** Other examples to pretrain on instead of the training pool's (self-taught learning, SPEC §8). */
  unlabeled?: FloatArray | Uint8Array;
}

export interface FewLabelsOptions {
  /** Progress of the pretraining's stages (the many short labelled runs report through `onRun`). */
  pretraining?: TrainEvents;
  /** Stops the experiment (AbortedError) at the end of the current iteration. */
  signal?: AbortSignal;
  /** The numbers of labelled examples N, each ≤ the training pool. */
  labels: readonly number[];
  /** Subsets (and initialisations) per N: seeds seed, seed + 1, …; default 3. */
  seeds?: number;
  /**
   * The network and its stages (resolveSettings). Where the softmax or fine-tuning runs adam or sgd
   * and is given no iterations, it runs fewLabelsEpochs(N, batchSize) epochs. `seed` seeds the pretraining
   * and is the first subset's seed.
   */
  settings?: PartialSettings;
  /**
   * The fraction of each labelled subset held out as its validation set for early stopping,
   * where that leaves at least `MIN_VALIDATION_PER_CLASS` examples a class (default 0.2).
   */
  validationFraction?: number;
  /** Early stopping's patience, in evaluations of the validation set; default 10. */
  patience?: number;
  /** Called after each (N, seed) with its three results, in order. */
  onRun?(run: FewLabelsRun): void;
}

/** One subset's results. */
export interface FewLabelsRun {
  labels: number;
  seed: number;
  /** Test accuracy and training seconds of each method. */
  results: Record<FewLabelsMethod, { accuracy: number; seconds: number }>;
  /** Examples of the N held out for early stopping; 0: none (too few). */
  validation: number;
}

export interface MethodSummary {
  mean: number;
  std: number;
  accuracies: number[];
  /** Mean training seconds per subset (the pretrained method's without the shared pretraining). */
  seconds: number;
}

export interface FewLabelsRow {
  labels: number;
  methods: Record<FewLabelsMethod, MethodSummary>;
  /** Examples of the N held out for early stopping; 0 where N is too small for it. */
  validation: number;
  /** What this row's training did about validation, in words. */
  note: string;
}

export interface FewLabelsTable {
  rows: FewLabelsRow[];
  pretraining: { examples: number; seconds: number };
  testExamples: number;
  seeds: number[];
  settings: TrainSettings;
  validationFraction: number;
  patience: number;
}

/** At fewer held-out examples a class than this, a subset gets no validation set. */
export const MIN_VALIDATION_PER_CLASS = 5;

/** Minibatch steps a labelled stage run by adam or sgd takes when given no epochs. */
export const FEW_LABELS_STEPS = 1000;

/**
 * Epochs of a labelled stage run by adam or sgd on N examples in batches of `batchSize` when none
 * are given: about FEW_LABELS_STEPS steps, at least 10 epochs. Ten epochs are 400 steps on 10,000
 * images but ten on 100; backpropagation from a random start needs the steps (80 left it at 68 %
 * on 1,000 MNIST labels, below its 75 % on 100), and early stopping ends the run sooner where
 * there is a validation part.
 */
export function fewLabelsEpochs(n: number, batchSize: number): number {
  return Math.max(10, Math.ceil(FEW_LABELS_STEPS / Math.ceil(n / batchSize)));
}

/** Runs the experiment; the table it returns has one row per N, in the order given. */
export function fewLabelsExperiment<T extends FloatArray>(
  backend: Backend<T>,
  input: FewLabelsInput,
  options: FewLabelsOptions,
): FewLabelsTable {
  const { inputSize: n, classes } = input;
  checkNumber("classes", classes, { integer: true, min: 2 });
  const pool = Int32Array.from(input.train.labels);
  const m = pool.length;
  if (input.train.inputs.length !== m * n) {
    throw new ArgumentError(`train inputs hold ${input.train.inputs.length} values, not ${m} × ${n}`);
  }
  const Ns = checkLabelCounts(options.labels, m, classes);
  const seedCount = checkNumber("seeds", options.seeds ?? 3, { integer: true, min: 1 });
  const fraction = checkNumber("validationFraction", options.validationFraction ?? 0.2, {
    min: 0,
    max: 1,
    maxExclusive: true,
  });
  const patience = checkNumber("patience", options.patience ?? 10, { integer: true, min: 1 });
  const base = resolveSettings(options.settings);
  const seeds = Array.from({ length: seedCount }, (_, i) => base.seed + i);
  const sizes = [n, ...base.layers];
  const layout = stackLayout(sizes, classes);

  // 1. Pretraining, once, on every training example (or the unlabelled ones), labels unused.
  const started = performance.now();
  const U = inputsToMatrix(
    backend,
    (input.unlabeled ?? input.train.inputs).length / n,
    n,
    input.unlabeled ?? input.train.inputs,
  );
  const pretrained = new Float32Array(layout.length);
  try {
    const plan: RunPlan<T> = {
      backend,
      settings: base,
      sizes,
      classes,
      labels: new Int32Array(0),
      rng: new Rng(base.seed),
    };
    const ctx = context(plan, pretrained, { ...options.pretraining, ...signalOf(options) }, null);
    runSteps(pretrain(plan, ctx, layout, U, 0));
  } finally {
    backend.free(U);
  }
  const pretraining = { examples: U.rows, seconds: (performance.now() - started) / 1000 };

  // 2. Each N and seed: a balanced subset, its validation part where N allows, three classifiers.
  const runs: FewLabelsRun[] = [];
  for (const N of Ns) {
    for (const seed of seeds) {
      const run = subsetRun(backend, input, { N, seed, base, pretrained, fraction, patience, options });
      runs.push(run);
      options.onRun?.(run);
    }
  }
  return {
    rows: Ns.map((N) =>
      summarise(
        N,
        runs.filter((r) => r.labels === N),
        fraction,
        patience,
      ),
    ),
    pretraining,
    testExamples: input.test.labels.length,
    seeds,
    settings: base,
    validationFraction: fraction,
    patience,
  };
}

function checkLabelCounts(labels: readonly number[], m: number, classes: number): number[] {
  if (!Array.isArray(labels) || labels.length === 0) {
    throw new ArgumentError(`labels must list at least one number of labelled examples, got ${JSON.stringify(labels)}`);
  }
  for (const N of labels) {
    if (!(Number.isInteger(N) && N >= classes && N <= m)) {
      throw new ArgumentError(
        `labels: ${N} labelled examples cannot be drawn: give whole numbers from ${classes} (one of each class) to ${m} (the training examples)`,
      );
    }
  }
  return [...labels];
}

const signalOf = ({ signal }: FewLabelsOptions) => (signal ? { signal } : {});

/** A stage context for the experiment's runs: no checkpoints; `controls`, the events and signal. */
function context<T extends FloatArray>(
  plan: RunPlan<T>,
  params: Float32Array,
  controls: RunControls,
  earlyStopping: { patience: number } | null,
): RunContext<T> {
  const L = plan.settings.layers.length;
  const run: RunState = {
    settings: plan.settings,
    data: {
      examples: plan.labels.length,
      inputSize: plan.sizes[0] as number,
      classes: plan.classes,
      unlabeled: null,
      checksum: "",
    },
    params,
    rng: plan.rng,
    stages: [],
  };
  return { backend: plan.backend, controls, run, count: L + 2, every: () => 0, resume: null, earlyStopping };
}

interface SubsetPlan {
  N: number;
  seed: number;
  base: TrainSettings;
  pretrained: Float32Array;
  fraction: number;
  patience: number;
  options: FewLabelsOptions;
}

/** The settings of a subset's labelled stages: its seed, and epochs for its size where none were given. */
function subsetSettings(
  base: TrainSettings,
  given: PartialSettings | undefined,
  N: number,
  seed: number,
): TrainSettings {
  const epochs = (stage: "softmax" | "fineTune") =>
    given?.[stage]?.iterations === undefined && base[stage].optimizer !== "lbfgs"
      ? { ...base[stage], iterations: fewLabelsEpochs(N, base[stage].batchSize) }
      : base[stage];
  return { ...base, seed, softmax: epochs("softmax"), fineTune: epochs("fineTune") };
}

function subsetRun<T extends FloatArray>(backend: Backend<T>, input: FewLabelsInput, p: SubsetPlan): FewLabelsRun {
  const { inputSize: n, classes } = input;
  const pool = Int32Array.from(input.train.labels);
  const rows = balancedSubset(pool, p.N, p.seed, "labels");
  const labels = Int32Array.from(rows, (r) => pool[r] as number);
  // Early stopping where the validation part would hold enough examples of each class.
  const held = Math.round(p.N * p.fraction) >= MIN_VALIDATION_PER_CLASS * classes;
  const split = held ? stratifiedSplit(labels, p.fraction, p.seed, "validationFraction") : null;
  const trainRows = split ? Int32Array.from(split.kept, (i) => rows[i] as number) : rows;
  const validRows = split ? Int32Array.from(split.held, (i) => rows[i] as number) : null;
  const gather = (at: Int32Array) => {
    const out = new (input.train.inputs.constructor as new (k: number) => FloatArray | Uint8Array)(at.length * n);
    at.forEach((r, i) => {
      out.set(input.train.inputs.subarray(r * n, (r + 1) * n), i * n);
    });
    return inputsToMatrix(backend, at.length, n, out);
  };
  const X = gather(trainRows);
  const V = validRows ? gather(validRows) : null;
  const settings = subsetSettings(p.base, p.options.settings, p.N, p.seed);
  const sizes = [n, ...settings.layers];
  const layout = stackLayout(sizes, classes);
  const plan = (rng: Rng): RunPlan<T> => ({
    backend,
    settings,
    sizes,
    classes,
    labels: Int32Array.from(trainRows, (r) => pool[r] as number),
    rng,
    ...(V && validRows ? { validation: { X: V, labels: Int32Array.from(validRows, (r) => pool[r] as number) } } : {}),
  });
  const early = V ? { patience: p.patience } : null;
  const test = (sizes: number[], params: Float32Array) =>
    accuracy(predict(backend, { sizes, classes, params }, input.test.inputs), input.test.labels);
  const timed = (train: () => Float32Array) => {
    const started = performance.now();
    const params = train();
    return { params, seconds: (performance.now() - started) / 1000 };
  };
  try {
    // The pretrained stack: the softmax on its top features, then fine-tuning.
    const pre = timed(() => {
      const plan1 = plan(new Rng(p.seed));
      const ctx = context(plan1, p.pretrained.slice(), signalOf(p.options), early);
      runSteps(trainSoftmax(plan1, ctx, layout, X));
      return runSteps(runStage(fineTuneStage(plan1, X, ctx.run.params), ctx));
    });
    // The same network from SPEC §1's and §2's random initialisation, by backpropagation alone.
    const bp = timed(() => {
      const rng = new Rng(p.seed);
      const plan2 = plan(rng);
      const x0 = randomStack(sizes, classes, rng);
      return runSteps(runStage(fineTuneStage(plan2, X, x0), context(plan2, x0, signalOf(p.options), early)));
    });
    // A softmax on the raw inputs.
    const sm = timed(() => {
      const plan3 = plan(new Rng(p.seed));
      const ctx = context(plan3, new Float32Array(0), signalOf(p.options), early);
      return runSteps(runStage(softmaxStage(plan3, X, V ?? undefined), ctx));
    });
    return {
      labels: p.N,
      seed: p.seed,
      results: {
        pretrained: { accuracy: test(sizes, pre.params), seconds: pre.seconds },
        backprop: { accuracy: test(sizes, bp.params), seconds: bp.seconds },
        softmax: { accuracy: test([n], sm.params), seconds: sm.seconds },
      },
      validation: validRows?.length ?? 0,
    };
  } finally {
    backend.free(X);
    if (V) backend.free(V);
  }
}

/** A stack's parameters as pretraining would start them: each encoder as SPEC §1 draws it, θ as §2 does. */
export function randomStack(sizes: readonly number[], classes: number, rng: Rng): Float32Array {
  const layout = stackLayout(sizes, classes);
  const x = new Float32Array(layout.length);
  for (let l = 1; l < sizes.length; l++) {
    const W = layout.slice(x, `W${l}`);
    const r = Math.sqrt(6) / Math.sqrt((sizes[l - 1] as number) + (sizes[l] as number) + 1);
    for (let i = 0; i < W.length; i++) W[i] = rng.uniformIn(-r, r);
  }
  initSoftmax(layout.slice(x, "theta"), rng);
  return x;
}

function summarise(N: number, runs: FewLabelsRun[], fraction: number, patience: number): FewLabelsRow {
  const methods = {} as Record<FewLabelsMethod, MethodSummary>;
  for (const method of FEW_LABELS_METHODS) {
    const accuracies = runs.map((r) => r.results[method].accuracy);
    const mean = accuracies.reduce((s, a) => s + a, 0) / accuracies.length;
    // The sample standard deviation (n − 1), 0 for a single seed.
    const std =
      accuracies.length < 2
        ? 0
        : Math.sqrt(accuracies.reduce((s, a) => s + (a - mean) ** 2, 0) / (accuracies.length - 1));
    const seconds = runs.reduce((s, r) => s + r.results[method].seconds, 0) / runs.length;
    methods[method] = { mean, std, accuracies, seconds };
  }
  const validation = runs[0]?.validation ?? 0;
  const note =
    validation > 0
      ? `early stopping on ${validation} of the ${N} (patience ${patience})`
      : fraction === 0
        ? "no validation set asked for: every stage runs its epochs"
        : `no early stopping: ${Math.round(N * fraction)} held-out examples would be under ${MIN_VALIDATION_PER_CLASS} a class; every stage runs its epochs on all ${N}`;
  return { labels: N, methods, validation, note };
}
