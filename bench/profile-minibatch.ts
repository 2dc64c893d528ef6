// `npm run bench:profile-minibatch -- [--backend wasm|native] [--stage ae1|ae2|finetune] [--epochs E]`:
// where one minibatch step of the `fast` recipe spends its time: adam over batches of 256 drawn
// from MNIST's 60,000 training images (ae2: random features in [0, 1]), as the pipeline runs a
// stage (the batch gathered by minibatchObjective, the update in the backend's vectors), with
// every backend call timed (the backend wrapped in a timing proxy). Milliseconds per step over E
// epochs (default 1), after 20 steps of warm-up; the parameters start uniform in [−0.05, 0.05].
// What the backend calls leave of a step is the JavaScript around them: θ and ∇ copied in and
// out of the cost, the optimiser's own copy of x, the labels of the batch.
import { parseArgs } from "node:util";
import { adam, createBackend, Rng, readMnist, scalePixels } from "../src/index.ts";
import type { FloatArray } from "../src/linalg/matrix.ts";
import type { BatchObjective } from "../src/nn/objective.ts";
import { createSparseAutoencoderBatchCost } from "../src/nn/sparse-autoencoder.ts";
import { createStackBatchCost } from "../src/nn/stack.ts";
import { enableRelaxedSimd } from "../src/platform/relaxed-simd.ts";
import { minibatchObjective } from "../src/train/minibatch-objective.ts";
import { timing } from "./timing-proxy.ts";

enableRelaxedSimd();
const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    stage: { type: "string", default: "ae1" },
    epochs: { type: "string", default: "1" },
  },
});
const stage = values.stage as string;
if (!["ae1", "ae2", "finetune"].includes(stage)) throw new Error(`--stage: ae1, ae2 or finetune, not ${stage}`);
const epochs = Number(values.epochs);
if (!(Number.isInteger(epochs) && epochs >= 1)) throw new Error(`--epochs: a positive integer, not ${values.epochs}`);
const backend = await createBackend(values.backend as "wasm" | "native");
type B = typeof backend;

const times = new Map<string, number>();
const timed = timing(backend, times) as B;

const m = 60000;
const { train } = readMnist();
let X = backend.zeros(m, 784);
scalePixels(train.pixels.subarray(0, m * 784), X.data);
const rng = new Rng(1);
let cost: BatchObjective<FloatArray>;
if (stage === "ae2") {
  backend.free(X);
  X = backend.zeros(m, 200);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.uniform();
}
if (stage === "finetune") {
  cost = createStackBatchCost(timed, { sizes: [784, 200, 200], classes: 10, lambda: 1e-4 });
} else {
  cost = createSparseAutoencoderBatchCost(timed, X.cols, { hidden: 200, lambda: 3e-3, beta: 3, rho: 0.1 });
}
const labels = stage === "finetune" ? Int32Array.from(train.labels.subarray(0, m)) : undefined;
const objective = minibatchObjective(timed, X, labels, cost);
const x0 = Float32Array.from({ length: cost.layout.length }, () => (rng.uniform() - 0.5) * 0.1);
const vectors = timed.vectors ? { vectors: timed.vectors } : {};
adam(objective, x0, { epochs: 1, batchSize: 256, ...vectors, onProgress: (p) => p.iteration < 20 });
times.clear();
let inCost = 0;
const measured = {
  examples: objective.examples,
  cost: (x: FloatArray, g: FloatArray, rows: Int32Array) => {
    const start = performance.now();
    const J = objective.cost(x, g, rows);
    inCost += performance.now() - start;
    return J;
  },
};
const start = performance.now();
const result = adam(measured, x0, { epochs, batchSize: 256, ...vectors });
const steps = result.iterations;
const total = (performance.now() - start) / steps;

const describe =
  backend.name === "native" ? "native OpenBLAS" : `wasm, ${(backend as { threads?: number }).threads} threads`;
console.log(`one adam step of ${stage}, a batch of 256, ${describe}: ms per step (mean of ${steps})`);
let calls = 0;
for (const [k, ms] of [...times].sort((a, b) => b[1] - a[1])) {
  calls += ms / steps;
  if (ms / steps >= 0.001) console.log(`${k.padEnd(34)} ${(ms / steps).toFixed(3).padStart(8)}`);
}
console.log(`${"backend calls".padEnd(34)} ${calls.toFixed(3).padStart(8)}`);
console.log(`${"the cost (with its calls)".padEnd(34)} ${(inCost / steps).toFixed(3).padStart(8)}`);
console.log(`${"the whole step".padEnd(34)} ${total.toFixed(3).padStart(8)}`);
objective.dispose();
cost.dispose();
await backend.dispose();
