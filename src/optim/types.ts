import type { FloatArray } from "../linalg/matrix.ts";
import type { RngState } from "../linalg/rng.ts";

// The kernels an optimiser may take from a backend are the backends' contract, defined with them.
export type { AdamCoefficients, VectorOps } from "../linalg/vectors.ts";

/**
 * A differentiable function of one flat vector, as UFLDL's costs meet minFunc: returns J(x) and writes ∇J(x)
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

/** What an optimiser returns: the point and why it stopped, as scipy's OptimizeResult and minFunc's exitflag. */
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
  /**
   * The optimiser's whole state after this iteration, to save and later pass back as the
   * `resume` option. The arrays are the optimiser's own (no copy): read them before returning.
   */
  state(): OptimizerState;
}

/** L-BFGS between two iterations: the point, its cost and gradient, and the correction pairs. */
export interface LbfgsState {
  kind: "lbfgs";
  x: FloatArray;
  g: FloatArray;
  cost: number;
  iterations: number;
  evaluations: number;
  /** Steps sᵢ and gradient changes yᵢ, oldest first, with ρᵢ = 1/(yᵢᵀsᵢ). */
  S: FloatArray[];
  Y: FloatArray[];
  rho: number[];
  /** The initial Hessian scaling yᵀs/yᵀy of the newest pair. */
  hDiag: number;
}

/** SGD or Adam between two steps. */
export interface MinibatchState {
  kind: "sgd" | "adam";
  x: FloatArray;
  /** The last point whose minibatch cost was finite. */
  last: FloatArray;
  /** Steps and evaluations so far. */
  iterations: number;
  evaluations: number;
  /** The epoch in progress (from 1), this epoch's order, and where in it the next batch starts. */
  epoch: number;
  order: Int32Array;
  position: number;
  /** The sum of batch cost × batch size so far in this epoch, and the last whole epoch's mean cost. */
  epochSum: number;
  epochCost: number;
  /** The shuffling generator's state (see Rng.state). */
  rng: RngState;
  /** SGD: the velocity; Adam: the first and second moments. */
  moments: FloatArray[];
}

export type OptimizerState = LbfgsState | MinibatchState;

/** Called after every iteration; returning exactly `false` stops the optimiser with status "stopped". */
export type ProgressCallback = (progress: Progress) => unknown;
