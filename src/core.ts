// The platform-free core of stackae: everything that runs the same in Node, browsers and
// workers. The entry points (index.ts for Node, browser.ts for the web) install their platform
// and re-export this.

export { LabelledImages } from "./data/dataset.ts";
export type { Examples } from "./data/examples.ts";
export { encodeIdx, type IdxArray, isGzip, parseIdx } from "./data/idx.ts";
export { digitToInput, imageToInput, resizeArea } from "./data/images.ts";
export {
  type Flat,
  type FromArraysOptions,
  fromArrays,
  type InputScale,
  inputScaleOf,
  PIXEL_SCALE,
  type Rows,
  scaleInputs,
} from "./data/source.ts";
export type { BatchReader, ExampleStream } from "./data/stream.ts";
export { type StreamShuffle, shuffleStream } from "./data/stream-order.ts";
export { ArgumentError, DataError, ShapeError, StackaeError } from "./errors.ts";
export {
  checkGradient,
  GRADIENT_CHECK_TOLERANCE,
  type GradientCheck,
  type NamedGradientCheck,
  numericalGradient,
  relativeDifference,
  standardGradientChecks,
} from "./gradcheck.ts";
export {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  type CheckpointHeader,
  checkpointHeaderOf,
  decodeCheckpoint,
  encodeCheckpoint,
  NonFiniteCheckpointError,
  type OptimizerHeader,
} from "./io/checkpoint-file.ts";
export { CHECKSUMS_KEY, TensorValuesError } from "./io/checksum.ts";
export {
  decodeModel,
  encodeModel,
  MODEL_FORMAT,
  MODEL_VERSION,
  type ModelFile,
  NonFiniteModelError,
} from "./io/model-file.ts";
export { encodeOnnx, ONNX_IR_VERSION, ONNX_NAMES, ONNX_OPSET, type OnnxOptions } from "./io/onnx.ts";
export {
  decodeSafetensors,
  decodeSafetensorsHeader,
  encodeSafetensors,
  ModelFileError,
  type Safetensors,
  type SafetensorsHeader,
  safetensorsParts,
  type Tensor,
  type TensorData,
  type TensorEntry,
  tensor,
} from "./io/safetensors.ts";
export { decodeTorchState, encodeTorchState, torchStateKeys } from "./io/torch-state.ts";
export type { Backend } from "./linalg/backend.ts";
export {
  BACKENDS,
  type BackendName,
  createBackend,
  createWasmBackend,
  type DType,
  FLOAT32_MIN_NORMAL,
  type FloatArray,
  JsBackend,
  Matrix,
  OutOfMemoryError,
  Rng,
  type RngState,
  WasmBackend,
} from "./linalg/index.ts";
export { scalePixels } from "./linalg/inputs.ts";
export type { Storage } from "./linalg/matrix.ts";
export type { CsrMatrix, JsSparseOps, SparseMatrix, SparseMode, SparseOps } from "./linalg/sparse.ts";
export type { AdamCoefficients, SgdCoefficients } from "./linalg/vectors.ts";
export type { WasmBackendOptions } from "./linalg/wasm/index.ts";
export { createDenoisingAutoencoderCost, type DenoisingOptions } from "./nn/denoising-autoencoder.ts";
export { encoderBackward, encoderForward } from "./nn/encoder.ts";
export { checkLabels, type Labels } from "./nn/labels.ts";
export { ParamLayout, type TensorSpec } from "./nn/layout.ts";
export { type Corruption, fixedMask, maskingNoise } from "./nn/masking-noise.ts";
export { type ClassificationReport, type ClassScores, classificationReport } from "./nn/metrics.ts";
export {
  accuracy,
  checkModel,
  confusionMatrix,
  hiddenFeatures,
  modelLayout,
  predict,
  predictProbabilities,
  type StackedModel,
} from "./nn/model.ts";
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
  type DataOptions,
  initSparseAutoencoder,
  type SparseAutoencoderOptions,
  sparseAutoencoderLayout,
} from "./nn/sparse-autoencoder.ts";
export { createStackCost, type StackOptions, stackFeatures, stackLayout, stackPredict } from "./nn/stack.ts";
export {
  createTiedAutoencoderCost,
  initTiedAutoencoder,
  tiedAutoencoderLayout,
} from "./nn/tied-autoencoder.ts";
export {
  type AdamOptions,
  adam,
  adamAsync,
  type CostFunction,
  type CostLike,
  type LbfgsOptions,
  type LbfgsState,
  type LineSearchOptions,
  type LineSearchResult,
  type LineSearchStatus,
  LineSearchWorkspace,
  lbfgs,
  lbfgsAsync,
  type MinibatchCost,
  type MinibatchState,
  type OptimizerState,
  type OptimResult,
  type OptimStatus,
  type Progress,
  type ProgressCallback,
  type Schedule,
  type SgdOptions,
  sgd,
  sgdAsync,
  type VectorOps,
  wolfeLineSearch,
} from "./optim/index.ts";
export {
  getPlatform,
  type KernelThread,
  type KernelThreadData,
  type Platform,
  setPlatform,
} from "./platform/platform.ts";
export { checksum, ResumeDataError, type TrainCheckpoint, type TrainDataSummary } from "./train/checkpoint.ts";
export {
  FEW_LABELS_METHODS,
  type FewLabelsInput,
  type FewLabelsMethod,
  type FewLabelsOptions,
  type FewLabelsRow,
  type FewLabelsRun,
  type FewLabelsTable,
  fewLabelsEpochs,
  fewLabelsExperiment,
  type LabelledSet,
  type MethodSummary,
} from "./train/few-labels.ts";
export type { StreamedTrainInput, TrainInput, ValidationInput } from "./train/input.ts";
export {
  type BackendShape,
  type DataShape,
  estimateMemory,
  type MemoryEstimate,
  type MemoryParts,
  type StageMemory,
} from "./train/memory.ts";
export {
  type TrainOptions,
  type TrainResult,
  trainStackedAutoencoder,
  trainStackedAutoencoderAsync,
} from "./train/pipeline.ts";
export { AbortedError, NumericalError, type TrainEvents } from "./train/run-stage.ts";
export {
  type AutoencoderSettings,
  defaultIterations,
  MINIBATCH_EPOCHS,
  OPTIMIZERS,
  type OptimizerName,
  type PartialSettings,
  resolveSettings,
  SPEC_SETTINGS,
  type StageName,
  type StageSettings,
  type TrainSettings,
} from "./train/settings.ts";
export type { StageInfo, StageReport } from "./train/stages.ts";
export { StreamOptimizerError } from "./train/stream-rows.ts";
export type { EarlyStopping, StageValidation, ValidationPoint } from "./train/validation.ts";
export { type Curve, costCurvesSvg } from "./viz/plot.ts";
export { type GrayImage, type TileOptions, tileImage } from "./viz/tiles.ts";
