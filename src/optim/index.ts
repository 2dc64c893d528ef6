export { type LbfgsOptions, lbfgs } from "./lbfgs.ts";
export {
  cubicInterpolate,
  cubicMinimizer,
  type LineSearchOptions,
  type LineSearchResult,
  type LineSearchStatus,
  LineSearchWorkspace,
  wolfeLineSearch,
} from "./line-search.ts";
export { type AdamOptions, adam, type MinibatchCost, type Schedule, type SgdOptions, sgd } from "./minibatch.ts";
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
