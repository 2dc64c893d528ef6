// `stackae encode`: the hidden features of every example of a data set, written for another
// classifier (UFLDL "Self-Taught Learning": the transform the autoencoders learned), as a .npy
// that numpy loads as it is, or a CSV.
import { statSync } from "node:fs";
import type { Command } from "commander";
import { LabelledImages } from "../data/dataset.ts";
import { readDataDir, readIdx, readTestSet } from "../data/files.ts";
import { ArgumentError, DataError } from "../errors.ts";
import { checkWritable, loadModel, writeFileAtomic } from "../io/files.ts";
import { modelDataOf } from "../io/model-data.ts";
import { encodeNpy } from "../io/npy.ts";
import { createBackend } from "../linalg/index.ts";
import { hiddenFeatures } from "../nn/model.ts";
import { NO_TRANSPOSE_HELP, TRANSPOSE_HELP, transposeFor } from "./model-commands.ts";
import { scaledInputs } from "./model-inputs.ts";
import { choice, int } from "./parse.ts";

const SETS = ["train", "test", "all"] as const;
type DataSet = (typeof SETS)[number];

interface EncodeFlags {
  out: string;
  layer?: number;
  set: DataSet;
  transpose?: boolean;
}

export function registerEncode(program: Command): void {
  program
    .command("encode <model> <data>")
    .description(
      "write the hidden features of every example of DATA (an IDX folder, or one IDX images file) for another classifier: a .npy (m × h float32, labels beside it in FILE.labels.npy) or a CSV (label,f1,…,fh)",
    )
    .requiredOption("--out <file>", "the features file: FILE.npy or FILE.csv")
    .option("--layer <k>", "the hidden layer, counted from 1 (the first); default: the top one", int(1))
    .option(
      "--set <set>",
      "of an IDX folder: its train or test images, or all (the training rows first, then the test rows)",
      choice(SETS),
      "test",
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
  /** Null for an images file alone: its rows have no labels. */
  labels: Int32Array | null;
  /** The examples' shape, for messages: "28 × 28". */
  shape: string;
}

/**
 * The examples of DATA: an IDX folder's `set`, or the images of one IDX images file (no labels),
 * transposed as `transpose` says. The one place the data is read, so that other sources plug in here.
 */
export function loadEncodeInput(path: string, set: DataSet, transpose: boolean): EncodeInput {
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
  const input = loadEncodeInput(dataPath, flags.set, transposeFor(flags, metadata));
  if (input.inputSize !== model.sizes[0]) {
    throw new DataError(
      `${dataPath}: examples have ${input.inputSize} values (${input.shape}) but ${file} takes ${model.sizes[0]} inputs: encode data of the model's input size`,
      dataPath,
    );
  }
  const inputs = scaledInputs(input.inputs, modelDataOf(metadata, model.classes, file).inputScale);
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
