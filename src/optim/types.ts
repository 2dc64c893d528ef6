import type { FloatArray } from "../linalg/matrix.ts";

/**
 * A differentiable function of one flat vector (STYLE.md §1): returns J(x) and writes ∇J(x)
 * into `grad`. Both arrays belong to the caller and have the same length.
 */
export type CostFunction = (x: FloatArray, grad: FloatArray) => number;

/** Anything with a `cost(x, grad)` method, such as an nn Objective. */
export type CostLike = CostFunction | { cost(x: FloatArray, grad: FloatArray): number };

export function asCostFunction(f: CostLike): CostFunction {
  return typeof f === "function" ? f : (x, g) => f.cost(x, g);
}

/** Why an optimiser stopped. */
export type OptimStatus =
  /** Σ|∇J| fell below optTol: a (local) minimum. */
  | "optimal"
  /** The step or the change in cost fell below progTol: no further progress. */
  | "noProgress"
  /** The iteration limit was reached. */
  | "maxIterations"
  /** The cost-evaluation limit was reached. */
  | "maxEvaluations"
  /** The progress callback returned false. */
  | "stopped"
  /** The AbortSignal fired. */
  | "aborted"
  /** The cost or the gradient became NaN or infinite and no finite point could be found along the step. */
  | "nonFinite"
  /** All epochs of a minibatch method ran. */
  | "epochsDone";

/** What an optimiser returns (STYLE.md §8). */
export interface OptimResult<T extends FloatArray = FloatArray> {
  /** The last point with a finite cost and gradient. */
  x: T;
  /** J(x). */
  cost: number;
  iterations: number;
  evaluations: number;
  status: OptimStatus;
  /** A readable account of why it stopped. */
  message: string;
}

/** What a progress callback receives after each iteration (or minibatch step). */
export interface Progress {
  iteration: number;
  evaluations: number;
  cost: number;
  /** Step length t of the line search (L-BFGS) or the learning rate (SGD, Adam). */
  step: number;
  /** Σ|∇J| at the new point (L-BFGS) or of the last minibatch gradient. */
  optimality: number;
  /** For minibatch methods: the epoch, counted from 1. */
  epoch?: number;
}

/** Called after every iteration; returning exactly `false` stops the optimiser with status "stopped". */
export type ProgressCallback = (progress: Progress) => unknown;
