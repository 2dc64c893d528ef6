// `npm run bench:profile -- [--backend wasm|native] [--stage ae1|ae2|finetune] [--dense] [--scale S]
// [--checkpoint FILE]`:
// where one full-batch cost + gradient of a stage of the reference experiment spends its time, per
// backend call (the backend wrapped in a timing proxy), averaged over 3 evaluations after one
// warm-up. ae2 and finetune start from random parameters and, for ae2, random features in [0, 1].
// ae1 and finetune multiply MNIST's pixels as a sparse matrix (81 % zeros) unless --dense. The
// parameters are uniform in [−S/2, S/2] (--scale, default 0.1): then the time depends on the
// shapes alone. --scale 20 saturates the sigmoids as trained weights do, and shows what tiny
// activations and deltas cost the products (the float32 kernels store results below 2^-126 as 0,
// since subnormal operands make Intel's cores multiply through microcode assists).
// --checkpoint FILE takes the parameters of a real run instead: a checkpoint of the reference
// experiment written inside the profiled stage (`stackae train --checkpoint FILE`, stopped there
// with Ctrl-C), whose L-BFGS iterate is evaluated; for ae2 the features are then encoder 1's.

import { parseArgs } from "node:util";
import { setFlagsFromString } from "node:v8";
import { enableRelaxedSimd } from "../src/platform/relaxed-simd.ts";
import { timing } from "./timing-proxy.ts";

enableRelaxedSimd();
setFlagsFromString("--no-liftoff");
const {
  createBackend,
  createSparseAutoencoderCost,
  createStackCost,
  encoderForward,
  loadCheckpoint,
  readMnist,
  Rng,
  scalePixels,
  stackLayout,
} = await import("../src/index.ts");
type Backend = Awaited<ReturnType<typeof createBackend>>;

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "wasm" },
    stage: { type: "string", default: "ae1" },
    dense: { type: "boolean", default: false },
    scale: { type: "string", default: "0.1" },
    checkpoint: { type: "string" },
  },
});
const name = values.backend as "wasm" | "native";
const stage = values.stage as string;
if (!["ae1", "ae2", "finetune"].includes(stage)) throw new Error(`--stage: ae1, ae2 or finetune, not ${stage}`);

const backend = await createBackend(name);
const times = new Map<string, number>();
const timed = timing(backend, times) as Backend;

const m = 60000;
const { train } = readMnist();
const checkpoint = values.checkpoint === undefined ? null : loadCheckpoint(values.checkpoint);
const stageIndex = { ae1: 0, ae2: 1, finetune: 3 }[stage] as number;
if (checkpoint) {
  const { settings, stage: at, optimizer, data } = checkpoint;
  if (settings.layers.join() !== "200,200" || data.examples !== m || data.unlabeled !== null) {
    throw new Error(
      `--checkpoint: not a checkpoint of the reference experiment (layers ${settings.layers.join(",")}, ${data.examples} examples, ${data.unlabeled ?? "no"} unlabelled images; expected 200,200, ${m} and none)`,
    );
  }
  if (at !== stageIndex || optimizer?.kind !== "lbfgs") {
    throw new Error(
      `--checkpoint: written at stage ${at} (${optimizer?.kind ?? "not begun"}), not inside ${stage} with L-BFGS`,
    );
  }
}
const pixels = backend.zeros(m, 784);
scalePixels(train.pixels.subarray(0, m * 784), pixels.data);
let X = pixels;
if (stage === "ae2" && checkpoint) {
  const layout = stackLayout([784, 200, 200], 10);
  const params = backend.fromValues(1, layout.length, checkpoint.params);
  X = backend.zeros(m, 200);
  encoderForward(backend, pixels, layout.view(params, "W1"), layout.view(params, "b1"), X);
} else if (stage === "ae2") {
  X = backend.zeros(m, 200);
  const rng = new Rng(2);
  for (let i = 0; i < X.data.length; i++) X.data[i] = rng.uniform();
}
const sparseInput = values.dense ? "never" : "auto";
const objective =
  stage === "finetune"
    ? createStackCost(timed, X, train.labels.subarray(0, m), {
        sizes: [784, 200, 200],
        classes: 10,
        lambda: 1e-4,
        sparseInput,
      })
    : createSparseAutoencoderCost(timed, X, { hidden: 200, lambda: 3e-3, beta: 3, rho: 0.1, sparseInput });
const rng = new Rng(1);
const scale = Number(values.scale);
if (!(scale > 0)) throw new Error(`--scale: a positive number, not ${values.scale}`);
const theta =
  checkpoint?.optimizer?.kind === "lbfgs"
    ? Float32Array.from(checkpoint.optimizer.x)
    : Float32Array.from({ length: objective.layout.length }, () => (rng.uniform() - 0.5) * scale);
const grad = new Float32Array(theta.length);
objective.cost(theta, grad);
times.clear();
const evaluations = 3;
const start = performance.now();
for (let i = 0; i < evaluations; i++) objective.cost(theta, grad);
const total = (performance.now() - start) / evaluations;

const describe = name === "native" ? "native OpenBLAS" : `wasm, ${(backend as { threads?: number }).threads} threads`;
console.log(
  `one cost + gradient of ${stage} on 60,000 examples, ${describe}: ms per evaluation (mean of ${evaluations})`,
);
let products = 0;
for (const [k, ms] of [...times].sort((a, b) => b[1] - a[1])) {
  // reconstructionDelta is the decoder's product with its sigmoid and delta (one call).
  const product = k.startsWith("gemm") || k.startsWith("sparse.m") || k.startsWith("sparse.t");
  if (product || k === "reconstructionDelta") products += ms / evaluations;
  console.log(`${k.padEnd(34)} ${(ms / evaluations).toFixed(1).padStart(8)}`);
}
console.log(
  `${"total".padEnd(34)} ${total.toFixed(1).padStart(8)}   (products ${((100 * products) / total).toFixed(0)} %${times.has("reconstructionDelta") ? ", with reconstructionDelta" : ""})`,
);
objective.dispose();
await backend.dispose();
