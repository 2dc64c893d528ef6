// Minibatch stochastic methods: SGD with (Nesterov) momentum, and Adam (Kingma & Ba, 2015).
// Each epoch visits every example once, in an order drawn from a seeded generator.
import { ArgumentError } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import { Rng } from "../linalg/rng.ts";
import { type CommonOptions, checkCommon, checkKeys, checkNumber } from "./options.ts";
import { runSteps, runStepsAsync, type Steps } from "./steps.ts";
import type { MinibatchState, OptimResult, OptimStatus, VectorOps } from "./types.ts";
import { allFinite, sumAbs, WorkVectors } from "./vector.ts";

/**
 * A cost that can be evaluated on a subset of the examples: J and ∇J averaged over the rows
 * listed in `rows` (indices into the data set, 0 ≤ row < examples).
 */
export interface MinibatchCost {
  readonly examples: number;
  cost(x: FloatArray, grad: FloatArray, rows: Int32Array): number;
  /**
   * Draws an epoch's order of the examples into `order` (default: a uniform shuffle by `rng`): a
   * source read from a file shuffles so that its reads stay local (data/stream-order.ts).
   */
  shuffle?(order: Int32Array, rng: Rng): void;
  /**
   * Told the epoch's order, and the position in it of the next batch, before the epoch's first
   * batch (or the first batch of a resumed run): so that a source can read its batches ahead.
   */
  startEpoch?(order: Int32Array, position: number): void;
}

/** A multiplier of the base learning rate, from the fraction of the run done (0 → 1). */
export type Schedule = "constant" | "cosine" | "linear" | ((progress: number) => number);

interface MinibatchCommon extends CommonOptions {
  /** Passes over the data (default 10). */
  epochs?: number;
  /** Examples per step (default 128; the last step of an epoch may have fewer). */
  batchSize?: number;
  /** The base learning rate. */
  learningRate?: number;
  /** How the learning rate changes over the run (default "constant"). */
  schedule?: Schedule;
  /** Seed of the shuffles (default 0). */
  seed?: number;
  /**
   * Continue a run from the state a progress callback returned (`progress.state()`): the run
   * then goes on exactly as the uninterrupted one would have (the seed is then not used).
   */
  resume?: MinibatchState;
  /**
   * A backend's `backend.vectors` (native; wasm with threads): the update runs in its `sgdStep`
   * or `adamStep`, on every thread, with the same results, and the gradient's check in its
   * `sumAbs`; the parameters, the gradient and the moments are then kept in its memory where it
   * offers `zeros` (`zeros64`). Default: JavaScript loops.
   */
  vectors?: VectorOps;
}

export interface SgdOptions extends MinibatchCommon {
  /** Momentum μ in [0, 1) (default 0.9; 0 is plain SGD). */
  momentum?: number;
  /** Nesterov's accelerated form (default false). */
  nesterov?: boolean;
}

