// Whether `train` streams its examples rather than loading them (issue #32), and its data when
// it does: --stream, or a training set that would not fit the memory budget (--memory-budget,
// by default half the memory available). Streamed, the training images are read from their IDX
// file as training goes; the labels (a byte each) and the test set are loaded.
import type { Command } from "commander";
import { findDataFile, MNIST_FILES, mnistDataDir, readTestSet, verifyMnist } from "../data/files.ts";
import { DEFAULT_SHUFFLE_BUFFER, openIdxStream, readIdxImagesHeader } from "../data/idx-stream-file.ts";
import { sourceKind } from "../data/source-file.ts";
import type { ExampleStream } from "../data/stream.ts";
import { ArgumentError, DataError } from "../errors.ts";
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

/** The files a streamed run reads: the IDX folder's training images and labels. */
export interface StreamSource {
  dir: string;
  images: string;
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
 * The source to stream, or null to load the data: --stream streams an IDX folder (anything else
 * is refused); without it, an IDX folder streams when holding its training set would pass the
 * budget. Other sources (CSV, image folders) are loaded.
 */
export function streamSource(flags: DataFlags & StreamFlags): StreamSource | null {
  const dir = flags.data ?? mnistDataDir();
  const idx = flags.data === undefined || sourceKind(dir) === "idx";
  if (!idx) {
    if (flags.stream) {
      throw new ArgumentError(
        `--stream reads a folder of MNIST-style IDX files; ${dir} is a ${sourceKind(dir) === "csv" ? "CSV file" : "folder of pictures"}, which is loaded in memory: leave out --stream, or convert it to IDX files`,
      );
    }
    return null;
  }
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
  const why = flags.stream
    ? "--stream"
    : `its ${examples} images would take ${gib(held)} in memory, over the memory budget of ${gib(budget)}${flags.memoryBudget === undefined ? ` (half the ${gib(budget / MEMORY_BUDGET_SHARE)} available; --memory-budget SIZE sets it)` : ""}`;
  const given = NOT_STREAMED.find(([key]) => flags[key] !== undefined && flags[key] !== false);
  if (given) {
    throw new ArgumentError(
      `${given[1]} cannot be used with streamed data yet (streamed because ${why}): a streamed run takes the folder's own test set and no validation set; leave out ${given[1]}${flags.stream ? "" : ", or raise --memory-budget to load the data"}`,
    );
  }
  if (flags.transpose)
    throw new ArgumentError("--transpose cannot be used with streamed data yet: store the images upright");
  return { dir, images, labels: findDataFile(dir, MNIST_FILES.trainLabels), why };
}

/** The data of a streamed run: the stream, and the test set loaded, as TrainingData says them. */
export function loadStreamedData(
  flags: DataFlags & StreamFlags,
  source: StreamSource,
): TrainingData & { stream: ExampleStream } {
  if (flags.data === undefined) verifyMnist(source.dir);
  const stream = openIdxStream(source.images, source.labels, {
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

function gib(bytes: number): string {
  return bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toFixed(1)} GiB` : `${Math.ceil(bytes / 2 ** 20)} MiB`;
}

/** train's flags for streaming. */
export function streamOptions(command: Command): void {
  command
    .option(
      "--stream",
      "read the training images from their IDX files as training goes instead of loading them (every stage then defaults to adam; L-BFGS is refused)",
    )
    .option(
      "--shuffle-buffer <n>",
      `streamed: examples the shuffle buffer holds (default ${DEFAULT_SHUFFLE_BUFFER}); each epoch reads the file's chunks in a seeded order and draws from the buffer`,
      int(1),
    )
    .option(
      "--memory-budget <size>",
      `stream an IDX training set that would take more memory than this held (5 bytes a pixel), e.g. 2G (default: ${100 * MEMORY_BUDGET_SHARE} % of the memory available)`,
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
