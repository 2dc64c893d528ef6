// Runs one stage, whichever it is: its optimiser (L-BFGS on the full-batch cost, adam or sgd on
// minibatches), the progress events, checkpoints and stopping, and the errors a stage ends in.
import { ArgumentError, checkNumber, StackaeError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import { lbfgsSteps } from "../optim/lbfgs.ts";
import { adamSteps, DEFAULT_LEARNING_RATE, sgdSteps } from "../optim/minibatch.ts";
import type { Steps } from "../optim/steps.ts";
import type { LbfgsState, MinibatchState, OptimizerState, OptimResult, Progress } from "../optim/types.ts";
import { allFinite } from "../optim/vector.ts";
import { checkpointOf, type RunState, type TrainCheckpoint } from "./checkpoint.ts";
import { minibatchObjective } from "./minibatch-objective.ts";
import type { Stage, StageInfo, StageReport } from "./stages.ts";
import { isStreamed, StreamOptimizerError, streamedObjective } from "./stream-rows.ts";
import { type EarlyStopping, type ValidationPoint, ValidationTracker } from "./validation.ts";

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

export interface TrainEvents {
  onStageStart?(stage: StageInfo): void;
  /** `validation`: the validation set's latest evaluation, in a stage that has one. */
  onProgress?(stage: StageInfo, progress: Progress & { seconds: number; validation?: ValidationPoint }): void;
  onStageEnd?(stage: StageInfo, report: StageReport): void;
}

/** How a caller follows a run, keeps its state, and stops it. */
export interface RunControls extends TrainEvents {
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
}

/** What the stages of one run share while they run. */
export interface RunContext<T extends FloatArray> {
  readonly backend: Backend<T>;
  readonly controls: RunControls;
  readonly run: RunState;
  /** Stages in the run: the autoencoders, the softmax, fine-tuning. */
  readonly count: number;
  /** Iterations between a stage's checkpoints (checkpointInterval). */
  readonly every: (stage: StageInfo) => number;
  /** The checkpoint the run continues from; null for a fresh run. */
  readonly resume: TrainCheckpoint | null;
  /** Early stopping on the validation set (checked: there is one); null: none. */
  readonly earlyStopping: EarlyStopping | null;
}

/** `checkpointEvery` as a function of the stage, checked: a number now, what a function gives as each stage starts. */
export function checkpointInterval(option: RunControls["checkpointEvery"] = 0): (stage: StageInfo) => number {
  const check = (n: number) => checkNumber("checkpointEvery", n, { integer: true, min: 0 });
  if (typeof option === "function") return (stage) => check(option(stage));
  check(option);
  return () => option;
}

/**
 * Runs `stage` from its init(), or from the run's checkpoint when the run resumes inside it;
 * pushes its report onto the run's. Returns the parameters it learned. Yields after every
 * iteration; a stop asked for while it is suspended (a signal fired by a timer, say) stops it
 * there, with a checkpoint of that iteration, as one asked for during the iteration does.
 */
export function* runStage<T extends FloatArray>(stage: Stage<T>, ctx: RunContext<T>): Steps<Float32Array> {
  const { controls, run } = ctx;
  const s = stage.settings;
  const steps = s.optimizer === "lbfgs" ? s.iterations : s.iterations * Math.ceil(stage.X.rows / s.batchSize);
  const info: StageInfo = {
    name: stage.name,
    index: stage.index,
    count: ctx.count,
    optimizer: s.optimizer,
    maxIterations: steps,
  };
  const every = ctx.every(info);
  // The checkpoint taken inside this stage, when the run resumes from one.
  const inside = ctx.resume?.stage === stage.index && ctx.resume.optimizer !== null ? ctx.resume : null;
  const from = inside?.optimizer ?? null;
  const costs = inside ? [...inside.costs] : [];
  const before = inside?.seconds ?? 0;
  const started = performance.now();
  const seconds = () => before + (performance.now() - started) / 1000;
  // A minibatch step may move x to a non-finite point before the next evaluation finds it out:
  // such a state is not handed out, so that the last checkpoint saved stays a good one.
  const checkpoint = (optimizer: OptimizerState | null) =>
    (optimizer === null || allFinite(optimizer.x)) &&
    controls.onCheckpoint?.(checkpointOf(run, stage.index, optimizer, costs, seconds()));
  if (!from) checkpoint(null);
  controls.onStageStart?.(info);
  const x0 = from ? Float32Array.from(from.x) : stage.init();
  const seed = s.optimizer === "lbfgs" || from ? 0 : run.rng.nextUint32();
  if (from && from.kind !== s.optimizer) {
    throw new ArgumentError(`the checkpoint's ${stage.name} ran ${from.kind}, its settings say ${s.optimizer}`);
  }
  const watch = watchValidation(stage, ctx, from?.iterations ?? 0, x0);
  let stoppedAt = 0;
  let earlyAt = 0;
  let last: Progress | null = null;
  const stopAsked = () => controls.shouldStop?.() === true || controls.signal?.aborted === true;
  const onProgress = (p: Progress) => {
    last = p;
    costs.push(p.cost);
    // Only reads x, between iterations: the optimiser's path is the same with or without it.
    const validation = watch?.evaluate(p);
    controls.onProgress?.(info, { ...p, seconds: seconds(), ...(validation ? { validation } : {}) });
    const stop = stopAsked();
    if (stop || (every > 0 && p.iteration % every === 0)) checkpoint(p.state());
    if (stop) stoppedAt = p.iteration;
    else if (watch?.exhausted()) earlyAt = p.iteration;
    return !stop && earlyAt === 0;
  };
  const optimiser = optimise(stage, ctx.backend, x0, { seed, from, onProgress, signal: controls.signal });
  let next = optimiser.next();
  for (; !next.done; next = optimiser.next()) {
    const turned = yield;
    const at = last as Progress | null;
    if (turned === true && at !== null && stopAsked()) {
      // The optimiser is suspended after `at`, its state still whole: save it, then end it.
      checkpoint(at.state());
      optimiser.return(undefined as never);
      throw new AbortedError(stage.name, at.iteration);
    }
  }
  const result = next.value;
  if (stoppedAt > 0 || result.status === "aborted") throw new AbortedError(stage.name, stoppedAt || result.iterations);
  const kept = watch?.kept(result, earlyAt);
  const validation = watch?.tracker.report(kept !== undefined);
  const report: StageReport = {
    name: stage.name,
    optimizer: s.optimizer,
    iterations: result.iterations,
    evaluations: result.evaluations,
    cost: result.cost,
    status: kept?.status ?? result.status,
    message: kept?.message ?? result.message,
    seconds: seconds(),
    costs,
    ...(validation ? { validation } : {}),
  };
  run.stages.push(report);
  controls.onStageEnd?.(info, report);
  if (result.status === "nonFinite") throw nonFiniteError(stage, result);
  return kept?.x ?? result.x;
}

/** A stage's watch over the validation set: when it evaluates, whether patience is spent, what it keeps. */
interface ValidationWatch {
  readonly tracker: ValidationTracker;
  /** Evaluates after an iteration that ends an epoch (L-BFGS: every iteration); the latest point. */
  evaluate(p: Progress): ValidationPoint | undefined;
  /** Early stopping's patience is spent. */
  exhausted(): boolean;
  /** With early stopping, the best point's parameters and the report's status and message. */
  kept(
    result: OptimResult<Float32Array>,
    earlyAt: number,
  ): { x: Float32Array; status: string; message: string } | undefined;
}

/**
 * The validation watch of a stage that has a validation set (null otherwise), which has already
 * evaluated the starting point x0 (after iteration `start`). Early stopping watches fine-tuning
 * (the last stage) with any optimiser, and the other stages with adam or sgd: L-BFGS's softmax
 * is convex and cheap, and its iterations are not epochs.
 */
function watchValidation<T extends FloatArray>(
  stage: Stage<T>,
  ctx: RunContext<T>,
  start: number,
  x0: Float32Array,
): ValidationWatch | null {
  if (!stage.validate) return null;
  const s = stage.settings;
  const early = ctx.earlyStopping !== null && (stage.index === ctx.count - 1 || s.optimizer !== "lbfgs");
  const patience = ctx.earlyStopping?.patience ?? 0;
  const perEpoch = s.optimizer === "lbfgs" ? 1 : Math.ceil(stage.X.rows / s.batchSize);
  const tracker = new ValidationTracker(stage.validate);
  tracker.record(start, x0, early);
  return {
    tracker,
    evaluate: (p) => {
      if (p.iteration % perEpoch === 0) tracker.record(p.iteration, p.state().x, early);
      return tracker.curve.at(-1);
    },
    exhausted: () => early && tracker.sinceBest >= patience,
    kept: (result, earlyAt) => {
      const best = tracker.best;
      if (!early || best === null || tracker.bestParams === null) return undefined;
      if (earlyAt > 0) {
        return {
          x: tracker.bestParams,
          status: "earlyStopped",
          message: `validation accuracy did not improve for ${plural(patience, "evaluation")}; kept iteration ${best.iteration}`,
        };
      }
      const message =
        best.iteration === result.iterations
          ? result.message
          : `${result.message}; kept iteration ${best.iteration}, the best on the validation set`;
      return { x: tracker.bestParams, status: result.status, message };
    },
  };
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? "" : "s"}`;

interface OptimiseOptions {
  /** The seed of the minibatch order (adam, sgd). */
  seed: number;
  /** The optimiser's state to continue from; null: start at x0. */
  from: OptimizerState | null;
  onProgress: (p: Progress) => boolean;
  signal: AbortSignal | undefined;
}

/** Minimises the stage's cost from x0 with its optimiser: L-BFGS on the full batch, adam or sgd on minibatches. */
function* optimise<T extends FloatArray>(
  stage: Stage<T>,
  backend: Backend<T>,
  x0: Float32Array,
  o: OptimiseOptions,
): Steps<OptimResult<Float32Array>> {
  const s = stage.settings;
  const vectors = backend.vectors ? { vectors: backend.vectors } : {};
  if (s.optimizer === "lbfgs") {
    if (isStreamed(stage.X)) throw new StreamOptimizerError([stage.name]);
    const objective = stage.fullBatch();
    try {
      return yield* lbfgsSteps(objective, x0, {
        maxIter: s.iterations,
        ...vectors,
        onProgress: o.onProgress,
        signal: o.signal,
        ...(o.from ? { resume: o.from as LbfgsState } : {}),
      });
    } finally {
      objective.dispose();
    }
  }
  const cost = stage.minibatch();
  const batches = isStreamed(stage.X)
    ? streamedObjective(backend, stage.X, stage.labels, cost, s.batchSize)
    : minibatchObjective(backend, stage.X, stage.labels, cost);
  const options = {
    epochs: s.iterations,
    batchSize: s.batchSize,
    seed: o.seed,
    onProgress: o.onProgress,
    signal: o.signal,
    ...(s.learningRate === undefined ? {} : { learningRate: s.learningRate }),
    ...(o.from ? { resume: o.from as MinibatchState } : {}),
    ...vectors,
  };
  try {
    return yield* s.optimizer === "adam" ? adamSteps(batches, x0, options) : sgdSteps(batches, x0, options);
  } finally {
    batches.dispose();
    cost.dispose();
  }
}

/** The error a stage whose cost or gradient became non-finite ends in, with a hint of what may help. */
function nonFiniteError<T extends FloatArray>(stage: Stage<T>, result: OptimResult<Float32Array>): NumericalError {
  const s = stage.settings;
  // The inputs are finite (checked when the run starts): a step too long, or inputs so large
  // that the squared error overflows float32.
  const hint =
    s.optimizer === "lbfgs"
      ? "inputs of very large magnitude can cause this: scale them to about [0, 1]"
      : `a learning rate below this stage's ${s.learningRate ?? DEFAULT_LEARNING_RATE[s.optimizer]} may keep it finite`;
  return new NumericalError(stage.name, result.iterations + 1, `${result.message}; ${hint}`);
}
