import { extname } from "node:path";
import type { Worker } from "node:worker_threads";
import type { Command } from "commander";
import { ArgumentError } from "../errors.ts";
import type { OptimizerName, PartialSettings } from "../train/settings.ts";
import { checkpointLines, describeSaved } from "./checkpoint-saver.ts";
import { EXIT, formatError, ReportedError } from "./exit.ts";
import { Interrupts, signalExitCode } from "./interrupts.ts";
import { startModuleWorker } from "./module-worker.ts";
import { formatSeconds, type ProgressReporter, plural, progressReporter } from "./progress.ts";
import { lockRunFiles } from "./run-locks.ts";
import { resumeStreamFlags, streamOptions } from "./stream-data.ts";
import {
  CHECKPOINT_EVERY,
  dataOptions,
  runOptions,
  SETTING_FLAGS,
  settingOptions,
  type TrainFlags,
} from "./train-options.ts";
import type { TrainJob, TrainOutcome, WorkerMessage } from "./train-worker.ts";

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

const DEFAULT_INTERRUPT_FILE = "stackae-checkpoint.safetensors";

/**
 * The settings the flags give. `given` says which flags the command line gave: the others (their
 * defaults, SPEC §6's values) are left out, so that a recipe's values stand where no flag
 * overrides them; without it every flag's value counts. `optimizer`: that of a stage whose flags
 * name none (streamed: adam); without it, the recipe's (SPEC §6's: lbfgs).
 */
export function settingsOf(
  flags: TrainFlags,
  given: (flag: keyof TrainFlags) => boolean = () => true,
  optimizer?: OptimizerName,
): PartialSettings {
  const fallback = optimizer;
  const v = <K extends keyof TrainFlags>(flag: K): TrainFlags[K] | undefined => (given(flag) ? flags[flag] : undefined);
  const stage = (optimizer: keyof TrainFlags, iterations: keyof TrainFlags, lambda: keyof TrainFlags) => ({
    optimizer: (v(optimizer) ?? v("optimizer") ?? fallback) as OptimizerName | undefined,
    iterations: v(iterations) as number | undefined,
    lambda: v(lambda) as number | undefined,
    batchSize: v("batchSize"),
    learningRate: v("learningRate"),
    schedule: v("lrSchedule"),
  });
  return {
    ...(flags.recipe === undefined ? {} : { recipe: flags.recipe }),
    layers: v("layers"),
    seed: v("seed"),
    autoencoder: {
      ...stage("aeOptimizer", "aeIters", "aeLambda"),
      beta: v("beta"),
      rho: v("rho"),
      corruption: v("corruption"),
      tiedWeights: v("tiedWeights"),
    },
    softmax: stage("softmaxOptimizer", "softmaxIters", "softmaxLambda"),
    fineTune: {
      ...stage("finetuneOptimizer", "finetuneIters", "finetuneLambda"),
      weightDecay: v("finetuneWeightDecay"),
      inputDropout: v("inputDropout"),
      dropout: v("dropout"),
    },
  };
}

/** `train`: the run in a worker thread, its progress on stderr, its results on stdout. */
async function train(flags: TrainFlags, command: Command): Promise<void> {
  checkFlagsGiven(flags, command);
  const job = trainJob(flags, (flag) => command.getOptionValueSource(flag) === "cli");
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

/** What the worker is to do, as the flags say; `given`: whether the command line gave a flag. */
function trainJob(flags: TrainFlags, given: (flag: keyof TrainFlags) => boolean): TrainJob {
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
    settings: flags.resume === undefined ? settingsOf(flags, given) : undefined,
    streamSettings: flags.resume === undefined ? settingsOf(flags, given, "adam") : undefined,
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
