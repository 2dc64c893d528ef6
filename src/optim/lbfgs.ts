// Limited-memory BFGS as the UFLDL exercise uses it: minFunc's defaults (SPEC §7).
// Direction by the two-loop recursion (Nocedal 1980, §4; Nocedal & Wright 2006, Algorithm 7.4),
// step by the strong-Wolfe line search of line-search.ts.
import { ArgumentError } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import { LineSearchWorkspace, wolfeLineSearch } from "./line-search.ts";
import { type CommonOptions, checkCommon, checkKeys, checkNumber } from "./options.ts";
import { runSteps, runStepsAsync, type Steps } from "./steps.ts";
import {
  asCostFunction,
  type CostLike,
  type LbfgsState,
  type OptimResult,
  type OptimStatus,
  type VectorOps,
} from "./types.ts";
import { allFinite, axpy, dot, sumAbs, WorkVectors } from "./vector.ts";

export interface LbfgsOptions extends CommonOptions {
  /** Most iterations (default 400, as in the exercise). */
  maxIter?: number;
  /** Most cost evaluations (default 1000). */
  maxFunEvals?: number;
  /** Stop when Σ|∇J| falls below this (default 1e-5). */
  optTol?: number;
  /** Stop when the step (max |t·d|), the change in cost or the directional derivative falls below this (default 1e-9). */
  progTol?: number;
  /** Correction pairs kept (default 100). */
  corrections?: number;
  /** Wolfe constants (defaults 1e-4 and 0.9). */
  c1?: number;
  c2?: number;
  /** Most evaluations in one line search (default 25). */
  maxLineSearch?: number;
  /**
   * Continue a run from the state a progress callback returned (`progress.state()`): the run
   * then goes on exactly as the uninterrupted one would have; x0 only gives the precision. The
   * correction pairs are taken over, not copied, when they have x0's precision.
   */
  resume?: LbfgsState;
  /**
   * dot and axpy for the two-loop recursion, the optimiser's heaviest vector work (2 × 2 passes
   * over every correction pair per iteration); default: plain JavaScript loops. Backends offer
   * their own as `backend.vectors` (native; wasm with worker threads, whose `zeros` puts the
   * history in the WebAssembly memory).
   */
  vectors?: VectorOps;
}

const KEYS = [
  "maxIter",
  "maxFunEvals",
  "optTol",
  "progTol",
  "corrections",
  "c1",
  "c2",
  "maxLineSearch",
  "resume",
  "vectors",
  "onProgress",
  "signal",
];

/** Pairs with yᵀs at or below this are skipped: they would break positive definiteness. */
const CURVATURE_SKIP = 1e-10;

/** lbfgs's options, checked, with minFunc's defaults filled in. */
interface LbfgsSettings {
  maxIter: number;
  maxFunEvals: number;
  optTol: number;
  progTol: number;
  /** Correction pairs kept. */
  m: number;
  c1: number;
  c2: number;
  maxLS: number;
}

