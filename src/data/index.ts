export { LabelledImages, scalePixels } from "./dataset.ts";
export { DataError } from "./errors.ts";
export {
  findDataFile,
  MNIST_FILES,
  MNIST_SHA256,
  mnistDataDir,
  readBytes,
  readDataDir,
  readIdx,
  readMnist,
  readTestSet,
  type TrainTest,
  verifyMnist,
} from "./files.ts";
export { encodeIdx, type IdxArray, isGzip, parseIdx } from "./idx.ts";
