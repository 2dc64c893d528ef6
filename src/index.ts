// stackae: stacked sparse autoencoders with fine-tuning (UFLDL), on WebAssembly SIMD kernels.
export { ArgumentError, ShapeError, StackaeError } from "./errors.ts";
export {
  checkGradient,
  GRADIENT_CHECK_TOLERANCE,
  type GradientCheck,
  type NamedGradientCheck,
  numericalGradient,
  relativeDifference,
  standardGradientChecks,
} from "./gradcheck.ts";
export type { Backend } from "./linalg/backend.ts";
export {
  BACKENDS,
  type BackendName,
  createBackend,
  createWasmBackend,
  type DType,
  type FloatArray,
  JsBackend,
  Matrix,
  OutOfMemoryError,
  Rng,
  WasmBackend,
} from "./linalg/index.ts";
export { encoderBackward, encoderForward } from "./nn/encoder.ts";
export { checkLabels, type Labels } from "./nn/labels.ts";
export { ParamLayout, type TensorSpec } from "./nn/layout.ts";
export { defineObjective, type Objective } from "./nn/objective.ts";
export {
  argmaxRows,
  createSoftmaxCost,
  initSoftmax,
  type SoftmaxOptions,
  softmaxBackward,
  softmaxForward,
  softmaxLayout,
  softmaxPredict,
} from "./nn/softmax.ts";
export {
  createSparseAutoencoderCost,
  initSparseAutoencoder,
  type SparseAutoencoderOptions,
  sparseAutoencoderLayout,
} from "./nn/sparse-autoencoder.ts";
export { createStackCost, type StackOptions, stackFeatures, stackLayout, stackPredict } from "./nn/stack.ts";
export {
  type AdamOptions,
  adam,
  type CostFunction,
  type CostLike,
  type LbfgsOptions,
  lbfgs,
  type MinibatchCost,
  type OptimResult,
  type OptimStatus,
  type Progress,
  type ProgressCallback,
  type Schedule,
  type SgdOptions,
  sgd,
  wolfeLineSearch,
} from "./optim/index.ts";
