// `stackae encode`: the hidden features of every example of a data set, written for another
// classifier (UFLDL "Self-Taught Learning": the transform the autoencoders learned), as a .npy
// that numpy loads as it is, or a CSV.
import { statSync } from "node:fs";
import type { Command } from "commander";
import type { LabelColumn } from "../data/csv.ts";
import { LabelledImages } from "../data/dataset.ts";
import type { Examples } from "../data/examples.ts";
import { readDataDir, readIdx, readTestSet } from "../data/files.ts";
import { readImageFolder } from "../data/image-folder-file.ts";
import { onClasses, PIXEL_SCALE, scaleInputs } from "../data/source.ts";
import { readSource, type SourceKind, sourceKind } from "../data/source-file.ts";
import { ArgumentError, DataError } from "../errors.ts";
import { checkWritable, loadModel, writeFileAtomic } from "../io/files.ts";
import { type ModelData, modelDataOf } from "../io/model-data.ts";
import { encodeNpy } from "../io/npy.ts";
import { createBackend } from "../linalg/index.ts";
import { hiddenFeatures } from "../nn/model.ts";
import { NO_TRANSPOSE_HELP, TRANSPOSE_HELP, transposeFor } from "./model-commands.ts";
import { choice, int, labelColumn } from "./parse.ts";
import { imageShapeOf } from "./report.ts";

const SETS = ["train", "test", "all"] as const;
type DataSet = (typeof SETS)[number];

interface EncodeFlags {
  out: string;
  layer?: number;
  /** Absent: an IDX folder's or a split image folder's test set; all of a source without a split. */
  set?: DataSet;
  labelColumn?: LabelColumn;
  transpose?: boolean;
}

export function registerEncode(program: Command): void {
  program
    .command("encode <model> <data>")
    .description(
      "write the hidden features of every example of DATA (an IDX folder, one IDX images file, a CSV file, or an image folder: pictures made the model's size and prepared as it records), scaled as the model records, labels its class indices matched by name, for another classifier: a .npy (m × h float32, labels beside it in FILE.labels.npy) or a CSV (label,f1,…,fh)",
    )
    .requiredOption("--out <file>", "the features file: FILE.npy or FILE.csv")
    .option("--layer <k>", "the hidden layer, counted from 1 (the first); default: the top one", int(1))
    .option(
      "--set <set>",
      "of a source split in two (an IDX folder, an image folder with train/ and test/): its train or test examples, or all (the training rows first, then the test rows); default test. A CSV file or an image folder without train/ and test/ is one set: all its rows are encoded, and only --set all is accepted",
      choice(SETS),
    )
    .option(
      "--label-column <col>",
      "CSV: the label's column: first, last, a header name, or an index from 0",
      labelColumn,
    )
    .option("--transpose", TRANSPOSE_HELP)
    .option("--no-transpose", NO_TRANSPOSE_HELP)
    .action(encodeCommand);
}

/** The examples to encode (the `Examples` of data/examples.ts, with labels only where the data has them). */
export interface EncodeInput {
  /** m × inputSize values, one example a row: bytes (÷ 255 unless the model records another scale) or floats. */
  inputs: Uint8Array | Float32Array;
  inputSize: number;
  /** A CSV's values, bytes because all are integers 0…255: not pixels (see Examples.integerBytes). */
  integerBytes?: true;
  /** Null for an images file alone: its rows have no labels. */
  labels: Int32Array | null;
  /** The examples' shape, for messages: "28 × 28". */
  shape: string;
}

/** What encode needs of its model to read a source as the model was trained on it. */
export interface EncodeModel {
  /** The model's class names (its indices where it records none): labels are matched to them by name. */
  classNames: readonly string[];
  /** The model's pictures' rows × cols: an image folder's pictures are made this size. */
  imageShape: [number, number];
  data: ModelData;
}

/** How DATA is read: its set (absent: its test set where it has one, else all), IDX transposed, a CSV's label column. */
export interface EncodeOptions {
  set?: DataSet | undefined;
  transpose: boolean;
  labelColumn?: LabelColumn | undefined;
}

/**
 * The examples of DATA: an IDX folder's or an IDX images file's (`loadIdxInput`, as before), or a
 * CSV file's rows or an image folder's pictures, read as `eval --data` reads them (labels matched to
 * the model's classes by name, pictures made the model's size and prepared as it records).
 */
