import { existsSync, statSync } from "node:fs";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { fileErrorReason } from "../errors.ts";
import { checkWritable, makeFolders, WriteError, writeFileAtomic } from "../io/files.ts";
import { encodePng } from "../io/png.ts";
import type { Backend } from "../linalg/backend.ts";
import { NativeBackend } from "../linalg/native-backend.ts";
import { WasmBackend } from "../linalg/wasm/index.ts";
import { modelLayout, type StackedModel } from "../nn/model.ts";
import { cgroupCpuLimit } from "../platform/cpu-quota.ts";
import type { TrainResult } from "../train/pipeline.ts";
import type { StageSettings, TrainSettings } from "../train/settings.ts";
import type { StageReport } from "../train/stages.ts";
import type { StageValidation } from "../train/validation.ts";
import { type FewLabelsReport, fewLabelsReportHtml } from "../viz/few-labels-html.ts";
import { costCurvesSvg } from "../viz/plot.ts";
import { type ReportFeatures, type RunReport, runReportHtml, type SettingValue } from "../viz/report-html.ts";
import { type GrayImage, tileImage, tileLayout, tileMaxima } from "../viz/tiles.ts";

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

/** The first layer's features as the HTML report draws them: a PNG at one pixel a pixel, its layout, each tile's scale. */
export function reportFeatures(model: StackedModel, imageShape: [number, number]): ReportFeatures {
  const W1 = modelLayout(model).slice(model.params, "W1");
  const hidden = model.sizes[1] as number;
  const [rows, cols] = imageShape;
  return {
    png: encodePng(tileImage(W1, hidden, rows, cols, { scale: 1 })),
    layout: tileLayout(hidden, rows, cols, { scale: 1 }),
    maxAbs: tileMaxima(W1, hidden),
  };
}

/** The files `writeReport` writes into its folder. */
export const REPORT_FILES = [
  "report.html",
  "features.png",
  "features-before-fine-tuning.png",
  "costs.svg",
  "stages.json",
] as const;

/**
 * Makes the report folder, if it is not there, and checks that it takes new files: before
 * training, so that no run is lost to a report that cannot be written at its end.
 */
export function prepareReportDir(dir: string): void {
  prepareFolder(dir);
  for (const file of REPORT_FILES) checkWritable(join(dir, file));
}

function prepareFolder(dir: string): void {
  const cannot = (why: string, cause?: unknown) =>
    new WriteError(dir, `the report folder cannot be made (${why}); choose another path`, { cause });
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw cannot("it is a file, not a folder");
  try {
    makeFolders(dir);
  } catch (cause) {
    throw cannot(fileErrorReason(cause, "the folder above it takes no new folders"), cause);
  }
}

/**
 * Writes into `dir` the page of the run (`report.html`, drawn from `page`), the features before
 * and after fine-tuning, the cost curves and the stages.
 */
export function writeReport(dir: string, result: TrainResult, imageShape: [number, number], page: RunReport): void {
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
    "report.html": new TextEncoder().encode(runReportHtml(page)),
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

/** What the page of a run is drawn from, besides the training's result. */
export interface RunFacts {
  /** The command line: "stackae", then the arguments. */
  command: readonly string[];
  source: string;
  kind: string;
  inputSize: number;
  imageShape: [number, number];
  inputScale: number;
  classNames: readonly string[];
  /** Each split's labels (null: unlabelled), or just its size. */
  splits: readonly { name: string; labels: ArrayLike<number> | null; count: number }[];
  accuracyBeforeFineTuning: number;
  accuracyAfterFineTuning: number;
  /** counts[actual][predicted] on the test set after fine-tuning. */
  confusion: number[][];
  metrics: Pick<RunReport, "perClass" | "macroAverage" | "weightedAverage">;
  backend: Backend;
  /** describeBackend's words for it. */
  backendName: string;
  totalSeconds: number;
}

/** The page's data, gathered from the run. */
export function runReport(result: TrainResult, facts: RunFacts): RunReport {
  const classes = facts.classNames.length;
  const counts = (labels: ArrayLike<number>) => {
    const n = new Array<number>(classes).fill(0);
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i] as number;
      n[y] = (n[y] ?? 0) + 1;
    }
    return n;
  };
  const kept = result.stages.find((s) => s.name === "fine-tuning")?.validation?.kept;
  return {
    title: `stackae train: ${result.settings.layers.join("-")} on ${facts.kind}`,
    date: new Date().toISOString().replace(/\.\d+Z$/, "Z"),
    command: facts.command,
    settings: settingGroups(result.settings),
    data: {
      source: facts.source,
      kind: facts.kind,
      inputSize: facts.inputSize,
      imageShape: facts.imageShape,
      inputScale: facts.inputScale,
      classes: facts.classNames,
      splits: facts.splits.map((s) => ({
        name: s.name,
        perClass: s.labels ? counts(s.labels) : null,
        total: s.count,
      })),
    },
    stages: result.stages.map((s) => ({
      name: s.name,
      optimizer: s.optimizer,
      iterations: s.iterations,
      evaluations: s.evaluations,
      seconds: s.seconds,
      cost: s.cost,
      stopped: s.message,
      costs: s.costs,
      validation: s.validation,
    })),
    accuracy: {
      beforeFineTuning: facts.accuracyBeforeFineTuning,
      afterFineTuning: facts.accuracyAfterFineTuning,
      validation: kept?.accuracy,
    },
    confusion: facts.confusion,
    ...facts.metrics,
    features: {
      before: reportFeatures(result.pretrained, facts.imageShape),
      after: reportFeatures(result.model, facts.imageShape),
    },
    machine: machine(facts.backend, facts.backendName),
    totalSeconds: facts.totalSeconds,
  };
}

