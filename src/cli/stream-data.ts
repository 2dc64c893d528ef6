// Whether `train` streams its examples rather than loading them (issue #32), and its data when
// it does: --stream, or a training set that would not fit the memory budget (--memory-budget,
// by default half the memory available). Streamed, the training examples are read from their IDX
// or CSV file as training goes; the labels and the test set are loaded.
import type { Command } from "commander";
import { csvHeldEstimate, openCsvStream } from "../data/csv-stream-file.ts";
import { findDataFile, MNIST_FILES, mnistDataDir, readTestSet, verifyMnist } from "../data/files.ts";
import { DEFAULT_SHUFFLE_BUFFER, openIdxStream, readIdxImagesHeader } from "../data/idx-stream-file.ts";
import { type ImageFolderListing, listImageFolder } from "../data/image-folder.ts";
import { nodeFolderAccess } from "../data/image-folder-file.ts";
import { openImageFolderStream, readImageTestSide } from "../data/image-stream-file.ts";
import { indexNames, onClasses, renameClasses, scaleInputs } from "../data/source.ts";
import { readSource, sourceKind } from "../data/source-file.ts";
import type { ExampleStream } from "../data/stream.ts";
import { ArgumentError, DataError } from "../errors.ts";
import type { ModelData } from "../io/model-data.ts";
import { memoryAvailable } from "../platform/memory-limit.ts";
import type { DataFlags, TrainingData } from "./data.ts";
import { byteSize, int } from "./parse.ts";

/** The flags that choose and shape streaming. */
export interface StreamFlags {
  /** Stream whatever the data's size. */
  stream?: boolean | undefined;
  /** Examples in the shuffle buffer (default DEFAULT_SHUFFLE_BUFFER). */
  shuffleBuffer?: number | undefined;
  /** Bytes the training set may take in memory before it is streamed instead. */
  memoryBudget?: number | undefined;
}

/** The default budget: this share of the memory available when the run starts. */
export const MEMORY_BUDGET_SHARE = 0.5;
/** Bytes a training value takes held: its byte, and its float32 in the backend's matrix. */
const HELD_BYTES_PER_VALUE = 5;

/** The files a streamed run reads: the IDX folder's training images and labels, or a CSV file. */
export interface StreamSource {
  kind: "idx" | "csv" | "images";
  /** An image folder's listing, made to estimate its size. */
  listing?: ImageFolderListing;
  dir: string;
  /** The file streamed: the IDX training images, or the CSV. */
  file: string;
  /** The IDX training labels (a CSV's are in it). */
  labels: string;
  /** Why it streams, for the notice. */
  why: string;
}

/** Flags that a streamed run cannot honour yet, each refused rather than ignored. */
const NOT_STREAMED: [keyof DataFlags, string][] = [
  ["test", "--test"],
  ["testFraction", "--test-fraction"],
  ["validationFraction", "--validation-fraction"],
  ["unlabeled", "--unlabeled"],
  ["inputScale", "--input-scale"],
];

/**
 * The source to stream, or null to load the data: --stream streams an IDX folder, a CSV file or
 * an image folder; without it, they stream when holding their training set would pass the budget.
 */
export async function streamSource(flags: DataFlags & StreamFlags): Promise<StreamSource | null> {
  const dir = flags.data ?? mnistDataDir();
  const kind = flags.data === undefined ? "idx" : sourceKind(dir);
  if (kind === "images") return imagesSource(flags, dir);
  if (kind === "csv") return csvSource(flags, dir);
  const images = findDataFile(dir, MNIST_FILES.trainImages);
  let header: ReturnType<typeof readIdxImagesHeader>;
  try {
    header = readIdxImagesHeader(images);
  } catch (error) {
    // Not asked to stream: the in-memory reader names what is wrong with the file more precisely.
    if (!flags.stream && error instanceof DataError) return null;
    throw error;
  }
  const { count, rows, cols } = header;
  const examples = Math.min(count, flags.trainLimit ?? count);
  const held = examples * rows * cols * HELD_BYTES_PER_VALUE;
  const budget = flags.memoryBudget ?? MEMORY_BUDGET_SHARE * memoryAvailable().available;
  if (!flags.stream && held <= budget) return null;
  const why = flags.stream ? "--stream" : overBudget(`${examples} images`, held, budget, flags);
  const given = NOT_STREAMED.find(([key]) => flags[key] !== undefined && flags[key] !== false);
  if (given) {
    throw new ArgumentError(
      `${given[1]} cannot be used with streamed data yet (streamed because ${why}): a streamed run takes the folder's own test set and no validation set; leave out ${given[1]}${flags.stream ? "" : ", or raise --memory-budget to load the data"}`,
    );
  }
  if (flags.transpose)
    throw new ArgumentError("--transpose cannot be used with streamed data yet: store the images upright");
  return { kind: "idx", dir, file: images, labels: findDataFile(dir, MNIST_FILES.trainLabels), why };
}

