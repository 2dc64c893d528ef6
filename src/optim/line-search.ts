// A line search satisfying the strong Wolfe conditions, after minFunc's WolfeLineSearch
// (M. Schmidt, 2005–2012) with cubic interpolation: a bracketing phase that extrapolates until
// the interval [t_prev, t] contains acceptable steps, then a zoom phase that shrinks it.
// Nocedal & Wright, Numerical Optimization (2006), Algorithms 3.5 and 3.6.
import type { FloatArray } from "../linalg/matrix.ts";
import type { CostFunction } from "./types.ts";
import { addScaled, allFinite, dot, maxAbs } from "./vector.ts";

export interface LineSearchOptions {
  /** Sufficient decrease: f(x + t·d) ≤ f + c1·t·gᵀd. */
  c1: number;
  /** Curvature: |∇f(x + t·d)ᵀd| ≤ c2·|gᵀd|. */
  c2: number;
  /** Most cost evaluations in one line search (minFunc: 25). */
  maxEvaluations: number;
  /** The bracket is abandoned once its width times max|d| is below this. */
  progTol: number;
}

export type LineSearchStatus =
  /** Both Wolfe conditions hold at t. */
  | "wolfe"
  /** The bracket shrank below progTol; t is its best end. */
  | "bracketSmall"
  /** The evaluation limit was reached; t is the best point seen. */
  | "maxEvaluations"
  /** A non-finite value was met; backtracking found t with sufficient decrease. */
  | "backtracked"
  /** No finite point with sufficient decrease was found: t = 0. */
  | "failed";

export interface LineSearchResult {
  /** The accepted step (0 when status is "failed"). */
  t: number;
  /** f(x + t·d). */
  f: number;
  evaluations: number;
  status: LineSearchStatus;
}

/** Reusable buffers for one problem size: trial point and four gradients. */
export class LineSearchWorkspace {
  readonly xTrial: FloatArray;
  readonly grads: FloatArray[];
  constructor(like: FloatArray) {
    const make = () => new (like.constructor as { new (n: number): FloatArray })(like.length);
    this.xTrial = make();
    this.grads = [make(), make(), make(), make()];
  }
}

const legal = (f: number, g: FloatArray) => Number.isFinite(f) && allFinite(g);

/**
 * Searches along d from x (f = J(x), g = ∇J(x), gtd = gᵀd < 0) starting at step t. Writes
 * ∇J(x + t·d) of the accepted step into gOut.
 */
export function wolfeLineSearch(
  fn: CostFunction,
  x: FloatArray,
  t0: number,
  d: FloatArray,
  f: number,
  g: FloatArray,
  gtd: number,
  options: LineSearchOptions,
  gOut: FloatArray,
  ws: LineSearchWorkspace = new LineSearchWorkspace(x),
): LineSearchResult {
  const search = new Search(fn, x, d, f, g, gtd, options, gOut, ws);
  const bracket = bracketPhase(search, t0);
  return "status" in bracket ? bracket : zoomPhase(search, bracket);
}

/** One line search's problem, its pool of gradient buffers and its count of evaluations. */
class Search {
  evaluations = 0;
  readonly #free: FloatArray[];
  constructor(
    readonly fn: CostFunction,
    readonly x: FloatArray,
    readonly d: FloatArray,
    readonly f: number,
    readonly g: FloatArray,
    readonly gtd: number,
    readonly options: LineSearchOptions,
    readonly gOut: FloatArray,
    readonly ws: LineSearchWorkspace,
  ) {
    this.#free = [...ws.grads];
  }

  /** A gradient buffer not in use. */
  take(): FloatArray {
    return this.#free.pop() as FloatArray;
  }

  /** Gives a gradient buffer back (never g, the caller's). */
  give(buf: FloatArray): void {
    if (buf !== this.g) this.#free.push(buf);
  }

  /** J(x + t·d), its gradient written into `into`. */
  evaluate(t: number, into: FloatArray): number {
    addScaled(this.x, t, this.d, this.ws.xTrial);
    this.evaluations++;
    return this.fn(this.ws.xTrial, into);
  }

  finish(t: number, fT: number, gT: FloatArray, status: LineSearchStatus): LineSearchResult {
    this.gOut.set(gT);
    return { t, f: fT, evaluations: this.evaluations, status };
  }
}

/**
 * An interval of steps known to contain acceptable ones, by its ends' steps, values and
 * gradients; one end when that end already satisfies both conditions (`done`).
 */
interface Bracket {
  t: number[];
  f: number[];
  g: FloatArray[];
  done: boolean;
  /** Evaluations the bracketing phase used after its first. */
  iter: number;
}

/**
 * Bracketing phase: extrapolates from t0 until [t_prev, t] contains acceptable steps. Returns
 * the bracket, or the line search's result when it ends here (a non-finite value, which turns
 * to backtracking, or the evaluation limit).
 */
