// `stackae info FILE`: what a model file holds and how it was trained, from its tensors and the
// metadata `stackae train` writes (a model saved by the library may carry none of it); or where
// the run a checkpoint was taken from stands.
import type { CheckpointHeader } from "../io/checkpoint-file.ts";
import type { ModelFile } from "../io/model-file.ts";
import { modelLayout } from "../nn/model.ts";
import { stageName, type TrainDataSummary } from "../train/checkpoint.ts";
import {
  defaultIterations,
  resolveSettings,
  SPEC_SETTINGS,
  type StageName,
  type StageSettings,
  type TrainSettings,
} from "../train/settings.ts";
import { plural } from "./progress.ts";
import { imageShapeOf } from "./report.ts";

export interface ModelInfo {
  kind: "model";
  file: string;
  sizes: number[];
  classes: number;
  parameters: number;
  tensors: { name: string; shape: number[] }[];
  imageShape: [number, number];
  transposed: boolean;
  /** What `stackae train` recorded; null where the model does not say. */
  trainImages: number | null;
  accuracyBeforeFineTuning: number | null;
  accuracyAfterFineTuning: number | null;
  settings: TrainSettings | null;
  createdBy: string | null;
}

export function modelInfo(file: string, { model, metadata }: ModelFile): ModelInfo {
  const layout = modelLayout(model);
  const number = (key: string) => {
    const v = metadata[key];
    return v === undefined || !Number.isFinite(Number(v)) ? null : Number(v);
  };
  let settings: TrainSettings | null = null;
  try {
    settings = metadata.settings === undefined ? null : (JSON.parse(metadata.settings) as TrainSettings);
  } catch {}
  return {
    kind: "model",
    file,
    sizes: [...model.sizes],
    classes: model.classes,
    parameters: layout.length,
    tensors: layout.tensors.map((t) => ({ name: t.name, shape: t.name.startsWith("b") ? [t.cols] : [t.rows, t.cols] })),
    imageShape: imageShapeOf(model, metadata),
    transposed: metadata.transposed === "true",
    trainImages: number("trainImages"),
    accuracyBeforeFineTuning: number("accuracyBeforeFineTuning"),
    accuracyAfterFineTuning: number("accuracyAfterFineTuning"),
    settings,
    createdBy: metadata.createdBy ?? null,
  };
}

/** The lines `stackae info` prints. */
export function formatInfo(info: ModelInfo): string {
  const count = (n: number) => n.toLocaleString("en-US");
  const lines = [
    `${info.file}: a stackae model, ${info.sizes.join(" → ")} → softmax(${info.classes})`,
    `parameters: ${count(info.parameters)} float32 (${info.tensors.map((t) => `${t.name} ${t.shape.join(" × ")}`).join(", ")})`,
    `images: ${info.imageShape.join(" × ")}${info.transposed ? ", stored transposed in the files it was trained on (eval and predict transpose IDX images for it)" : ""}`,
  ];
  if (info.trainImages !== null) lines.push(`trained on: ${count(info.trainImages)} images`);
  if (info.accuracyBeforeFineTuning !== null && info.accuracyAfterFineTuning !== null) {
    const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
    lines.push(
      `test accuracy when trained: ${pct(info.accuracyBeforeFineTuning)} before fine-tuning, ${pct(info.accuracyAfterFineTuning)} after`,
    );
  }
  const variant = info.settings && autoencoderVariant(info.settings);
  if (variant) lines.push(`autoencoders: ${variant}`);
  if (info.settings !== null) {
    const flags = trainFlags(info.settings);
    const all = `${flags}${info.transposed ? " --transpose" : ""}`.trim();
    lines.push(
      `train flags: ${all === "" ? "none (the reference experiment's settings)" : all}, besides --data and --train-limit`,
    );
  }
  if (info.createdBy !== null) lines.push(`written by: ${info.createdBy}`);
  return `${lines.join("\n")}\n`;
}

export interface CheckpointInfo {
  kind: "checkpoint";
  file: string;
  sizes: number[];
  classes: number;
  /** The stage in progress: its name, its number from 1, and how many the run has. */
  stage: { name: string; number: number; of: number };
  /** The stage's optimiser, its iterations (minibatch steps) so far, and for adam and sgd the epoch. */
  optimizer: string;
  iterations: number;
  epoch: number | null;
  seconds: number;
  finished: { name: string; iterations: number; cost: number; seconds: number }[];
  data: TrainDataSummary;
  settings: TrainSettings;
}

export function checkpointInfo(file: string, c: CheckpointHeader): CheckpointInfo {
  const L = c.settings.layers.length;
  return {
    kind: "checkpoint",
    file,
    sizes: [c.data.inputSize, ...c.settings.layers],
    classes: c.data.classes,
    stage: { name: stageName(c.stage, L), number: c.stage + 1, of: L + 2 },
    optimizer: stageSettings(c.settings, c.stage).optimizer,
    iterations: c.optimizer?.iterations ?? 0,
    epoch: c.optimizer?.kind === "lbfgs" || c.optimizer === null ? null : c.optimizer.epoch,
    seconds: c.optimizer === null ? 0 : c.seconds,
    finished: c.stages.map((r) => ({ name: r.name, iterations: r.iterations, cost: r.cost, seconds: r.seconds })),
    data: c.data,
    settings: c.settings,
  };
}