export interface AdamOptions extends MinibatchCommon {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Each method's base learning rate where `learningRate` is not given. */
export const DEFAULT_LEARNING_RATE = { sgd: 0.1, adam: 1e-3 } as const;

const COMMON_KEYS = [
  "epochs",
  "batchSize",
  "learningRate",
  "schedule",
  "seed",
  "resume",
  "vectors",
  "onProgress",
  "signal",
];

interface Plan {
  epochs: number;
  batchSize: number;
  learningRate: number;
  rate: (progress: number) => number;
  rng: Rng;
}

function plan(where: string, x0: FloatArray, options: MinibatchCommon, defaultRate: number): Plan {
  checkCommon(where, options);
  if (!(x0 instanceof Float32Array || x0 instanceof Float64Array)) {
    throw new ArgumentError(`${where}: x0 must be a Float32Array or a Float64Array`);
  }
  const epochs = checkNumber("epochs", options.epochs ?? 10, { integer: true, min: 0 });
  const batchSize = checkNumber("batchSize", options.batchSize ?? 128, { integer: true, min: 1 });
  const learningRate = checkNumber("learningRate", options.learningRate ?? defaultRate, { min: 0, minExclusive: true });
  const seed = checkNumber("seed", options.seed ?? 0, { integer: true, min: 0, max: 2 ** 32 - 1 });
  const schedule = options.schedule ?? "constant";
  let rate: (p: number) => number;
  if (typeof schedule === "function") rate = schedule;
  else if (schedule === "constant") rate = () => 1;
  else if (schedule === "cosine") rate = (p) => 0.5 * (1 + Math.cos(Math.PI * p));
  else if (schedule === "linear") rate = (p) => 1 - p;
  else
    throw new ArgumentError(
      `schedule must be "constant", "cosine", "linear" or a function, got ${JSON.stringify(schedule)}`,
    );
  return { epochs, batchSize, learningRate, rate, rng: new Rng(seed) };
}

/**
 * Runs the epochs: shuffles, cuts batches, evaluates, and hands each gradient to `update`
 * (which moves x, using and updating `moments`). Keeps the last point with a finite cost and
 * gradient. x and the gradient come from `work`; the x returned is never one of its vectors.
 */
function* runEpochs<T extends FloatArray>(
  kind: MinibatchState["kind"],
  cost: MinibatchCost,
  x0: T,
  p: Plan,
  options: MinibatchCommon,
  work: WorkVectors<T>,
  moments: FloatArray[],
  update: (x: T, g: T, rate: number, step: number) => void,
): Steps<OptimResult<T>> {
  const n = checkNumber("examples", cost.examples, { integer: true, min: 1 });
  const sumAbsOf = options.vectors?.sumAbs?.bind(options.vectors) ?? sumAbs;
  const resume = options.resume;
  if (resume !== undefined) checkResume(kind, resume, x0, n, moments);
  const x = work.zeros();
  x.set(x0);
  const last = x0.slice() as T;
  const g = work.zeros();
  const order = Int32Array.from({ length: n }, (_, i) => i);
  const totalSteps = Math.ceil(n / p.batchSize) * p.epochs;
  const c = resume ? resumedCounters(resume, x, last, order, moments, p) : freshCounters();
  const state = (): MinibatchState => ({
    kind,
    x,
    last,
    iterations: c.step,
    evaluations: c.evaluations,
    epoch: c.epoch,
    order,
    position: c.start + p.batchSize,
    epochSum: c.sum,
    epochCost: c.epochCost,
    rng: p.rng.state,
    moments,
  });
  const result = (status: OptimStatus, message: string, at: T = x): OptimResult<T> => ({
    x: work.owns(at) ? (at.slice() as T) : at,
    cost: c.epochCost,
    iterations: c.step,
    evaluations: c.evaluations,
    status,
    message,
  });
  for (; c.epoch <= p.epochs; c.epoch++) {
    if (c.position < 0) {
      if (cost.shuffle) cost.shuffle(order, p.rng);
      else p.rng.shuffle(order);
      c.sum = 0;
    }
    cost.startEpoch?.(order, Math.max(0, c.position));
    for (c.start = Math.max(0, c.position); c.start < n; c.start += p.batchSize) {
      const { epoch } = c;
      if (options.signal?.aborted) return result("aborted", `aborted in epoch ${epoch} after ${c.step} steps`);
      const rows = order.subarray(c.start, Math.min(n, c.start + p.batchSize));
      const J = cost.cost(x, g, rows);
      c.evaluations++;
      // Σ|g| is finite when every element is (but for float64 elements near the largest double),
      // so it stands for the check of each element, a pass over g fewer per step.
      const optimality = sumAbsOf(g);
      if (!Number.isFinite(J) || (!Number.isFinite(optimality) && !allFinite(g))) {
        return result(
          "nonFinite",
          `the cost or gradient became non-finite at step ${c.step + 1} (epoch ${epoch})`,
          last,
        );
      }
      last.set(x);
      c.sum += J * rows.length;
      const rate = p.learningRate * p.rate(c.step / totalSteps);
      const step = ++c.step;
      update(x, g, rate, step);
      const progress = { iteration: step, evaluations: c.evaluations, cost: J, step: rate, optimality, epoch, state };
      if (options.onProgress?.(progress) === false) {
        return result("stopped", `stopped by the progress callback at step ${step}`);
      }
      yield;
    }
    c.position = -1;
    c.epochCost = c.sum / n;
  }
  // The last step is checked by no later evaluation: a non-finite x here would be handed out.
  if (!allFinite(x)) {
    return result("nonFinite", `the last step (step ${c.step}) made the parameters non-finite`, last);
  }
  return result(
    "epochsDone",
    `ran ${p.epochs} epochs (${c.step} steps); cost is the mean minibatch cost of the last epoch`,
  );
}

/** Where a run of epochs stands: what its state keeps besides the vectors. */
interface EpochCounters {
  evaluations: number;
  /** Steps taken. */
  step: number;
  /** The mean batch cost of the last whole epoch (NaN before the first ends). */
  epochCost: number;
  /** Σ batch cost × batch rows in this epoch so far. */
  sum: number;
  epoch: number;
  /** The first row of order to continue from in this epoch; −1: the epoch starts with a shuffle. */
  position: number;
  /** The first row of the batch in progress. */
  start: number;
}

function freshCounters(): EpochCounters {
  return { evaluations: 0, step: 0, epochCost: Number.NaN, sum: 0, epoch: 1, position: -1, start: 0 };
}

/** Puts a resumed state's vectors into place and returns its counters. */
function resumedCounters<T extends FloatArray>(
  resume: MinibatchState,
  x: T,
  last: T,
  order: Int32Array,
  moments: FloatArray[],
  p: Plan,
): EpochCounters {
  x.set(resume.x);
  last.set(resume.last);
  order.set(resume.order);
  for (const [i, v] of resume.moments.entries()) (moments[i] as FloatArray).set(v);
  p.rng.state = resume.rng;
  return {
    evaluations: resume.evaluations,
    step: resume.iterations,
    epochCost: resume.epochCost,
    sum: resume.epochSum,
    epoch: resume.epoch,
    position: resume.position,
    start: 0,
  };
}

/** Checks a state to resume from against the problem. */
function checkResume(
  kind: MinibatchState["kind"],
  state: MinibatchState,
  x0: FloatArray,
  examples: number,
  moments: FloatArray[],
): void {
  const bad = (what: string) => new ArgumentError(`${kind}: resume state ${what}`);
  if (state.kind !== kind) throw bad(`is of kind ${JSON.stringify(state.kind)}, not ${JSON.stringify(kind)}`);
  if (state.x.length !== x0.length || state.last.length !== x0.length) {
    throw bad(`has x of length ${state.x.length}; x0 has ${x0.length}`);
  }
  if (state.order.length !== examples) throw bad(`orders ${state.order.length} examples; the cost has ${examples}`);
  if (state.moments.length !== moments.length || state.moments.some((v) => v.length !== x0.length)) {
    throw bad(`needs ${moments.length} moment vectors of length ${x0.length}`);
  }
  checkNumber("resume.epoch", state.epoch, { integer: true, min: 1 });
  checkNumber("resume.position", state.position, { integer: true, min: 0 });
  checkNumber("resume.iterations", state.iterations, { integer: true, min: 0 });
}

/** Minibatch SGD with momentum: v ← μv − η∇J, x ← x + v (Nesterov: x ← x + μv − η∇J). */
export function sgd<T extends FloatArray>(cost: MinibatchCost, x0: T, options: SgdOptions = {}): OptimResult<T> {
  return runSteps(sgdSteps(cost, x0, options));
}

/** sgd, giving the event loop a turn after every step (see lbfgsAsync); the same result. */
export function sgdAsync<T extends FloatArray>(
  cost: MinibatchCost,
  x0: T,
  options: SgdOptions = {},
): Promise<OptimResult<T>> {
  return runStepsAsync(sgdSteps(cost, x0, options));
}

/** sgd as a generator that yields after each step (after its progress callback). */
export function* sgdSteps<T extends FloatArray>(
  cost: MinibatchCost,
  x0: T,
  options: SgdOptions = {},
): Steps<OptimResult<T>> {
  checkKeys("sgd", options, [...COMMON_KEYS, "momentum", "nesterov"]);
  const p = plan("sgd", x0, options, DEFAULT_LEARNING_RATE.sgd);
  const mu = checkNumber("momentum", options.momentum ?? 0.9, { min: 0, max: 1, maxExclusive: true });
  const nesterov = options.nesterov ?? false;
  const work = new WorkVectors(options.vectors, x0);
  try {
    const v = work.zeros();
    const step = options.vectors?.sgdStep?.bind(options.vectors);
    return yield* runEpochs("sgd", cost, x0, p, options, work, [v], (x, g, rate) => {
      if (step?.(x, g, v, { momentum: mu, rate, nesterov })) return;
      for (let i = 0; i < x.length; i++) {
        const gi = g[i] as number;
        const vi = mu * (v[i] as number) - rate * gi;
        v[i] = vi;
        x[i] = (x[i] as number) + (nesterov ? mu * vi - rate * gi : vi);
      }
    });
  } finally {
    work.release();
  }
}

/** Adam: bias-corrected first and second moment estimates of the gradient. */
export function adam<T extends FloatArray>(cost: MinibatchCost, x0: T, options: AdamOptions = {}): OptimResult<T> {
  return runSteps(adamSteps(cost, x0, options));
}

/** adam, giving the event loop a turn after every step (see lbfgsAsync); the same result. */
export function adamAsync<T extends FloatArray>(
  cost: MinibatchCost,
  x0: T,
  options: AdamOptions = {},
): Promise<OptimResult<T>> {
  return runStepsAsync(adamSteps(cost, x0, options));
}

/** adam as a generator that yields after each step (after its progress callback). */
export function* adamSteps<T extends FloatArray>(
  cost: MinibatchCost,
  x0: T,
  options: AdamOptions = {},
): Steps<OptimResult<T>> {
  checkKeys("adam", options, [...COMMON_KEYS, "beta1", "beta2", "epsilon"]);
  const p = plan("adam", x0, options, DEFAULT_LEARNING_RATE.adam);
  const b1 = checkNumber("beta1", options.beta1 ?? 0.9, { min: 0, max: 1, maxExclusive: true });
  const b2 = checkNumber("beta2", options.beta2 ?? 0.999, { min: 0, max: 1, maxExclusive: true });
  const eps = checkNumber("epsilon", options.epsilon ?? 1e-8, { min: 0, minExclusive: true });
  const work = new WorkVectors(options.vectors, x0);
  try {
    const m = work.zeros64();
    const v = work.zeros64();
    const step = options.vectors?.adamStep?.bind(options.vectors);
    return yield* runEpochs("adam", cost, x0, p, options, work, [m, v], (x, g, rate, t) => {
      // x −= η·m̂ / (√v̂ + ε), m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ): the bias corrections folded into
      // two factors, since a division per element costs as much as the rest of the loop.
      const stepPerM = rate / (1 - b1 ** t);
      const perV = 1 / (1 - b2 ** t);
      if (step?.(x, g, m, v, { beta1: b1, beta2: b2, epsilon: eps, stepPerM, perV })) return;
      for (let i = 0; i < x.length; i++) {
        const gi = g[i] as number;
        const mi = b1 * (m[i] as number) + (1 - b1) * gi;
        const vi = b2 * (v[i] as number) + (1 - b2) * gi * gi;
        m[i] = mi;
        v[i] = vi;
        x[i] = (x[i] as number) - (stepPerM * mi) / (Math.sqrt(vi * perV) + eps);
      }
    });
  } finally {
    work.release();
  }
}
