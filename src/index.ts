// stackae for Node: stacked sparse autoencoders with fine-tuning (UFLDL), on WebAssembly SIMD
// kernels. The platform-free core, plus reading data sets and writing files.
import { nodePlatform } from "./platform/node.ts";
import { setPlatform } from "./platform/platform.ts";

setPlatform(nodePlatform);

export * from "./core.ts";
export type { LabelColumn } from "./data/csv-labels.ts";
export { type CsvStream, type CsvStreamOptions, openCsvStream } from "./data/csv-stream-file.ts";
export {
  decodeIdxFile,
  findDataFile,
  MAX_INFLATED_BYTES,
  MNIST_FILES,
  MNIST_SHA256,
  mnistDataDir,
  readDataDir,
  readIdx,
  readMnist,
  readTestSet,
  type TrainTest,
  verifyMnist,
} from "./data/files.ts";
export {
  DEFAULT_SHUFFLE_BUFFER,
  type IdxStreamOptions,
  openIdxStream,
  readIdxImagesHeader,
} from "./data/idx-stream-file.ts";
export type { ImageFolderListing } from "./data/image-folder.ts";
export { type ImageStream, type ImageStreamOptions, openImageFolderStream } from "./data/image-stream-file.ts";
export {
  loadCheckpoint,
  loadModel,
  loadModelOrCheckpoint,
  loadModelOrCheckpointHeader,
  saveCheckpoint,
  saveModel,
  WriteError,
  writeFileAtomic,
} from "./io/files.ts";
export { nodePlatform } from "./platform/node.ts";
export { enableRelaxedSimd, relaxedSimdAvailable } from "./platform/relaxed-simd.ts";
