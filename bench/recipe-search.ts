// The search behind docs/recipes.md, cheaper than one `train` a variant: pretrains once (the
// autoencoders and the softmax of `--recipe fast`, which every variant shares), keeps the
// checkpoint taken as fine-tuning starts, and fine-tunes each variant from it, as a whole run of
// those settings would (the checkpoint holds the generator's state). The test set (or HOLDOUT's
// images, below) is given as the validation set so that each epoch's accuracy is printed: for a
// constant learning rate, the run of N epochs is the first N epochs of a longer one.
//   [HOLDOUT=N] node --import tsx bench/recipe-search.ts [seed] ['{"layers":[400,400],"autoencoder":{"iterations":5}}'] < variants.jsonl
// The second argument: settings over `--recipe fast`'s for the pretraining (default: none). Each
// line of stdin: a JSON object of fine-tuning settings (resolveSettings' fineTune).
import { readFileSync } from "node:fs";
import { readMnist } from "../src/data/files.ts";
import { createBackend } from "../src/linalg/index.ts";
import type { TrainCheckpoint } from "../src/train/checkpoint.ts";
import { trainStackedAutoencoder } from "../src/train/pipeline.ts";
import { type PartialSettings, resolveSettings } from "../src/train/settings.ts";

const seed = Number(process.argv[2] ?? 1);
const base = JSON.parse(process.argv[3] ?? "{}") as PartialSettings;
const variants = readFileSync(0, "utf8")
  .split("\n")
  .filter((l) => l.trim() !== "")
  .map((l) => JSON.parse(l) as Record<string, unknown>);
const { train, test } = readMnist();
const scale = (p: Uint8Array) => Float32Array.from(p, (v) => v / 255);
// HOLDOUT=N: train on the first 60,000 − N training images and print the accuracy on the last N
// instead of the test set's, so that settings are chosen without looking at the test set.
const holdout = Number(process.env.HOLDOUT ?? 0);
if (!Number.isInteger(holdout) || holdout < 0 || holdout >= train.count) {
  throw new Error(`HOLDOUT: an integer from 0 to ${train.count - 1}, not ${process.env.HOLDOUT}`);
}
const kept = train.count - holdout;
const input = {
  inputs: scale(train.pixels.subarray(0, kept * train.size)),
  labels: train.labels.subarray(0, kept),
  inputSize: train.size,
  validation:
    holdout > 0
      ? { inputs: scale(train.pixels.subarray(kept * train.size)), labels: train.labels.subarray(kept) }
      : { inputs: scale(test.pixels), labels: test.labels },
};
const backend = await createBackend("native", { threads: 2 });
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

let start: TrainCheckpoint | undefined;
const t0 = performance.now();
const c0 = cpu();
try {
  trainStackedAutoencoder(backend, input, {
    settings: { ...base, recipe: "fast", seed },
    onCheckpoint: (c) => {
      if (c.stage === c.settings.layers.length + 1 && c.optimizer === null && !start) start = structuredClone(c);
    },
    shouldStop: () => start !== undefined,
  });
} catch (error) {
  if (!start) throw error;
}
if (!start) throw new Error("no checkpoint at the start of fine-tuning");
const pre = start.stages.map((s) => `${s.name} ${s.seconds.toFixed(1)} s`).join(", ");
console.log(
  `seed ${seed}, ${JSON.stringify(base)}: pretraining and softmax ${((performance.now() - t0) / 1000).toFixed(1)} s wall, ${(cpu() - c0).toFixed(1)} s CPU (${pre})`,
);

for (const fineTune of variants) {
  const settings = resolveSettings({ ...base, recipe: "fast", seed, fineTune: fineTune as never });
  const w = performance.now();
  const c = cpu();
  const r = trainStackedAutoencoder(backend, input, { resume: { ...start, settings } });
  const last = r.stages.at(-1);
  const curve = last?.validation?.curve ?? [];
  const perEpoch = Math.ceil(kept / settings.fineTune.batchSize);
  const acc = curve.filter((p) => p.iteration % perEpoch === 0).map((p) => (100 * p.accuracy).toFixed(2));
  console.log(
    `${JSON.stringify(fineTune)}: ${acc.at(-1)} % after ${acc.length - 1} epochs; ${((performance.now() - w) / 1000).toFixed(1)} s wall, ${(cpu() - c).toFixed(1)} s CPU; load ${readFileSync("/proc/loadavg", "utf8").split(" ")[0]}`,
  );
  console.log(`  by epoch: ${acc.join(" ")}`);
}
await backend.dispose();