/** Why a set streams on its own: "its N images would take X in memory, over the memory budget of Y". */
function overBudget(what: string, held: number, budget: number, flags: StreamFlags): string {
  return `its ${what} would take ${gib(held)} in memory, over the memory budget of ${gib(budget)}${flags.memoryBudget === undefined ? ` (half the ${gib(budget / MEMORY_BUDGET_SHARE)} available; --memory-budget SIZE sets it)` : ""}`;
}

/**
 * A CSV file streamed (or null: loaded), its held size estimated from its size and first lines
 * (csvHeldEstimate). A CSV has no test set of its own: a streamed one needs --test.
 */
function csvSource(flags: DataFlags & StreamFlags, file: string): StreamSource | null {
  const budget = flags.memoryBudget ?? MEMORY_BUDGET_SHARE * memoryAvailable().available;
  let why = "--stream";
  if (!flags.stream) {
    const { rows, held } = csvHeldEstimate(file, flags.trainLimit);
    if (held <= budget) return null;
    why = overBudget(`about ${rows} rows`, held, budget, flags);
  }
  const also = flags.stream ? "" : ", or raise --memory-budget to load the data";
  for (const [key, flag] of [
    ["testFraction", "--test-fraction"],
    ["validationFraction", "--validation-fraction"],
    ["unlabeled", "--unlabeled"],
  ] as const) {
    if (flags[key] !== undefined) {
      throw new ArgumentError(
        `${flag} cannot be used with a streamed CSV yet (streamed because ${why}): give its test set as a file, --test FILE; leave out ${flag}${also}`,
      );
    }
  }
  if (flags.transpose) throw new ArgumentError(`--transpose is for IDX files only; ${file} is a CSV file`);
  if (flags.imageSize) throw new ArgumentError(`--image-size is for image folders only; ${file} is a CSV file`);
  if (flags.test === undefined) {
    throw new ArgumentError(
      `${file} is streamed (${why}), and a CSV has no test set of its own: give one with --test FILE (a CSV of the same columns, loaded in memory)${also}`,
    );
  }
  return { kind: "csv", dir: file, file, labels: file, why };
}

/**
 * An image folder streamed (or null: loaded), its held size (pictures × pixels × 5 bytes, as IDX)
 * from its listing and first picture. Its test set: DIR/test where it has DIR/train and DIR/test,
 * else --test; a fraction of a streamed folder is not held out.
 */
