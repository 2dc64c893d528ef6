// stackae's TensorFlow.js peer for the faster recipe's network, written the way a tfjs user would:
// a tf.sequential 784-200-200-10 (sigmoid, softmax output) compiled with adam (learning rate
// 1e-3, the library's, unless --learning-rate) and categorical cross-entropy, trained end to end
// by model.fit on minibatches of 256 shuffled images, on tfjs's WebAssembly backend.
//   node --import tsx bench/peer-tfjs.ts [--threads 2] [--epochs 10] [--stop-at 0.98] [--learning-rate 0.001]
// Prints one JSON object (MinibatchRun in minibatch-figures.ts). The test set is evaluated in
// onEpochEnd, which model.fit awaits; that time is measured and left out of each epoch's seconds.
import { parseArgs } from "node:util";
import * as tf from "@tensorflow/tfjs";
import { getThreadsCount, setThreadsCount } from "@tensorflow/tfjs-backend-wasm";
import { readMnist } from "../src/data/files.ts";
import type { EpochPoint, MinibatchRun } from "./minibatch-figures.ts";

const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "2" },
    epochs: { type: "string", default: "10" },
    // Stop after the first epoch at this test accuracy or more.
    "stop-at": { type: "string" },
    "learning-rate": { type: "string", default: "0.001" },
  },
});
const threads = Number(values.threads);
const epochCount = Number(values.epochs);
const stopAt = values["stop-at"] === undefined ? Number.POSITIVE_INFINITY : Number(values["stop-at"]);

// Must come before the backend is made; it takes effect only where the threaded build loads.
setThreadsCount(threads);
if (!(await tf.setBackend("wasm"))) throw new Error("tfjs could not start its wasm backend");
const multithread = await tf.env().getAsync("WASM_HAS_MULTITHREAD_SUPPORT");
const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");

const { train, test } = readMnist();
/** Images as an m × 784 tensor in [0, 1] and their labels one-hot, as a tfjs tutorial makes them. */
const tensors = (set: typeof train) => {
  const x = new Float32Array(set.pixels.length);
  for (let i = 0; i < x.length; i++) x[i] = (set.pixels[i] as number) / 255;
  const labels = tf.tensor1d(Int32Array.from(set.labels), "int32");
  const y = tf.oneHot(labels, 10);
  labels.dispose();
  return { x: tf.tensor2d(x, [set.count, set.size]), y, labels: Int32Array.from(set.labels) };
};
const trainSet = tensors(train);
const testSet = tensors(test);

const model = tf.sequential({
  layers: [
    tf.layers.dense({ inputShape: [784], units: 200, activation: "sigmoid" }),
    tf.layers.dense({ units: 200, activation: "sigmoid" }),
    tf.layers.dense({ units: 10, activation: "softmax" }),
  ],
});
model.compile({ optimizer: tf.train.adam(Number(values["learning-rate"])), loss: "categoricalCrossentropy" });

const epochs: EpochPoint[] = [];
let evaluating = 0;
const started = performance.now();
await model.fit(trainSet.x, trainSet.y, {
  batchSize: 256,
  epochs: epochCount,
  shuffle: true,
  verbose: 0,
  callbacks: {
    onEpochEnd: async (epoch) => {
      const t0 = performance.now();
      const seconds = (t0 - started - evaluating) / 1000;
      const predicted = tf.tidy(() => (model.predict(testSet.x) as tf.Tensor).argMax(-1));
      const p = (await predicted.data()) as Int32Array;
      predicted.dispose();
      let right = 0;
      for (let i = 0; i < p.length; i++) if (p[i] === testSet.labels[i]) right++;
      epochs.push({ epoch: epoch + 1, seconds, accuracy: right / p.length });
      // Each epoch as it ends, for a run stopped before its JSON (its epochs take a minute under load).
      process.stderr.write(`epoch ${epoch + 1}: ${right / p.length} at ${seconds.toFixed(1)} s\n`);
      if (right / p.length >= stopAt) model.stopTraining = true;
      evaluating += performance.now() - t0;
    },
  },
});
const run: MinibatchRun = {
  label: `TensorFlow.js ${tf.version.tfjs} (wasm${simd ? " SIMD" : ""}, ${getThreadsCount()} thread${getThreadsCount() === 1 ? "" : "s"})`,
  threads: getThreadsCount(),
  epochs,
  totalSeconds: epochs.at(-1)?.seconds ?? 0,
  peakMemoryMiB: process.resourceUsage().maxRSS / 1024,
  pinning: multithread
    ? `setThreadsCount(${threads}) before the backend starts`
    : `setThreadsCount(${threads}), but the threaded build did not load in Node (WASM_HAS_MULTITHREAD_SUPPORT false): one thread`,
};
console.log(JSON.stringify(run));