export async function loadEncodeInput(path: string, options: EncodeOptions, model: EncodeModel): Promise<EncodeInput> {
  const kind = dataKind(path);
  if (options.labelColumn !== undefined && kind !== "csv")
    throw new ArgumentError(`--label-column is for CSV files only; ${path} is not one`);
  if (kind === "idx") return loadIdxInput(path, options.set ?? "test", options.transpose);
  if (kind === "csv") checkOneSet(path, kind, options.set ?? "all"); // before the reading: a usage error
  const [rows, cols] = model.imageShape;
  let read: { train: Examples; test?: Examples | undefined };
  if (kind === "csv") {
    const labelColumn = options.labelColumn;
    read = await readSource(path, {
      classNames: model.classNames,
      ...(labelColumn !== undefined ? { labelColumn } : {}),
    });
  } else {
    // Pictures prepared as predict prepares them for this model: centred as MNIST's digits unless it records "resize".
    const center = (model.data.preparation ?? "digit") === "digit";
    read = await readImageFolder(path, { imageSize: { width: cols, height: rows }, center });
  }
  const set = options.set ?? (read.test ? "test" : "all");
  if (!read.test) checkOneSet(path, kind, set);
  const parts = !read.test
    ? [read.train]
    : set === "all"
      ? [read.train, read.test]
      : [set === "test" ? read.test : read.train];
  const examples = parts.map((e) => onClasses(e, model.classNames, path));
  const first = examples[0] as Examples;
  return {
    inputs: concat(examples.map((e) => e.inputs)),
    inputSize: first.inputSize,
    labels: concat(examples.map((e) => Int32Array.from(e.labels))),
    shape: first.image ? `${first.image.rows} × ${first.image.cols}` : `${first.inputSize} columns`,
    ...(first.integerBytes ? { integerBytes: true as const } : {}),
  };
}

/** Refuses --set train or test of a source that has no train/test split: it is one set, encoded whole. */
function checkOneSet(path: string, kind: SourceKind, set: DataSet): void {
  if (set === "all") return;
  throw new ArgumentError(
    `--set ${set}: ${path} is ${kind === "csv" ? "a CSV file" : "an image folder without train/ and test/"}, one set of examples with no train/test split; leave --set out (or give --set all) to encode all of it`,
  );
}

/** What kind DATA is; an IDX images file, or a path that cannot be read, counts as IDX (whose reader names the problem). */
function dataKind(path: string): SourceKind {
  try {
    return sourceKind(path);
  } catch {
    return "idx";
  }
}

