import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { LabelledImages } from "../data/dataset.ts";
import { decodeImageGray, imageFormat } from "../data/decode-image.ts";
import { decodeIdxFile, readBytes } from "../data/files.ts";
import { isGzip } from "../data/idx.ts";
import { digitToInput, imageToInput } from "../data/images.ts";
import { PIXEL_SCALE, scaleInputs } from "../data/source.ts";
import { ArgumentError, DataError, fileErrorReason } from "../errors.ts";
import { loadModel, loadModelOrCheckpointHeader, writeFileAtomic } from "../io/files.ts";
import { className, modelDataOf } from "../io/model-data.ts";
import { encodePng } from "../io/png.ts";
import { type Backend, createBackend } from "../linalg/index.ts";
import { accuracy, confusionMatrix, predict, predictProbabilities, type StackedModel } from "../nn/model.ts";
import { loadEvalData } from "./data.ts";
import { checkpointInfo, formatCheckpointInfo, formatInfo, modelInfo } from "./info.ts";
import { type ClassNamer, formatMetrics, metricsJson } from "./metrics.ts";
import { int, labelColumn } from "./parse.ts";
import { featuresImage, imageShapeOf } from "./report.ts";

/** The commands that use a saved model: eval, predict, info and features, in the order of the help. */
export function registerModelCommands(program: Command): void {
  registerEval(program);
  registerPredict(program);
  registerInfo(program);
  registerFeatures(program);
}

interface EvalFlags {
  data?: string;
  labelColumn?: string | number;
  json?: boolean;
  transpose?: boolean;
}

function registerEval(program: Command): void {
  program
    .command("eval <model>")
    .description(
      "test accuracy, confusion matrix and per-class precision, recall and F1 of a saved model (classes by their recorded names)",
    )
    .option(
      "--data <path>",
      "an IDX folder's test files (the training ones are not needed), a CSV file or an image folder (its test/ side if it has one), scaled as the model records; default: MNIST's",
    )
    .option(
      "--label-column <col>",
      "CSV: the label's column: first, last, a header name, or an index from 0",
      labelColumn,
    )
    .option("--json", "print one JSON object")
    .option("--transpose", TRANSPOSE_HELP)
    .option("--no-transpose", NO_TRANSPOSE_HELP)
    .action(evaluate);
}

/** `eval`: the model's accuracy on the test images, its confusion matrix and per-class scores. */
async function evaluate(file: string, flags: EvalFlags): Promise<void> {
  const { model, metadata } = loadModel(file);
  const { test } = await loadEvalData(
    flags.data,
    {
      file,
      inputSize: model.sizes[0] as number,
      classes: model.classes,
      data: modelDataOf(metadata, model.classes, file),
      imageShape: imageShapeOf(model, metadata),
      transpose: transposeFor(flags, metadata),
    },
    flags.labelColumn,
  );
  const backend = await createBackend();
  const predicted = predict(backend, model, test.inputs);
  const acc = accuracy(predicted, test.labels);
  const confusion = confusionMatrix(predicted, test.labels, model.classes);
  const names = modelDataOf(metadata, model.classes, file);
  const name = (c: number) => className(names, c);
  if (flags.json) {
    const metrics = metricsJson(confusion, name);
    process.stdout.write(`${JSON.stringify({ accuracy: acc, testImages: test.count, confusion, metrics }, null, 2)}\n`);
    return;
  }
  process.stdout.write(`test accuracy: ${(100 * acc).toFixed(2)}% of ${test.count} images\n\n`);
  process.stdout.write("confusion matrix (rows: true class, columns: predicted)\n");
  const w = Math.max(5, String(test.count).length + 1);
  process.stdout.write(`${"".padStart(4)}${confusion.map((_, c) => String(c).padStart(w)).join("")}\n`);
  for (const [r, row] of confusion.entries()) {
    process.stdout.write(`${String(r).padStart(4)}${row.map((v) => String(v).padStart(w)).join("")}\n`);
  }
  process.stdout.write(`\n${formatMetrics(confusion, name)}`);
}

interface PredictFlags {
  json?: boolean;
  center?: boolean;
  transpose?: boolean;
}

