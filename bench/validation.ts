// node --import tsx bench/validation.ts — what evaluating the validation set after every L-BFGS
// iteration of fine-tuning costs: one validation pass (6,000 examples through 784-200-200-10,
// forward only) beside one full-batch cost + gradient of fine-tuning (54,000 examples), on wasm.
// A benchmark, not a test: it asserts nothing.
import { readMnist } from "../src/data/files.ts";
import { inputsToMatrix } from "../src/linalg/inputs.ts";
import { Rng } from "../src/linalg/rng.ts";
import { createWasmBackend } from "../src/linalg/wasm/index.ts";
import { stackCost, stackLayout } from "../src/nn/stack.ts";
import { stackValidation } from "../src/train/validation.ts";

const backend = await createWasmBackend();
const { train } = readMnist();
const sizes = [784, 200, 200];
const layout = stackLayout(sizes, 10);
const rng = new Rng(1);
const theta = Float32Array.from({ length: layout.length }, () => rng.uniformIn(-0.05, 0.05));
const m = 54000;
const X = inputsToMatrix(backend, m, 784, train.pixels.subarray(0, m * 784));
const V = inputsToMatrix(backend, 6000, 784, train.pixels.subarray(m * 784, 60000 * 784));
const labels = Int32Array.from(train.labels.subarray(0, m));
const vLabels = Int32Array.from(train.labels.subarray(m));
const cost = stackCost(backend, X, labels, { sizes, classes: 10, lambda: 1e-4 });
const validate = stackValidation(backend, layout, V, vLabels);
const grad = new Float32Array(layout.length);

const time = (f: () => void, reps: number) => {
  f();
  const t = performance.now();
  for (let i = 0; i < reps; i++) f();
  return (performance.now() - t) / reps;
};
const full = time(() => cost.cost(theta, grad), 3);
const pass = time(() => validate(theta), 10);
console.log(`fine-tuning cost + gradient, ${m} examples: ${full.toFixed(1)} ms`);
console.log(
  `validation pass, 6000 examples: ${pass.toFixed(1)} ms (${((100 * pass) / full).toFixed(1)} % of one evaluation)`,
);
cost.dispose();
await backend.dispose();