/** The arrays one after the other, of the first one's type. */
function concat<T extends Uint8Array | Float32Array | Int32Array>(arrays: T[]): T {
  const first = arrays[0] as T;
  if (arrays.length === 1) return first;
  const out = new (first.constructor as new (n: number) => T)(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/**
 * The examples of an IDX folder's `set`, or the images of one IDX images file (no labels),
 * transposed as `transpose` says: what encode read before it took other sources.
 */
export function loadIdxInput(path: string, set: DataSet, transpose: boolean): EncodeInput {
  const upright = (images: LabelledImages) => (transpose ? images.transposed() : images);
  const of = (images: LabelledImages, labelled: boolean): EncodeInput => ({
    inputs: images.pixels,
    inputSize: images.size,
    labels: labelled ? Int32Array.from(images.labels) : null,
    shape: `${images.rows} × ${images.cols}`,
  });
  if (!isFolder(path)) {
    const idx = readIdx(path, 3);
    const [n, rows, cols] = idx.dims as [number, number, number];
    return of(upright(new LabelledImages(rows, cols, idx.data as Uint8Array, new Uint8Array(n))), false);
  }
  if (set === "test") return of(upright(readTestSet(path)), true);
  const { train, test } = readDataDir(path);
  if (set === "train") return of(upright(train), true);
  const pixels = new Uint8Array(train.pixels.length + test.pixels.length);
  pixels.set(train.pixels);
  pixels.set(test.pixels, train.pixels.length);
  const labels = new Uint8Array(train.count + test.count);
  labels.set(train.labels);
  labels.set(test.labels, train.count);
  return of(upright(new LabelledImages(train.rows, train.cols, pixels, labels)), true);
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false; // the reader names the missing file
  }
}

/** `encode`: reads the model and data, computes the layer's features, writes them. */
async function encodeCommand(file: string, dataPath: string, flags: EncodeFlags): Promise<void> {
  const format = featuresFormat(flags.out);
  const { model, metadata } = loadModel(file);
  const top = model.sizes.length - 1;
  const layer = flags.layer ?? top;
  if (layer > top) {
    throw new ArgumentError(
      `--layer ${layer}: ${file} has ${top} hidden layer${top === 1 ? "" : "s"} (sizes ${model.sizes.join(" → ")}); give 1 to ${top}`,
    );
  }
  // Both files are checked before the work (the labels' too: same folder, but maybe a folder of that name).
  const labelsFile = format === "npy" ? labelsFileOf(flags.out) : null;
  for (const path of [flags.out, labelsFile]) if (path) checkWritable(path);
  const data = modelDataOf(metadata, model.classes, file);
  const input = await loadEncodeInput(
    dataPath,
    { set: flags.set, transpose: transposeFor(flags, metadata), labelColumn: flags.labelColumn },
    {
      classNames: data.classNames ?? Array.from({ length: model.classes }, (_, i) => String(i)),
      imageShape: imageShapeOf(model, metadata),
      data,
    },
  );
  if (input.inputSize !== model.sizes[0]) {
    throw new DataError(
      `${dataPath}: examples have ${input.inputSize} values (${input.shape}) but ${file} takes ${model.sizes[0]} inputs: encode data of the model's input size`,
      dataPath,
    );
  }
  // A model that records no scale was trained on pixels ÷ 255: any values given to it are divided
  // by 255 too, as eval does (a Kaggle CSV of 0–255 to an IDX-trained model).
  const inputs = scaleInputs(input.inputs, data.inputScale ?? PIXEL_SCALE);
  const backend = await createBackend();
  let features: Float32Array;
  try {
    features = hiddenFeatures(backend, model, inputs, layer);
  } finally {
    await backend.dispose();
  }
  const h = model.sizes[layer] as number;
  const m = features.length / h;
  writeFeatures(flags.out, labelsFile, features, h, input.labels);
  const also = input.labels && labelsFile ? `, labels (${m} int32) in ${labelsFile}` : "";
  process.stdout.write(`wrote ${flags.out}: ${m} × ${h} features of hidden layer ${layer}${also}\n`);
}

/** Writes features F (m × h) to `out` (.npy or .csv), and the labels into the CSV or to `labelsFile` (.npy). */
function writeFeatures(
  out: string,
  labelsFile: string | null,
  features: Float32Array,
  h: number,
  labels: Int32Array | null,
): void {
  if (labelsFile === null) {
    writeFileAtomic(out, featuresCsv(features, h, labels));
    return;
  }
  writeFileAtomic(out, encodeNpy(features, [features.length / h, h]));
  if (labels) writeFileAtomic(labelsFile, encodeNpy(labels, [labels.length]));
}

/** The format `--out` asks for, by its extension. */
function featuresFormat(out: string): "npy" | "csv" {
  if (/\.npy$/i.test(out)) return "npy";
  if (/\.csv$/i.test(out)) return "csv";
  throw new ArgumentError(`--out ${out}: the features file must end in .npy or .csv`);
}

/** FEATURES.npy → FEATURES.labels.npy: the labels beside the features. */
export function labelsFileOf(out: string): string {
  return out.replace(/\.npy$/i, ".labels.npy");
}

/** Rows written to a text chunk at a time, so that no one string holds the whole file. */
const CSV_BLOCK = 1000;

/**
 * The features as CSV: a header `label,f1,…,fh` (no label column without labels), then one row
 * per example, each value the shortest decimal that reads back as the same float32.
 */
export function featuresCsv(features: Float32Array, h: number, labels: Int32Array | null): Uint8Array[] {
  const m = features.length / h;
  const names = Array.from({ length: h }, (_, j) => `f${j + 1}`);
  const encoder = new TextEncoder();
  const chunks = [encoder.encode(`${[...(labels ? ["label"] : []), ...names].join(",")}\n`)];
  for (let start = 0; start < m; start += CSV_BLOCK) {
    let text = "";
    for (let i = start; i < Math.min(m, start + CSV_BLOCK); i++) {
      const row = labels ? [String(labels[i])] : [];
      for (let j = 0; j < h; j++) row.push(float32Text(features[i * h + j] as number));
      text += `${row.join(",")}\n`;
    }
    chunks.push(encoder.encode(text));
  }
  return chunks;
}

/** 10^k, exact in float64 for k ≤ 22. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, k) => 10 ** k);

/**
 * The shortest decimal of 6 to 9 significant digits (9 always suffice) that float32 parses back
 * to `v`. Rounding v·10^k to an integer and dividing again (both exact or correctly rounded for
 * k ≤ 22) is 3 times faster than toPrecision, which writes the rest (values below 1e-15).
 */
export function float32Text(v: number): string {
  if (v === 0) return Object.is(v, -0) ? "-0" : "0";
  if (!Number.isFinite(v)) return String(v);
  const exponent = Math.floor(Math.log10(Math.abs(v)));
  for (let p = 6; p <= 9; p++) {
    const k = p - 1 - exponent;
    if (k < 0 || k > 22) break;
    const power = POWERS_OF_TEN[k] as number;
    const candidate = Math.round(v * power) / power;
    if (Math.fround(candidate) === v) return String(candidate);
  }
  for (let p = 6; p < 9; p++) {
    const text = String(Number(v.toPrecision(p)));
    if (Math.fround(Number(text)) === v) return text;
  }
  return String(Number(v.toPrecision(9)));
}