async function imagesSource(flags: DataFlags & StreamFlags, dir: string): Promise<StreamSource | null> {
  const budget = flags.memoryBudget ?? MEMORY_BUDGET_SHARE * memoryAvailable().available;
  const listing = await listImageFolder(nodeFolderAccess, dir, flags.imageSize ? { imageSize: flags.imageSize } : {});
  const pictures = Math.min((listing.paths[0] as string[]).length, flags.trainLimit ?? Number.POSITIVE_INFINITY);
  const held = pictures * listing.image.rows * listing.image.cols * HELD_BYTES_PER_VALUE;
  if (!flags.stream && held <= budget) return null;
  const why = flags.stream ? "--stream" : overBudget(`${pictures} pictures`, held, budget, flags);
  const also = flags.stream ? "" : ", or raise --memory-budget to load the data";
  for (const [key, flag] of [
    ...NOT_STREAMED.filter(([k]) => k !== "test"),
    ["labelColumn", "--label-column"],
  ] as const) {
    if (flags[key] !== undefined) {
      throw new ArgumentError(
        `${flag} cannot be used with a streamed image folder yet (streamed because ${why}): its test set is DIR/test (beside DIR/train) or --test PATH; leave out ${flag}${also}`,
      );
    }
  }
  if (flags.transpose) throw new ArgumentError(`--transpose is for IDX files only; ${dir} is an image folder`);
  const ownTest = listing.paths.length > 1;
  if (ownTest && flags.test !== undefined) {
    throw new ArgumentError(
      `--test: ${dir} has a test/ folder of its own, which a streamed run takes; leave out --test`,
    );
  }
  if (!ownTest && flags.test === undefined) {
    throw new ArgumentError(
      `${dir} is streamed (${why}) and has no test/ folder: put the pictures in ${dir}/train/<class>/ and the test pictures in ${dir}/test/<class>/, or give a test set with --test PATH (loaded in memory)${also}`,
    );
  }
  return { kind: "images", dir, file: dir, labels: dir, why, listing };
}

/** The data of a streamed run: the stream, and the test set loaded, as TrainingData says them. */
export async function loadStreamedData(
  flags: DataFlags & StreamFlags,
  source: StreamSource,
): Promise<TrainingData & { stream: ExampleStream }> {
  if (source.kind === "csv") return loadStreamedCsv(flags, source.file);
  if (source.kind === "images") return loadStreamedImages(flags, source);
  if (flags.data === undefined) verifyMnist(source.dir);
  const stream = openIdxStream(source.file, source.labels, {
    ...(flags.shuffleBuffer !== undefined ? { shuffleBuffer: flags.shuffleBuffer } : {}),
    ...(flags.trainLimit !== undefined ? { limit: flags.trainLimit } : {}),
  });
  const test = readTestSet(source.dir);
  if (test.size !== stream.inputSize) {
    throw new ArgumentError(
      `${source.dir}: test images have ${test.size} values, training images ${stream.inputSize}: give a folder of one data set`,
    );
  }
  let classes = test.classes;
  for (const k of stream.labels) classes = Math.max(classes, k + 1);
  return {
    stream,
    source: source.dir,
    kind: "idx",
    train: { inputs: new Uint8Array(0), labels: stream.labels, count: stream.examples },
    test: { inputs: test.pixels, labels: Int32Array.from(test.labels), count: test.count },
    validation: null,
    unlabeled: null,
    inputSize: stream.inputSize,
    imageShape: [test.rows, test.cols],
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    inputScale: 255,
    modelData: {},
  };
}

/** A streamed CSV and its --test set, loaded and scaled as loadTrainingData does in memory. */
async function loadStreamedCsv(
  flags: DataFlags & StreamFlags,
  file: string,
): Promise<TrainingData & { stream: ExampleStream }> {
  const stream = await openCsvStream(file, {
    ...(flags.labelColumn !== undefined ? { labelColumn: flags.labelColumn } : {}),
    ...(flags.classNames ? { classNames: flags.classNames } : {}),
    ...(flags.inputScale !== undefined ? { inputScale: flags.inputScale } : {}),
    ...(flags.shuffleBuffer !== undefined ? { shuffleBuffer: flags.shuffleBuffer } : {}),
    ...(flags.trainLimit !== undefined ? { limit: flags.trainLimit } : {}),
  });
  try {
    const testPath = flags.test as string;
    const options = {
      ...(flags.labelColumn !== undefined ? { labelColumn: flags.labelColumn } : {}),
      classNames: flags.classNames ?? stream.classNames,
    };
    const test = onClasses((await readSource(testPath, options, true)).train, stream.classNames, testPath);
    if (test.inputSize !== stream.inputSize) {
      throw new DataError(
        `${testPath}: examples have ${test.inputSize} values, the training set's ${stream.inputSize}: give a test set of the same kind`,
      );
    }
    const n = stream.inputSize;
    const side = Math.round(Math.sqrt(n));
    // As in memory: a CSV's values are never taken for pixels, so the model records its scale.
    const modelData: ModelData = { inputScale: stream.inputScale };
    if (!indexNames(stream.classNames)) modelData.classNames = stream.classNames;
    return {
      stream,
      source: file,
      kind: "csv",
      train: { inputs: new Uint8Array(0), labels: stream.labels, count: stream.examples },
      test: { inputs: scaleInputs(test.inputs, stream.inputScale), labels: test.labels, count: test.labels.length },
      validation: null,
      unlabeled: null,
      inputSize: n,
      imageShape: side * side === n ? [side, side] : [1, n],
      classNames: stream.classNames,
      inputScale: stream.inputScale,
      modelData,
    };
  } catch (error) {
    stream.close();
    throw error;
  }
}