function bracketPhase(s: Search, t0: number): Bracket | LineSearchResult {
  const { f, g, gtd, d } = s;
  const { c1, c2, maxEvaluations: maxLS } = s.options;
  let t = t0;
  let tPrev = 0;
  let fPrev = f;
  let gPrev: FloatArray = g;
  let gtdPrev = gtd;
  let gNew = s.take();
  let fNew = s.evaluate(t, gNew);
  let gtdNew = dot(gNew, d);
  let iter = 0;
  while (iter < maxLS) {
    if (!legal(fNew, gNew)) {
      // Extrapolated into a region where the cost is not finite: back off (minFunc switches to
      // Armijo backtracking here).
      return armijoBacktrack(s.fn, s.x, (t + tPrev) / 2, d, f, g, gtd, s.options, s.gOut, s.ws, s.evaluations);
    }
    const between: Bracket = { t: [tPrev, t], f: [fPrev, fNew], g: [gPrev, gNew], done: false, iter };
    if (fNew > f + c1 * t * gtd || (iter > 1 && fNew >= fPrev)) return between;
    if (Math.abs(gtdNew) <= -c2 * gtd) return { t: [t], f: [fNew], g: [gNew], done: true, iter };
    if (gtdNew >= 0) return between;
    const temp = tPrev;
    tPrev = t;
    const minStep = t + 0.01 * (t - temp);
    const maxStep = t * 10;
    t = cubicMinimizer(temp, fPrev, gtdPrev, t, fNew, gtdNew, minStep, maxStep);
    s.give(gPrev);
    fPrev = fNew;
    gPrev = gNew;
    gtdPrev = gtdNew;
    gNew = s.take();
    fNew = s.evaluate(t, gNew);
    gtdNew = dot(gNew, d);
    iter++;
  }
  // Out of evaluations while extrapolating: keep the better of the last two points.
  return fNew < fPrev && legal(fNew, gNew)
    ? s.finish(t, fNew, gNew, "maxEvaluations")
    : s.finish(tPrev, fPrev, gPrev, "maxEvaluations");
}

/**
 * Zoom phase: shrinks the bracket until a point satisfies both conditions, the bracket is
 * narrower than progTol, or the evaluations run out; then the best end is the step.
 */
function zoomPhase(s: Search, bracket: Bracket): LineSearchResult {
  const { f, g, gtd, d } = s;
  const { c1, c2, maxEvaluations: maxLS, progTol } = s.options;
  const { t: steps, f: values, g: grads } = bracket;
  const nrmD = maxAbs(d);
  let { done, iter } = bracket;
  let insufficientProgress = false;
  let status: LineSearchStatus = "wolfe";
  while (!done && iter < maxLS) {
    const lo = (values[0] as number) <= (values[1] as number) ? 0 : 1;
    const hi = 1 - lo;
    let t = cubicInterpolate(
      steps[0] as number,
      values[0] as number,
      dot(grads[0] as FloatArray, d),
      steps[1] as number,
      values[1] as number,
      dot(grads[1] as FloatArray, d),
    );
    [t, insufficientProgress] = safeguard(t, steps[0] as number, steps[1] as number, insufficientProgress);
    const gNew = s.take();
    const fNew = s.evaluate(t, gNew);
    const gtdNew = dot(gNew, d);
    iter++;
    const armijo = fNew < f + c1 * t * gtd;
    if (!legal(fNew, gNew) || !armijo || fNew >= (values[lo] as number)) {
      // Not a better low point: it becomes the high end.
      s.give(grads[hi] as FloatArray);
      steps[hi] = t;
      values[hi] = fNew;
      grads[hi] = gNew;
    } else {
      if (Math.abs(gtdNew) <= -c2 * gtd) {
        done = true;
      } else if (gtdNew * ((steps[hi] as number) - (steps[lo] as number)) >= 0) {
        // The old low end becomes the high end.
        s.give(grads[hi] as FloatArray);
        steps[hi] = steps[lo] as number;
        values[hi] = values[lo] as number;
        grads[hi] = grads[lo] as FloatArray;
      } else {
        s.give(grads[lo] as FloatArray);
      }
      steps[lo] = t;
      values[lo] = fNew;
      grads[lo] = gNew;
    }
    if (!done && Math.abs((steps[0] as number) - (steps[1] as number)) * nrmD < progTol) {
      status = "bracketSmall";
      break;
    }
  }
  if (!done && status === "wolfe") status = "maxEvaluations";
  const best = values.length === 1 || (values[0] as number) <= (values[1] as number) ? 0 : 1;
  const fBest = values[best] as number;
  const gBest = grads[best] as FloatArray;
  if (!legal(fBest, gBest) || !(fBest <= f)) return { ...s.finish(0, f, g, "failed"), evaluations: s.evaluations };
  return s.finish(steps[best] as number, fBest, gBest, status);
}

/**
 * Keeps a zoom trial t away from the ends of the bracket [b0, b1] (minFunc's safeguard): a
 * point within 10 % of an end is moved to 10 % inside it when the last trial made too little
 * progress too, or when t lies outside. Returns the step and the new "insufficient progress".
 */
