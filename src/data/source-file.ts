// A data source on disk (issue #27): what kind a path is, detected from the path and its content,
// and its examples. An IDX folder is read as before (the same LabelledImages), so that a run on
// MNIST's files is unchanged; CSV files and image folders go through readCsv and readImageFolder.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import { DataError, fileErrorReason } from "../errors.ts";
import type { LabelColumn } from "./csv.ts";
import { readCsv } from "./csv-file.ts";
import type { LabelledImages } from "./dataset.ts";
import type { Examples } from "./examples.ts";
import { readDataDir, readTestSet } from "./files.ts";
import { readImageFolder } from "./image-folder-file.ts";

/** An IDX folder (the four MNIST-style files), a CSV file, or a folder of pictures by class. */
export type SourceKind = "idx" | "csv" | "images";

export interface SourceOptions {
  /** CSV: the label's column (first, last, a header name, a 0-based index). */
  labelColumn?: LabelColumn;
  /** Image folders: the size pictures are resized to (default: the first picture's). */
  imageSize?: { width: number; height: number };
  /** Map labels onto these classes (a test set read for a training set's names). */
  classNames?: readonly string[];
  /** IDX: the files store each image transposed (EMNIST). */
  transpose?: boolean;
}

/** A source's examples: all of them in `train` when it has no test part of its own. */
export interface SourceData {
  kind: SourceKind;
  train: Examples;
  test?: Examples;
}

const IDX_NAME = /idx[13]-ubyte(\.gz)?$/i;
const CSV_NAME = /\.(csv|tsv|txt)(\.gz)?$/i;

/** What kind of source `path` is: a folder holding IDX files, a folder of pictures, or a CSV file. */
export function sourceKind(path: string): SourceKind {
  let folder: boolean;
  try {
    folder = statSync(path).isDirectory();
  } catch (cause) {
    throw new DataError(
      `${path}: ${fileErrorReason(cause, "no such folder")}; a data folder holds the four MNIST-style IDX files (or give a CSV file, or a folder of pictures by class)`,
      path,
      { cause },
    );
  }
  if (folder) return readdirSync(path).some((name) => IDX_NAME.test(name)) ? "idx" : "images";
  if (CSV_NAME.test(path)) return "csv";
  const head = fileHead(path);
  if (head[0] === 0 && head[1] === 0 && (head[2] === 0x08 || head[2] === 0x09)) {
    throw new DataError(
      `${path}: is an IDX file; give the folder that holds the four IDX files (train- and t10k-/test- images and labels)`,
      path,
    );
  }
  if (looksLikeText(head)) return "csv";
  throw new DataError(
    `${path}: is neither a CSV file (text, optionally gzipped), an IDX folder, nor a folder of pictures by class`,
    path,
  );
}

/** The first few KiB of a file, inflated when it is gzipped. */
function fileHead(path: string): Uint8Array {
  const head = new Uint8Array(4096);
  let read = 0;
  try {
    const fd = openSync(path, "r");
    try {
      read = readSync(fd, head, 0, head.length, 0);
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
  }
  const bytes = head.subarray(0, read);
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    // A gzip stream cut short: inflate what is there, not caring that the end is missing.
    return gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return new Uint8Array(0);
  }
}

/** Printable text (tabs and newlines too), or a UTF-8 byte above ASCII, and no NUL. */
function looksLikeText(bytes: Uint8Array): boolean {
  if (bytes.length === 0) return false;
  for (const b of bytes) if (b === 0 || (b < 32 && b !== 9 && b !== 10 && b !== 13)) return false;
  return true;
}

/** IDX images as examples: the same pixel bytes, labels as class indices 0 … classes − 1. */
export function idxExamples(images: LabelledImages, classes: number): Examples {
  return {
    inputs: images.pixels,
    labels: Int32Array.from(images.labels),
    inputSize: images.size,
    classNames: Array.from({ length: classes }, (_, i) => String(i)),
    image: { rows: images.rows, cols: images.cols },
  };
}

/** The IDX folder's two sets, transposed when asked, with as many classes as the two use. */
function readIdxSource(dir: string, options: SourceOptions, testOnly: boolean): SourceData {
  const upright = (images: LabelledImages) => (options.transpose ? images.transposed() : images);
  if (testOnly) {
    const test = upright(readTestSet(dir));
    return { kind: "idx", train: idxExamples(test, options.classNames?.length ?? test.classes) };
  }
  const { train, test } = readDataDir(dir, options.classNames ? { classes: options.classNames.length } : {});
  const classes = Math.max(train.classes, test.classes);
  return { kind: "idx", train: idxExamples(upright(train), classes), test: idxExamples(upright(test), classes) };
}

/**
 * Reads the source at `path`. `testOnly`: only its test part is wanted (eval): an IDX folder's
 * two test files, an image folder's test/ side when it has one, else everything, in `train`.
 */
export async function readSource(path: string, options: SourceOptions = {}, testOnly = false): Promise<SourceData> {
  const kind = sourceKind(path);
  if (kind === "idx") return readIdxSource(path, options, testOnly);
  if (kind === "csv") {
    const csv = await readCsv(path, {
      ...(options.labelColumn !== undefined ? { labelColumn: options.labelColumn } : {}),
      ...(options.classNames ? { classNames: options.classNames } : {}),
    });
    const { header: _, labelColumn: __, ...train } = csv;
    return { kind, train };
  }
  const folder = await readImageFolder(path, options.imageSize ? { imageSize: options.imageSize } : {});
  if (testOnly && folder.test) return { kind, train: folder.test };
  return folder.test ? { kind, train: folder.train, test: folder.test } : { kind, train: folder.train };
}
