// The learning-rate schedule a stage's settings name reaches its optimiser: the rates of every
// step, against values worked out by hand.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { trainStackedAutoencoder } from "../../src/train/pipeline.ts";
import type { LearningRateSchedule } from "../../src/train/settings.ts";

const rng = new Rng(3);
const m = 20;
const inputs = Float32Array.from({ length: m * 6 }, () => rng.uniform());
const labels = Array.from({ length: m }, (_, i) => i % 2);

/** The learning rate of each fine-tuning step: adam, 2 epochs of 2 batches of 10 (4 steps), η = 0.01. */
function fineTuningRates(schedule: LearningRateSchedule | undefined): number[] {
  const rates: number[] = [];
  trainStackedAutoencoder(
    new JsBackend("float32"),
    { inputs, labels, inputSize: 6 },
    {
      settings: {
        layers: [3],
        autoencoder: { iterations: 2 },
        softmax: { iterations: 2 },
        fineTune: { optimizer: "adam", iterations: 2, batchSize: 10, learningRate: 0.01, schedule },
      },
      onProgress: (stage, p) => {
        if (stage.name === "fine-tuning") rates.push(p.step);
      },
    },
  );
  return rates;
}

const close = (actual: number[], expected: number[]) => {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    assert.ok(Math.abs(a - (expected[i] as number)) < 1e-15, `step ${i + 1}: ${a}`);
  });
};

describe("a stage's learning-rate schedule", () => {
  it("constant (absent): η at every step", () => {
    close(fineTuningRates(undefined), [0.01, 0.01, 0.01, 0.01]);
  });
  it("cosine: η·½(1 + cos(πt/4)) at step t = 0…3, as PyTorch's CosineAnnealingLR to 0", () => {
    // ½(1 + cos(π/4)) = ½ + √2/4 = 0.853553…, ½(1 + cos(3π/4)) = ½ − √2/4 = 0.146446…
    close(fineTuningRates("cosine"), [0.01, 0.008535533905932738, 0.005, 0.0014644660940672624]);
  });
  it("linear: η·(1 − t/4)", () => {
    close(fineTuningRates("linear"), [0.01, 0.0075, 0.005, 0.0025]);
  });
});
