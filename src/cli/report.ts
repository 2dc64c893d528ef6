import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { fileErrorReason } from "../errors.ts";
import { checkWritable, makeFolders, WriteError, writeFileAtomic } from "../io/files.ts";
import { encodePng } from "../io/png.ts";
import { modelLayout, type StackedModel } from "../nn/model.ts";
import type { TrainResult } from "../train/pipeline.ts";
import type { StageReport } from "../train/stages.ts";
import type { StageValidation } from "../train/validation.ts";
import { costCurvesSvg } from "../viz/plot.ts";
import { type GrayImage, tileImage } from "../viz/tiles.ts";

/** The first layer's weights (W1, hidden × input) as tiles of the input image's shape. */
export function featuresImage(model: StackedModel, imageShape: [number, number], scale = 2): GrayImage {
  const layout = modelLayout(model);
  const W1 = layout.slice(model.params, "W1");
  const hidden = model.sizes[1] as number;
  return tileImage(W1, hidden, imageShape[0], imageShape[1], { scale });
}

/** The image shape a model's inputs have: from its metadata, or square when the input size is. */
export function imageShapeOf(model: StackedModel, metadata: Record<string, string>): [number, number] {
  try {
    const shape = JSON.parse(metadata.imageShape ?? "null");
    if (Array.isArray(shape) && shape.length === 2 && shape[0] * shape[1] === model.sizes[0])
      return shape as [number, number];
  } catch {}
  const side = Math.round(Math.sqrt(model.sizes[0] as number));
  return side * side === model.sizes[0] ? [side, side] : [1, model.sizes[0] as number];
}

/** The files `writeReport` writes into its folder. */
export const REPORT_FILES = ["features.png", "features-before-fine-tuning.png", "costs.svg", "stages.json"] as const;

/**
 * Makes the report folder, if it is not there, and checks that it takes new files: before
 * training, so that no run is lost to a report that cannot be written at its end.
 */
export function prepareReportDir(dir: string): void {
  const cannot = (why: string, cause?: unknown) =>
    new WriteError(dir, `the report folder cannot be made (${why}); choose another path`, { cause });
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw cannot("it is a file, not a folder");
  try {
    makeFolders(dir);
  } catch (cause) {
    throw cannot(fileErrorReason(cause, "the folder above it takes no new folders"), cause);
  }
  for (const file of REPORT_FILES) checkWritable(join(dir, file));
}

/** Writes the features before and after fine-tuning, the cost curves and the stages into `dir`. */
export function writeReport(dir: string, result: TrainResult, imageShape: [number, number]): void {
  prepareReportDir(dir);
  const svg = costCurvesSvg([
    ...result.stages.map((s) => ({ name: `${s.name} (${s.optimizer})`, values: s.costs })),
    // A panel for the validation cost of each stage that has one (none without a validation set).
    ...result.stages.flatMap((s) =>
      s.validation
        ? [{ name: `${s.name}: validation cost, per evaluation`, values: s.validation.curve.map((p) => p.cost) }]
        : [],
    ),
  ]);
  // Keyed by REPORT_FILES, so that the files checked before training are the files written.
  const files: Record<(typeof REPORT_FILES)[number], Uint8Array> = {
    "features.png": encodePng(featuresImage(result.model, imageShape)),
    "features-before-fine-tuning.png": encodePng(featuresImage(result.pretrained, imageShape)),
    "costs.svg": new TextEncoder().encode(svg),
    "stages.json": new TextEncoder().encode(JSON.stringify(result.stages, null, 2)),
  };
  for (const name of REPORT_FILES) writeFileAtomic(join(dir, name), files[name]);
}

/** `--json`'s `validation`: each stage's curve and best point, by stage name; {} (no key) without a validation set. */
export function validationSummary(stages: readonly StageReport[]): { validation?: Record<string, StageValidation> } {
  const entries = stages.flatMap((s) => (s.validation ? [[s.name, s.validation] as const] : []));
  return entries.length === 0 ? {} : { validation: Object.fromEntries(entries) };
}

/**
 * The model's `validationAccuracy`: that of the fine-tuned parameters saved, the best evaluation
 * with early stopping (whose parameters it keeps), else the last; {} (no key) without a validation set.
 */
export function validationMetadata(stages: readonly StageReport[]): { validationAccuracy?: string } {
  const kept = stages.find((s) => s.name === "fine-tuning")?.validation?.kept;
  return kept ? { validationAccuracy: String(kept.accuracy) } : {};
}