function registerPredict(program: Command): void {
  program
    .command("predict <model> <files...>")
    .description(
      "predict the class of IDX image files or PNG or JPEG pictures (resized to the model's input); - reads standard input",
    )
    .option(
      "--center",
      "prepare each picture as MNIST's digits were: its ink cropped, scaled into 20 × 20 of 28 × 28, centred by mass (the default for a model trained on MNIST-style digits, IDX files)",
    )
    .option(
      "--no-center",
      "resize the whole picture to the model's input, uncentred (the default for a model that records its pictures were resized: image folders)",
    )
    .option(
      "--json",
      "print a JSON array: each image's file, index, predicted class (index) and its name, and the class probabilities",
    )
    .option("--transpose", `${TRANSPOSE_HELP} (pictures are taken as they are)`)
    .option("--no-transpose", NO_TRANSPOSE_HELP)
    .action(predictFiles);
}

/** `predict`: the class of each image of each file, a line each (or a JSON array's item each). */
async function predictFiles(file: string, files: string[], flags: PredictFlags): Promise<void> {
  const { model, metadata } = loadModel(file);
  const transpose = transposeFor(flags, metadata);
  const data = modelDataOf(metadata, model.classes, file);
  const name = (c: number) => className(data, c);
  // A digit drawn as people draw it (small, off-centre) was misread without MNIST's preparation
  // (a 7 read as 3), so a model of MNIST-style digits centres by default; one trained on resized
  // pictures (an image folder) is given pictures prepared as its own were.
  const center = flags.center ?? (data.preparation ?? "digit") === "digit";
  if (files.filter((path) => path === "-").length > 1)
    throw new ArgumentError("predict: - (standard input) can be given once");
  const [rows, cols] = imageShapeOf(model, metadata);
  const n = model.sizes[0] as number;
  const read = (path: string) =>
    readPredictInputs(path, file, n, [rows, cols], { center, transpose, inputScale: data.inputScale });
  // Every file is read and decoded before the first line, so that a missing or damaged one fails
  // with nothing printed (the JSON array stays whole). Only standard input's images are kept;
  // the files are read again in their turn, so that memory holds one file's images at a time.
  const kept = files.map((path) => {
    const inputs = read(path);
    return path === "-" ? inputs : null;
  });
  const backend = await createBackend();
  // The JSON array one image a line, written as the images are predicted, as the text is.
  if (flags.json) process.stdout.write("[");
  let first = true;
  for (const [i, path] of files.entries()) {
    const inputs = kept[i] ?? read(path);
    const count = inputs.length / n;
    // A block of images at a time: the lines go out as they are ready, and memory stays bounded.
    for (let start = 0; start < count; start += PREDICT_BLOCK) {
      const block = {
        path,
        start,
        count,
        inputs: inputs.subarray(start * n, Math.min(count, start + PREDICT_BLOCK) * n),
      };
      process.stdout.write(
        flags.json ? jsonItems(backend, model, block, name, first) : textLines(backend, model, block, name),
      );
      first = false;
    }
  }
  if (flags.json) process.stdout.write(first ? "]\n" : "\n]\n");
}

/** Images of one file: the file, the index there of the first, how many the file holds, and their inputs. */
interface Block {
  path: string;
  start: number;
  count: number;
  inputs: Float32Array | Uint8Array;
}

/**
 * A block's predictions as lines `FILE[INDEX]: CLASS` (the index only where the file holds several
 * images), each class by its name.
 */
function textLines(
  backend: Backend,
  model: StackedModel,
  { path, start, count, inputs }: Block,
  name: ClassNamer,
): string {
  let text = "";
  predict(backend, model, inputs).forEach((p, i) => {
    text += `${path}${count > 1 ? `[${start + i}]` : ""}: ${name(p)}\n`;
  });
  return text;
}

