// The faster recipe (`stackae train --recipe fast`) through the
// library, in a process of its own, with the test accuracy after every epoch of fine-tuning:
//   node --import tsx bench/minibatch-stackae.ts --backend wasm|native [--threads 2] [--quick]
// Prints one JSON object (see MinibatchRun in minibatch-figures.ts). The clock starts when
// training starts, the backend made and MNIST read; each test evaluation, made in the progress
// callback at the step that ends an epoch (it only reads the parameters), is timed and left out,
// as the peers leave theirs out. --quick: one epoch a stage and 10 softmax iterations.
import { parseArgs } from "node:util";
import { readMnist } from "../src/data/files.ts";
import type { Backend } from "../src/linalg/backend.ts";
import { inputsToMatrix } from "../src/linalg/inputs.ts";
import { createNativeBackend } from "../src/linalg/native-backend.ts";
import { createWasmBackend } from "../src/linalg/wasm/index.ts";
import { accuracy, predict } from "../src/nn/model.ts";
import { stackLayout } from "../src/nn/stack.ts";
import { trainStackedAutoencoder } from "../src/train/pipeline.ts";
import type { PartialSettings } from "../src/train/settings.ts";
import { stackValidation } from "../src/train/validation.ts";
import type { EpochPoint, MinibatchRun } from "./minibatch-figures.ts";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    threads: { type: "string", default: "2" },
    quick: { type: "boolean", default: false },
  },
});
const threads = Number(values.threads);
const backend: Backend =
  values.backend === "native" ? await createNativeBackend({ threads }) : await createWasmBackend({ threads });

/** The recipe `fast` (src/train/recipes.ts), as `stackae train --recipe fast` runs it. */
const settings: PartialSettings = values.quick
  ? { recipe: "fast", autoencoder: { iterations: 1 }, softmax: { iterations: 10 }, fineTune: { iterations: 1 } }
  : { recipe: "fast" };

const { train, test } = readMnist();
const Xtest = inputsToMatrix(backend, test.count, test.size, test.pixels);
const layout = stackLayout([train.size, 200, 200], 10);
const evaluate = stackValidation(backend, layout, Xtest, Int32Array.from(test.labels));

const epochs: EpochPoint[] = [];
const stages: { name: string; seconds: number }[] = [];
let evaluating = 0;
const started = performance.now();
const trained = () => (performance.now() - started - evaluating) / 1000;
/** Evaluates the test set at x, the clock held while it runs. */
const record = (epoch: number, x: Float32Array | Float64Array) => {
  const t0 = performance.now();
  const seconds = trained();
  epochs.push({ epoch, seconds, accuracy: evaluate(x).accuracy });
  evaluating += performance.now() - t0;
};
/** Minibatch steps of one epoch, at the recipe's 256 images a batch. */
const stepsPerEpoch = Math.ceil(train.count / 256);
const result = trainStackedAutoencoder(
  backend,
  { inputs: train.pixels, labels: train.labels, inputSize: train.size, classes: 10 },
  {
    settings,
    onProgress: (info, p) => {
      // Fine-tuning is the last stage; its epoch ends at every stepsPerEpoch-th step.
      if (info.index === info.count - 1 && p.iteration % stepsPerEpoch === 0) {
        record(p.iteration / stepsPerEpoch, p.state().x);
      }
    },
    onStageEnd: (info, report) => stages.push({ name: info.name, seconds: report.seconds }),
  },
);
const total = trained();
const before = accuracy(predict(backend, result.pretrained, test.pixels), test.labels);
const run: MinibatchRun = {
  label: `stackae (${values.backend}, ${threads} threads)`,
  threads,
  pinning: `${values.backend === "native" ? "createNativeBackend" : "createWasmBackend"}({ threads: ${threads} })`,
  accuracyBeforeFineTuning: before,
  epochs,
  totalSeconds: total,
  stages,
  epochsPerStage: {
    autoencoder: result.settings.autoencoder.iterations,
    softmaxLbfgsIterations: result.settings.softmax.iterations,
    fineTune: result.settings.fineTune.iterations,
  },
  peakMemoryMiB: process.resourceUsage().maxRSS / 1024,
};
backend.free(Xtest);
await backend.dispose?.();
console.log(JSON.stringify(run));