function safeguard(t: number, b0: number, b1: number, insufficientProgress: boolean): [number, boolean] {
  const bMin = Math.min(b0, b1);
  const bMax = Math.max(b0, b1);
  if (!(Math.min(bMax - t, t - bMin) / (bMax - bMin) < 0.1)) return [t, false];
  if (insufficientProgress || t >= bMax || t <= bMin) {
    return [Math.abs(t - bMax) < Math.abs(t - bMin) ? bMax - 0.1 * (bMax - bMin) : bMin + 0.1 * (bMax - bMin), false];
  }
  return [t, true];
}

/**
 * Backtracking from step t until the cost is finite and decreases sufficiently, by cubic
 * interpolation where the gradient is finite and halving where it is not (minFunc's
 * ArmijoBacktrack). Gives up with t = 0 when the step becomes negligible.
 */
function armijoBacktrack(
  fn: CostFunction,
  x: FloatArray,
  t: number,
  d: FloatArray,
  f: number,
  g: FloatArray,
  gtd: number,
  options: LineSearchOptions,
  gOut: FloatArray,
  ws: LineSearchWorkspace,
  evaluations: number,
): LineSearchResult {
  const gNew = ws.grads[0] as FloatArray;
  let count = evaluations;
  for (;;) {
    if (count >= evaluations + options.maxEvaluations || t * maxAbs(d) <= options.progTol) {
      gOut.set(g);
      return { t: 0, f, evaluations: count, status: "failed" };
    }
    addScaled(x, t, d, ws.xTrial);
    count++;
    const fNew = fn(ws.xTrial, gNew);
    if (legal(fNew, gNew) && fNew <= f + options.c1 * t * gtd) {
      gOut.set(gNew);
      return { t, f: fNew, evaluations: count, status: "backtracked" };
    }
    const previous = t;
    if (legal(fNew, gNew)) {
      t = cubicInterpolate(0, f, gtd, t, fNew, dot(gNew, d));
      t = Math.min(Math.max(t, previous * 1e-3), previous * 0.6);
    } else {
      t = previous / 2;
    }
  }
}

/**
 * The minimiser of the cubic through (t0, f0, g0) and (t1, f1, g1) (values and slopes), clamped
 * to the interval between them; the midpoint when the cubic has no real minimiser.
 * This is minFunc's polyinterp for two points without bounds.
 */
export function cubicInterpolate(t0: number, f0: number, g0: number, t1: number, f1: number, g1: number): number {
  // Name the points so that (a) is the one with the lower value.
  const [ta, fa, ga, tb, fb, gb] = f0 <= f1 ? [t0, f0, g0, t1, f1, g1] : [t1, f1, g1, t0, f0, g0];
  const d1 = ga + gb - (3 * (fa - fb)) / (ta - tb);
  const disc = d1 * d1 - ga * gb;
  if (!(disc >= 0) || ta === tb) return (t0 + t1) / 2;
  const d2 = Math.sqrt(disc);
  const t = tb - (tb - ta) * ((gb + d2 - d1) / (gb - ga + 2 * d2));
  if (!Number.isFinite(t)) return (t0 + t1) / 2;
  return Math.min(Math.max(t, Math.min(t0, t1)), Math.max(t0, t1));
}

/**
 * The minimiser over [lo, hi] of the cubic through (t0, f0, g0) and (t1, f1, g1): the smallest
 * of its values at the bounds and at its stationary points inside them (minFunc's polyinterp
 * with bounds, used to extrapolate in the bracketing phase).
 */
export function cubicMinimizer(
  t0: number,
  f0: number,
  g0: number,
  t1: number,
  f1: number,
  g1: number,
  lo: number,
  hi: number,
): number {
  const h = t1 - t0;
  if (!Number.isFinite(h) || h === 0) return hi;
  // p(s) = A s³ + B s² + C s + D for s = (t − t0)/h, matching both values and slopes.
  const C = h * g0;
  const r1 = f1 - f0 - C;
  const r2 = h * g1 - C;
  const A = r2 - 2 * r1;
  const B = 3 * r1 - r2;
  const p = (s: number) => ((A * s + B) * s + C) * s;
  const candidates = [(lo - t0) / h, (hi - t0) / h];
  const [sLo, sHi] = [Math.min(...candidates), Math.max(...candidates)];
  // Stationary points: 3A s² + 2B s + C = 0.
  if (A !== 0) {
    const disc = B * B - 3 * A * C;
    if (disc >= 0) {
      const r = Math.sqrt(disc);
      for (const s of [(-B + r) / (3 * A), (-B - r) / (3 * A)]) if (s > sLo && s < sHi) candidates.push(s);
    }
  } else if (B !== 0) {
    const s = -C / (2 * B);
    if (s > sLo && s < sHi) candidates.push(s);
  }
  let best = candidates[0] as number;
  for (const s of candidates) if (p(s) < p(best)) best = s;
  return t0 + best * h;
}