/** The lines `stackae info` prints for a checkpoint. */
export function formatCheckpointInfo(info: CheckpointInfo): string {
  const count = (n: number) => n.toLocaleString("en-US");
  const { stage, data } = info;
  const planned = stageSettings(info.settings, stage.number - 1).iterations;
  const progress =
    info.optimizer === "lbfgs"
      ? `iteration ${info.iterations} of ${planned}`
      : `step ${info.iterations}${info.epoch === null ? "" : `, epoch ${info.epoch} of ${planned}`}`;
  const lines = [
    `${info.file}: a stackae checkpoint of a ${info.sizes.join(" → ")} → softmax(${info.classes}) run`,
    `in progress: ${stage.name} (stage ${stage.number} of ${stage.of}, ${info.optimizer}), ${info.iterations === 0 ? "at its start" : `after ${progress}, ${info.seconds.toFixed(1)} s in it`}`,
    `finished: ${info.finished.length === 0 ? "none" : info.finished.map((f) => `${f.name} (${plural(f.iterations, "iteration")}, cost ${f.cost.toPrecision(6)}, ${f.seconds.toFixed(1)} s)`).join(", ")}`,
    `data: ${count(data.examples)} examples of ${data.inputSize} values in ${data.classes} classes${data.unlabeled === null ? "" : `, ${count(data.unlabeled)} unlabelled`} (checksum ${data.checksum})`,
    ...(autoencoderVariant(info.settings) ? [`autoencoders: ${autoencoderVariant(info.settings)}`] : []),
    `train flags: ${trainFlags(info.settings) || "none (the reference experiment's settings)"}, besides --data and --train-limit`,
    `resume with: npx stackae train --resume ${info.file}, and the data flags the run started with`,
  ];
  return `${lines.join("\n")}\n`;
}

/** "denoising (masking noise 0.3), tied weights (W2 = W1ᵀ)", or null for SPEC §1's autoencoders. */
function autoencoderVariant({ autoencoder: a }: TrainSettings): string | null {
  const parts: string[] = [];
  if (a.corruption !== undefined) parts.push(`denoising (masking noise ${a.corruption})`);
  if (a.tiedWeights) parts.push("tied weights (W2 = W1ᵀ)");
  return parts.length === 0 ? null : parts.join(", ");
}

function stageSettings(settings: TrainSettings, stage: number): StageSettings {
  const L = settings.layers.length;
  return stage < L ? settings.autoencoder : stage === L ? settings.softmax : settings.fineTune;
}

/**
 * The `stackae train` flags that give these settings: their recipe's (--recipe, where it is not the
 * reference experiment), then those that differ from the recipe's values.
 */
export function trainFlags(settings: TrainSettings): string {
  const base = settings.recipe === undefined ? SPEC_SETTINGS : resolveSettings({ recipe: settings.recipe });
  const flags: string[] = settings.recipe === undefined ? [] : [`--recipe ${settings.recipe}`];
  const add = (flag: string, value: unknown, from: unknown) => {
    if (value !== undefined && value !== from) flags.push(`--${flag} ${value}`);
  };
  add("layers", settings.layers.join(","), base.layers.join(","));
  add("seed", settings.seed, base.seed);
  const stages: [string, StageSettings, StageName][] = [
    ["ae", settings.autoencoder, "autoencoder"],
    ["softmax", settings.softmax, "softmax"],
    ["finetune", settings.fineTune, "fineTune"],
  ];
  const optimizers = new Set([settings.autoencoder.optimizer, settings.softmax.optimizer, settings.fineTune.optimizer]);
  const [only] = optimizers;
  const changed = stages.some(([, stage, name]) => stage.optimizer !== base[name].optimizer);
  if (optimizers.size === 1 && changed) flags.push(`--optimizer ${only}`);
  for (const [prefix, stage, name] of stages) {
    const from = base[name];
    if (optimizers.size > 1) add(`${prefix}-optimizer`, stage.optimizer, from.optimizer);
    // A stage whose optimiser is not the recipe's runs that optimiser's default iterations.
    const iterations = stage.optimizer === from.optimizer ? from.iterations : defaultIterations(name, stage.optimizer);
    add(`${prefix}-iters`, stage.iterations, iterations);
    add(`${prefix}-lambda`, stage.lambda, from.lambda);
  }
  add("beta", settings.autoencoder.beta, base.autoencoder.beta);
  add("rho", settings.autoencoder.rho, base.autoencoder.rho);
  add("corruption", settings.autoencoder.corruption, base.autoencoder.corruption);
  if (settings.autoencoder.tiedWeights && !base.autoencoder.tiedWeights) flags.push("--tied-weights");
  add("finetune-weight-decay", settings.fineTune.weightDecay, base.fineTune.weightDecay);
  add("input-dropout", settings.fineTune.inputDropout, base.fineTune.inputDropout);
  add("dropout", settings.fineTune.dropout, base.fineTune.dropout);
  // The CLI sets one batch size, learning rate and schedule for every minibatch stage.
  add("batch-size", settings.fineTune.batchSize, base.fineTune.batchSize);
  add(
    "learning-rate",
    settings.fineTune.learningRate ?? settings.autoencoder.learningRate,
    base.fineTune.learningRate ?? base.autoencoder.learningRate,
  );
  add(
    "lr-schedule",
    settings.fineTune.schedule ?? settings.autoencoder.schedule,
    base.fineTune.schedule ?? base.autoencoder.schedule,
  );
  return flags.join(" ");
}