/** A streamed image folder and its test set (DIR/test, or --test), as loadTrainingData gives them in memory. */
async function loadStreamedImages(
  flags: DataFlags & StreamFlags,
  source: StreamSource,
): Promise<TrainingData & { stream: ExampleStream }> {
  const stream = await openImageFolderStream(source.dir, {
    ...(source.listing ? { listing: source.listing } : {}),
    ...(flags.shuffleBuffer !== undefined ? { shuffleBuffer: flags.shuffleBuffer } : {}),
    ...(flags.trainLimit !== undefined ? { limit: flags.trainLimit } : {}),
  });
  try {
    const { rows, cols } = stream.image;
    let test = await readImageTestSide(stream);
    if (test === null) {
      const path = flags.test as string;
      const options = { classNames: stream.classNames, imageSize: { width: cols, height: rows } };
      const read = onClasses((await readSource(path, options, true)).train, stream.classNames, path);
      if (!(read.inputs instanceof Uint8Array) || read.inputSize !== stream.inputSize) {
        throw new DataError(`${path}: give test pictures of the training set's kind (${cols} × ${rows} pictures)`);
      }
      test = { inputs: read.inputs, labels: Int32Array.from(read.labels) };
    }
    let classNames = stream.classNames;
    if (flags.classNames)
      classNames = renameClasses(
        { inputs: new Uint8Array(0), labels: stream.labels, inputSize: stream.inputSize, classNames },
        flags.classNames,
        "--class-names",
      ).classNames;
    const modelData: ModelData = { preparation: "resize" };
    if (!indexNames(classNames)) modelData.classNames = classNames;
    return {
      stream,
      source: source.dir,
      kind: "images",
      train: { inputs: new Uint8Array(0), labels: stream.labels, count: stream.examples },
      test: { inputs: test.inputs, labels: test.labels, count: test.labels.length },
      validation: null,
      unlabeled: null,
      inputSize: stream.inputSize,
      imageShape: [rows, cols],
      classNames,
      inputScale: 255,
      modelData,
    };
  } catch (error) {
    stream.close();
    throw error;
  }
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

/** train's flags for streaming. */
export function streamOptions(command: Command): void {
  command
    .option(
      "--stream",
      "read the training examples from their IDX or CSV file as training goes instead of loading them (every stage then defaults to adam; L-BFGS is refused)",
    )
    .option(
      "--shuffle-buffer <n>",
      `streamed: examples the shuffle buffer holds (default ${DEFAULT_SHUFFLE_BUFFER}); each epoch reads the file's chunks in a seeded order and draws from the buffer`,
      int(1),
    )
    .option(
      "--memory-budget <size>",
      `stream an IDX or CSV training set that would take more memory than this held (5 bytes a pixel), e.g. 2G (default: ${100 * MEMORY_BUDGET_SHARE} % of the memory available)`,
      byteSize,
    );
}

/** The streaming flags a resumed run must repeat (the shuffle buffer sets each epoch's order). */
export function resumeStreamFlags(flags: StreamFlags): string[] {
  return [
    ...(flags.stream ? ["--stream"] : []),
    ...(flags.shuffleBuffer !== undefined ? [`--shuffle-buffer ${flags.shuffleBuffer}`] : []),
    ...(flags.memoryBudget !== undefined ? [`--memory-budget ${flags.memoryBudget}`] : []),
  ];
}