function lbfgsSettings(options: LbfgsOptions): LbfgsSettings {
  checkKeys("lbfgs", options, KEYS);
  checkCommon("lbfgs", options);
  const maxIter = checkNumber("maxIter", options.maxIter ?? 400, { integer: true, min: 0 });
  const maxFunEvals = checkNumber("maxFunEvals", options.maxFunEvals ?? 1000, { integer: true, min: 1 });
  const optTol = checkNumber("optTol", options.optTol ?? 1e-5, { min: 0 });
  const progTol = checkNumber("progTol", options.progTol ?? 1e-9, { min: 0 });
  const m = checkNumber("corrections", options.corrections ?? 100, { integer: true, min: 1 });
  const c1 = checkNumber("c1", options.c1 ?? 1e-4, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  const c2 = checkNumber("c2", options.c2 ?? 0.9, { min: c1, max: 1, minExclusive: true, maxExclusive: true });
  const maxLS = checkNumber("maxLineSearch", options.maxLineSearch ?? 25, { integer: true, min: 1 });
  return { maxIter, maxFunEvals, optTol, progTol, m, c1, c2, maxLS };
}

/**
 * Minimises `cost` from x0 (not modified) with L-BFGS. Works in the precision of x0
 * (Float32Array or Float64Array); sums are accumulated in float64.
 */
export function lbfgs<T extends FloatArray>(cost: CostLike, x0: T, options: LbfgsOptions = {}): OptimResult<T> {
  return runSteps(lbfgsSteps(cost, x0, options));
}

/**
 * lbfgs, giving the event loop a turn after every iteration, so that an AbortSignal fired by a
 * timer or a user stops it, and a page stays responsive; the same iterations, the same result.
 */
export function lbfgsAsync<T extends FloatArray>(
  cost: CostLike,
  x0: T,
  options: LbfgsOptions = {},
): Promise<OptimResult<T>> {
  return runStepsAsync(lbfgsSteps(cost, x0, options));
}

/** lbfgs as a generator that yields after each iteration (after its progress callback). */
export function* lbfgsSteps<T extends FloatArray>(
  cost: CostLike,
  x0: T,
  options: LbfgsOptions = {},
): Steps<OptimResult<T>> {
  const settings = lbfgsSettings(options);
  const { maxIter, optTol, progTol, m, c1, c2, maxLS } = settings;
  if (!(x0 instanceof Float32Array || x0 instanceof Float64Array)) {
    throw new ArgumentError("x0 must be a Float32Array or a Float64Array");
  }
  const fn = asCostFunction(cost);
  const { onProgress, signal } = options;
  const vec: VectorOps = options.vectors ?? { dot, axpy };

  const resume = options.resume;
  if (resume !== undefined) checkResume(resume, x0, m);
  // Working vectors from `vectors.zeros` where the caller offers it (a backend's memory, where
  // its dot and axpy are fast), else plain arrays; the former are handed back on return.
  const work = new WorkVectors(options.vectors, x0);
  const vector = (): T => work.zeros();
  try {
    const x = x0.slice() as T;
    if (resume) x.set(resume.x);
    let g = vector();
    let gNext = vector();
    const d = vector();
    const ws = new LineSearchWorkspace(x);
    /** History: S[i] = steps, Y[i] = gradient changes, rho[i] = 1/(yᵢᵀsᵢ); a ring of m pairs. */
    const { S, Y, rho } = resume ? resumedPairs(resume, x0, work) : { S: [], Y: [], rho: [] };
    const alpha = new Float64Array(m);
    let sNew = vector();
    let yNew = vector();
    let hDiag = resume?.hDiag ?? 1;

    let f = resume ? resume.cost : fn(x, g);
    let evaluations = resume ? resume.evaluations : 1;
    let iterations = resume ? resume.iterations : 0;
    if (resume) g.set(resume.g);
    const result = (status: OptimStatus, message: string): OptimResult<T> => ({
      x,
      cost: f,
      iterations,
      evaluations,
      status,
      message,
    });
    const state = (): LbfgsState => ({ kind: "lbfgs", x, g, cost: f, iterations, evaluations, S, Y, rho, hDiag });
    if (!Number.isFinite(f) || !allFinite(g)) {
      return result("nonFinite", `the cost or its gradient is not finite at the starting point (J = ${f})`);
    }
    if (sumAbs(g) <= optTol) return result("optimal", `optimality condition below optTol at the starting point`);

    for (let i = iterations + 1; i <= maxIter; i++) {
      if (signal?.aborted) return result("aborted", `aborted after ${iterations} iterations`);
      // Direction: d = −H∇J by the two-loop recursion over the pairs, newest first.
      if (!vec.twoLoop?.(g, S, Y, rho, hDiag, d)) twoLoop(vec, g, S, Y, rho, hDiag, d, alpha);
      const { gtd, finite } = slope(g, d);
      if (!finite) return result("nonFinite", `the search direction became non-finite at iteration ${i}`);
      if (gtd > -progTol) return result("noProgress", "directional derivative below progTol");

      // First step t = min(1, 1/Σ|g|), then t = 1 (SPEC §7).
      const t0 = i === 1 ? Math.min(1, 1 / sumAbs(g)) : 1;
      const fOld = f;
      const ls = wolfeLineSearch(fn, x, t0, d, f, g, gtd, { c1, c2, maxEvaluations: maxLS, progTol }, gNext, ws);
      evaluations += ls.evaluations;
      if (ls.status === "failed") {
        return result("nonFinite", `the line search found no finite point with lower cost at iteration ${i}`);
      }
      const t = ls.t;
      const { ys, yy, sMax, optimality } = takeStep(x, t, d, g, gNext, sNew, yNew);
      if (ys > CURVATURE_SKIP) {
        [sNew, yNew] = keepPair(S, Y, rho, m, sNew, yNew, ys, vector);
        hDiag = ys / yy;
      }
      [g, gNext] = [gNext, g];
      f = ls.f;
      iterations = i;

      if (onProgress?.({ iteration: i, evaluations, cost: f, step: t, optimality, state }) === false) {
        return result("stopped", `stopped by the progress callback after ${i} iterations`);
      }
      const stop = stopTest(settings, optimality, sMax, f, fOld, evaluations);
      if (stop) return result(stop[0], stop[1]);
      yield;
    }
    return result("maxIterations", `reached the limit of ${maxIter} iterations`);
  } finally {
    work.release();
  }
}

/**
 * A resumed state's correction pairs: each vector taken over when it has x0's precision and is
 * not to be in the backend, else copied into a working vector.
 */
function resumedPairs(
  resume: LbfgsState,
  x0: FloatArray,
  work: WorkVectors<FloatArray>,
): { S: FloatArray[]; Y: FloatArray[]; rho: number[] } {
  const adopt = (values: FloatArray): FloatArray => {
    if (values.constructor === x0.constructor && !work.inBackend) return values;
    const out = work.zeros();
    out.set(values);
    return out;
  };
  return { S: resume.S.map(adopt), Y: resume.Y.map(adopt), rho: resume.rho.slice() };
}

/**
 * Appends the pair (s, y) with ρ = 1/(yᵀs) to the history of at most m pairs and returns the
 * buffers for the next pair: when the history is full, those of the oldest pair, which it drops.
 */
function keepPair<T extends FloatArray>(
  S: FloatArray[],
  Y: FloatArray[],
  rho: number[],
  m: number,
  s: T,
  y: T,
  ys: number,
  vector: () => T,
): [T, T] {
  const [oldS, oldY] = S.length === m ? [S.shift(), Y.shift()] : [vector(), vector()];
  if (rho.length === m) rho.shift();
  S.push(s);
  Y.push(y);
  rho.push(1 / ys);
  return [oldS as T, oldY as T];
}

/** gᵀd, and whether d is finite (Σ 0·dⱼ is NaN exactly when some dⱼ is not): one pass over d. */
function slope(g: FloatArray, d: FloatArray): { gtd: number; finite: boolean } {
  let gtd = 0;
  let nonFinite = 0;
  for (let j = 0; j < d.length; j++) {
    const dj = d[j] as number;
    gtd += (g[j] as number) * dj;
    nonFinite += 0 * dj;
  }
  return { gtd, finite: nonFinite === 0 };
}

/**
 * The pair s = t·d, y = ∇J(x + s) − ∇J(x) (gNext − g) into s and y, computed before x moves to
 * x + s; in the same pass yᵀs, yᵀy, max |s| and Σ|∇J(x + s)| (from the values as stored, in x's
 * precision).
 */
function takeStep(
  x: FloatArray,
  t: number,
  d: FloatArray,
  g: FloatArray,
  gNext: FloatArray,
  s: FloatArray,
  y: FloatArray,
): { ys: number; yy: number; sMax: number; optimality: number } {
  let ys = 0;
  let yy = 0;
  let sMax = 0;
  let optimality = 0;
  for (let j = 0; j < x.length; j++) {
    const sj = t * (d[j] as number);
    s[j] = sj;
    const gj = gNext[j] as number;
    y[j] = gj - (g[j] as number);
    x[j] = (x[j] as number) + sj;
    const sv = s[j] as number;
    const yv = y[j] as number;
    ys += yv * sv;
    yy += yv * yv;
    sMax = Math.max(sMax, Math.abs(sv));
    optimality += Math.abs(gj);
  }
  return { ys, yy, sMax, optimality };
}

/** minFunc's tests after an iteration, in its order: the status and message to stop with, or null to go on. */
function stopTest(
  settings: LbfgsSettings,
  optimality: number,
  sMax: number,
  f: number,
  fOld: number,
  evaluations: number,
): [OptimStatus, string] | null {
  if (optimality <= settings.optTol) return ["optimal", "optimality condition below optTol"];
  if (sMax <= settings.progTol) return ["noProgress", "step size below progTol"];
  if (Math.abs(f - fOld) < settings.progTol) return ["noProgress", "cost changing by less than progTol"];
  if (evaluations >= settings.maxFunEvals) {
    return ["maxEvaluations", `reached the limit of ${settings.maxFunEvals} cost evaluations`];
  }
  return null;
}

/** d = −H·g by the two-loop recursion with `vec`'s dot and axpy; alpha holds at least S.length values. */
function twoLoop(
  vec: VectorOps,
  g: FloatArray,
  S: readonly FloatArray[],
  Y: readonly FloatArray[],
  rho: readonly number[],
  hDiag: number,
  d: FloatArray,
  alpha: Float64Array,
): void {
  for (let j = 0; j < d.length; j++) d[j] = -(g[j] as number);
  const k = S.length;
  for (let j = k - 1; j >= 0; j--) {
    const a = (rho[j] as number) * vec.dot(S[j] as FloatArray, d);
    alpha[j] = a;
    vec.axpy(-a, Y[j] as FloatArray, d);
  }
  for (let j = 0; j < d.length; j++) d[j] = hDiag * (d[j] as number);
  for (let j = 0; j < k; j++) {
    const b = (rho[j] as number) * vec.dot(Y[j] as FloatArray, d);
    vec.axpy((alpha[j] as number) - b, S[j] as FloatArray, d);
  }
}

/** Checks a state to resume from against x0 and the number of corrections. */
function checkResume(state: LbfgsState, x0: FloatArray, corrections: number): void {
  const n = x0.length;
  const bad = (what: string) => new ArgumentError(`lbfgs: resume state ${what}`);
  if (state.kind !== "lbfgs") throw bad(`is of kind ${JSON.stringify(state.kind)}, not "lbfgs"`);
  if (state.x.length !== n || state.g.length !== n) {
    throw bad(`has x and g of lengths ${state.x.length} and ${state.g.length}; x0 has ${n}`);
  }
  const k = state.S.length;
  if (state.Y.length !== k || state.rho.length !== k || k > corrections) {
    throw bad(
      `holds ${k} steps, ${state.Y.length} gradient changes and ${state.rho.length} ρ (at most ${corrections})`,
    );
  }
  if ([...state.S, ...state.Y].some((v) => v.length !== n)) throw bad(`has a correction pair not of length ${n}`);
  checkNumber("resume.iterations", state.iterations, { integer: true, min: 0 });
  checkNumber("resume.evaluations", state.evaluations, { integer: true, min: 1 });
}
