export { type LbfgsOptions, lbfgs, lbfgsAsync, lbfgsSteps } from "./lbfgs.ts";
export {
  cubicInterpolate,
  cubicMinimizer,
  type LineSearchOptions,
  type LineSearchResult,
  type LineSearchStatus,
  LineSearchWorkspace,
  wolfeLineSearch,
} from "./line-search.ts";
export {
  type AdamOptions,
  adam,
  adamAsync,
  adamSteps,
  type MinibatchCost,
  type Schedule,
  type SgdOptions,
  sgd,
  sgdAsync,
  sgdSteps,
} from "./minibatch.ts";
export { runSteps, runStepsAsync, type Steps } from "./steps.ts";
export type {
  CostFunction,
  CostLike,
  LbfgsState,
  MinibatchState,
  OptimizerState,
  OptimResult,
  OptimStatus,
  Progress,
  ProgressCallback,
  VectorOps,
} from "./types.ts";