function settingGroups(s: TrainSettings): RunReport["settings"] {
  const stages = [s.autoencoder, s.softmax, s.fineTune];
  const minibatch = (st: StageSettings, v: SettingValue) => (st.optimizer === "lbfgs" ? "" : v);
  const row = (name: string, value: (st: StageSettings) => SettingValue) => ({ name, values: stages.map(value) });
  return {
    run: [
      ["recipe", s.recipe ?? "reference"],
      ["hidden layers", s.layers.join(", ")],
      ["seed", s.seed],
    ],
    stages: ["autoencoders", "softmax", "fine-tuning"],
    perStage: [
      row("optimizer", (st) => st.optimizer),
      row("iterations, or epochs", (st) => `${st.iterations} ${st.optimizer === "lbfgs" ? "iterations" : "epochs"}`),
      row("weight decay λ", (st) => st.lambda),
      row("batch size", (st) => minibatch(st, st.batchSize)),
      row("learning rate", (st) =>
        minibatch(st, st.learningRate ?? `${st.optimizer === "adam" ? 0.001 : 0.1} (default)`),
      ),
      row("learning-rate schedule", (st) => minibatch(st, st.schedule ?? "constant")),
      { name: "sparsity weight β", values: [s.autoencoder.beta, "", ""] },
      { name: "sparsity target ρ", values: [s.autoencoder.rho, "", ""] },
      { name: "corruption (masking noise)", values: [s.autoencoder.corruption ?? 0, "", ""] },
      { name: "tied weights (W2 = W1ᵀ)", values: [s.autoencoder.tiedWeights ? "yes" : "no", "", ""] },
      { name: "weight decay of every encoder", values: ["", "", s.fineTune.weightDecay ?? 0] },
      { name: "input dropout", values: ["", "", s.fineTune.inputDropout ?? 0] },
      { name: "dropout of the hidden units", values: ["", "", s.fineTune.dropout ?? 0] },
    ],
  };
}

/** The machine the run trained on. */
function machine(backend: Backend, backendName: string): RunReport["machine"] {
  const present = availableParallelism();
  const quota = cgroupCpuLimit();
  return {
    cpu: cpus()[0]?.model.trim() || "unknown",
    cores: quota !== null && quota < present ? `${present} (a CPU quota of ${quota})` : String(present),
    backend: backendName,
    threads: backend instanceof WasmBackend || backend instanceof NativeBackend ? backend.threads : 1,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/**
 * Writes the page of a few-labels experiment to DIR/report.html (made if missing): for
 * `few-labels --report DIR`. Check the folder with `prepareFewLabelsReport` before the experiment.
 */
export function writeFewLabelsReport(dir: string, report: FewLabelsReport): string {
  prepareFewLabelsReport(dir);
  const file = join(dir, "report.html");
  writeFileAtomic(file, new TextEncoder().encode(fewLabelsReportHtml(report)));
  return file;
}

/** Makes DIR if missing and checks that report.html can be written there: before the experiment's minutes. */
export function prepareFewLabelsReport(dir: string): void {
  prepareFolder(dir);
  checkWritable(join(dir, "report.html"));
}