/** A block's predictions as items of the JSON array, one a line; `first`: no item came before. */
function jsonItems(
  backend: Backend,
  model: StackedModel,
  { path, start, inputs }: Block,
  name: ClassNamer,
  first: boolean,
): string {
  const k = model.classes;
  const probabilities = predictProbabilities(backend, model, inputs);
  let text = "";
  for (let i = 0; i < probabilities.length / k; i++) {
    const row = Array.from(probabilities.subarray(i * k, (i + 1) * k));
    const predicted = row.indexOf(Math.max(...row));
    const item = {
      file: path,
      index: start + i,
      predicted,
      name: name(predicted),
      probabilities: row.map((v) => Number(v.toPrecision(6))),
    };
    text += `${first && i === 0 ? "\n" : ",\n"}  ${JSON.stringify(item)}`;
  }
  return text;
}

function registerInfo(program: Command): void {
  program
    .command("info <file>")
    .description(
      "what a model file holds (layers, tensors, image shape, how it was trained), or where a checkpoint's run stands",
    )
    .option("--json", "print one JSON object")
    .action((file: string, flags: { json?: boolean }) => {
      const loaded = loadModelOrCheckpointHeader(file);
      const info = loaded.kind === "model" ? modelInfo(file, loaded) : checkpointInfo(file, loaded.checkpoint);
      if (flags.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
      else process.stdout.write(info.kind === "model" ? formatInfo(info) : formatCheckpointInfo(info));
    });
}

function registerFeatures(program: Command): void {
  program
    .command("features <model>")
    .description("draw the first layer's features as a grid of tiles (PNG)")
    .requiredOption("--out <file>", "the PNG to write")
    .option("--scale <n>", "pixels per weight", int(1, 16), 2)
    .action((file: string, flags: { out: string; scale: number }) => {
      const { model, metadata } = loadModel(file);
      writeFileAtomic(flags.out, encodePng(featuresImage(model, imageShapeOf(model, metadata), flags.scale)));
      process.stdout.write(`wrote ${flags.out}\n`);
    });
}

export const TRANSPOSE_HELP =
  "transpose each IDX image as it is read, as for EMNIST's files (default: as the model was trained)";
export const NO_TRANSPOSE_HELP = "take the IDX images as they are, whatever the model was trained with";

/** Whether IDX images are transposed for this model: as the flags say, else as it was trained (`train --transpose`). */
export function transposeFor(flags: { transpose?: boolean }, metadata: Record<string, string>): boolean {
  return flags.transpose ?? metadata.transposed === "true";
}

/** Images predicted and printed at a time. */
const PREDICT_BLOCK = 1000;

/** The inputs of one file given to `predict`: the images of an IDX file, or a PNG or JPEG picture prepared. */
function readPredictInputs(
  path: string,
  modelFile: string,
  inputSize: number,
  [rows, cols]: [number, number],
  { center, transpose, inputScale }: { center: boolean; transpose: boolean; inputScale: number | undefined },
): Float32Array | Uint8Array {
  const bytes = path === "-" ? readStdin() : readBytes(path);
  if (imageFormat(bytes) !== undefined) {
    // The data reader's decoder: it checks the size a picture declares before decoding it.
    const picture = decodeImageGray(bytes, path);
    return center ? digitToInput(picture, rows, cols) : imageToInput(picture, rows, cols);
  }
  if (isGzip(bytes) || bytes[2] === 0x08) {
    const idx = decodeIdxFile(bytes, path, 3);
    const [n, r, c] = idx.dims as [number, number, number];
    if (r * c !== inputSize)
      throw new DataError(`${path}: images are ${r} × ${c} but ${modelFile} takes ${inputSize} inputs`, path);
    const pixels = transpose ? new LabelledImages(r, c, idx.data, new Uint8Array(n)).transposed().pixels : idx.data;
    return scaleInputs(pixels, inputScale ?? PIXEL_SCALE); // no scale recorded: trained on pixels ÷ 255
  }
  throw new DataError(`${path}: neither a PNG or JPEG picture nor an IDX images file`, path);
}

/** All of standard input (`predict MODEL -`): a PNG or JPEG picture or an IDX file piped in. */
function readStdin(): Uint8Array {
  try {
    return readFileSync(0);
  } catch (cause) {
    throw new DataError(`-: standard input cannot be read (${fileErrorReason(cause)})`, "-", { cause });
  }
}
