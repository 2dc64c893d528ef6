import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { ArgumentError } from "../../src/errors.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/io/checkpoint-file.ts";
import { concatBytes } from "../../src/io/safetensors.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import { accuracy, predict, predictProbabilities, type StackedModel } from "../../src/nn/model.ts";
import type { TrainCheckpoint } from "../../src/train/checkpoint.ts";
import { type TrainOptions, trainStackedAutoencoder } from "../../src/train/pipeline.ts";
import type { PartialSettings } from "../../src/train/settings.ts";
import { isBetter } from "../../src/train/validation.ts";

const { train } = readMnist();
const backend = await createWasmBackend();
const scale = (p: Uint8Array) => Float32Array.from(p, (v) => v / 255);
// 300 examples to train on, the next 200 held out.
const all = train.head(500);
const inputs = scale(all.pixels.subarray(0, 300 * 784));
const labels = Array.from(all.labels.subarray(0, 300));
const validation = { inputs: scale(all.pixels.subarray(300 * 784)), labels: Array.from(all.labels.subarray(300)) };
const input = { inputs, labels, inputSize: 784, classes: 10 };

const settings = (
  fineTune: PartialSettings["fineTune"],
  softmax: PartialSettings["softmax"] = {},
): PartialSettings => ({
  layers: [24],
  autoencoder: { iterations: 15 },
  softmax: { iterations: 20, ...softmax },
  fineTune,
});
const train2 = (s: PartialSettings, withValidation: boolean, more: TrainOptions = {}) =>
  trainStackedAutoencoder(backend, withValidation ? { ...input, validation } : input, { settings: s, ...more });

/** Accuracy and mean cross-entropy of a model on the validation set, from predict and predictProbabilities. */
function independent(model: StackedModel): { accuracy: number; cost: number } {
  const acc = accuracy(predict(backend, model, validation.inputs), validation.labels);
  const P = predictProbabilities(backend, model, validation.inputs);
  let sum = 0;
  for (let i = 0; i < validation.labels.length; i++)
    sum -= Math.log(P[i * 10 + (validation.labels[i] as number)] as number);
  return { accuracy: acc, cost: sum / validation.labels.length };
}

const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe("the validation set", () => {
  it("does not change training: the same model, bit for bit, with and without it (L-BFGS and adam)", () => {
    for (const fineTune of [{ iterations: 8 }, { optimizer: "adam" as const, iterations: 3, batchSize: 64 }]) {
      const s = settings(fineTune);
      const a = train2(s, false);
      const b = train2(s, true);
      assert.ok(bytes(a.model.params).equals(bytes(b.model.params)), `${fineTune.optimizer ?? "lbfgs"}: models differ`);
      assert.ok(bytes(a.pretrained.params).equals(bytes(b.pretrained.params)));
      assert.deepEqual(
        a.stages.map((r) => r.costs),
        b.stages.map((r) => r.costs),
      );
      assert.equal(
        a.stages.some((r) => "validation" in r),
        false,
        "no validation key without a validation set",
      );
    }
  });

  it("is evaluated from the start, every L-BFGS iteration and every epoch, after pretraining only", () => {
    const r = train2(settings({ optimizer: "adam", iterations: 4, batchSize: 100 }), true);
    const [ae, softmax, fine] = r.stages;
    assert.equal(ae?.validation, undefined);
    assert.deepEqual(
      softmax?.validation?.curve.map((p) => p.iteration),
      Array.from({ length: (softmax?.iterations ?? 0) + 1 }, (_, i) => i),
    );
    assert.deepEqual(
      fine?.validation?.curve.map((p) => p.iteration),
      [0, 3, 6, 9, 12],
    );
    // The start of fine-tuning is the pretrained network, its end the model returned.
    const start = independent(r.pretrained);
    const end = independent(r.model);
    const curve = fine?.validation?.curve ?? [];
    assert.equal(curve[0]?.accuracy, start.accuracy);
    assert.equal(curve.at(-1)?.accuracy, end.accuracy);
    assert.ok(Math.abs((curve.at(-1)?.cost ?? 0) - end.cost) < 1e-4 * end.cost, `${curve.at(-1)?.cost} vs ${end.cost}`);
    // The best is the curve's highest accuracy, ties broken by the lower cost.
    const best = curve.reduce((b, p) => (isBetter(p, b) ? p : b));
    assert.deepEqual(fine?.validation?.best, best);
    assert.deepEqual(fine?.validation?.kept, curve.at(-1), "without early stopping, the last point is kept");
  });
});

describe("early stopping", () => {
  const overfit = settings({ optimizer: "adam", iterations: 60, batchSize: 50, learningRate: 0.01 });

  it("stops adam fine-tuning when validation accuracy stops improving and keeps the best parameters", (t) => {
    const patience = 5;
    const r = train2(overfit, true, { earlyStopping: { patience } });
    const fine = r.stages.at(-1);
    assert.ok(fine?.validation);
    const { curve, best } = fine.validation;
    t.diagnostic(`stopped at step ${fine.iterations} of ${60 * 6}, best ${JSON.stringify(best)}`);
    assert.equal(fine.status, "earlyStopped");
    assert.equal(
      fine.message,
      `validation accuracy did not improve for 5 evaluations; kept iteration ${best.iteration}`,
    );
    assert.ok(fine.iterations < 60 * 6);
    assert.equal(curve.at(-1)?.iteration, fine.iterations);
    // Exactly `patience` evaluations after the best, none of them better.
    assert.equal(curve.length - 1 - curve.indexOf(best), patience);
    assert.equal(curve.filter((p) => isBetter(p, best)).length, 0);
    assert.deepEqual(fine.validation.kept, best);
    // The model returned is the best one: its accuracy recomputed by predict is the best reported.
    const again = independent(r.model);
    assert.equal(again.accuracy, best.accuracy);
    assert.ok(Math.abs(again.cost - best.cost) < 1e-4 * best.cost);
  });

  it("stops a softmax trained by adam too, and not one trained by L-BFGS", () => {
    const adamSoftmax = settings(
      { iterations: 2 },
      { optimizer: "adam", iterations: 300, batchSize: 100, learningRate: 0.05 },
    );
    const r = train2(adamSoftmax, true, { earlyStopping: { patience: 2 } });
    assert.equal(r.stages[1]?.status, "earlyStopped");
    const lbfgs = train2(settings({ iterations: 2 }, { iterations: 30 }), true, { earlyStopping: { patience: 1 } });
    assert.notEqual(lbfgs.stages[1]?.status, "earlyStopped");
    assert.equal(lbfgs.stages[1]?.validation?.curve.length, (lbfgs.stages[1]?.iterations ?? 0) + 1);
  });

  it("needs a validation set, and a whole patience of at least 1", () => {
    assert.throws(
      () => train2(overfit, false, { earlyStopping: { patience: 5 } }),
      (e: unknown) =>
        e instanceof ArgumentError && /validation set/.test(e.message) && /--validation-fraction/.test(e.message),
    );
    for (const patience of [0, 1.5, Number.NaN]) {
      assert.throws(() => train2(overfit, true, { earlyStopping: { patience } }), /earlyStopping\.patience/);
    }
  });
});

describe("ties", () => {
  it("a higher accuracy wins; at the same accuracy, the lower cost", () => {
    assert.equal(isBetter({ iteration: 2, accuracy: 0.9, cost: 9 }, { iteration: 1, accuracy: 0.8, cost: 0.1 }), true);
    assert.equal(
      isBetter({ iteration: 2, accuracy: 0.8, cost: 0.2 }, { iteration: 1, accuracy: 0.8, cost: 0.3 }),
      true,
    );
    assert.equal(
      isBetter({ iteration: 2, accuracy: 0.8, cost: 0.3 }, { iteration: 1, accuracy: 0.8, cost: 0.3 }),
      false,
    );
  });
});

describe("the validation set's checks, at the boundary", () => {
  const run = (v: { inputs: Float32Array; labels: number[] }) =>
    trainStackedAutoencoder(backend, { ...input, validation: v }, { settings: settings({ iterations: 1 }) });
  it("names what is wrong: its shape, a label outside the classes, a value that is not finite, no examples", () => {
    assert.throws(
      () => run({ inputs: new Float32Array(784 * 2 - 1), labels: [1, 2] }),
      /validation inputs hold 1567 values/,
    );
    assert.throws(() => run({ inputs: new Float32Array(784), labels: [10] }), /validation labels\[0\] .* got 10/);
    const bad = new Float32Array(784 * 2);
    bad[784 + 5] = Number.NaN;
    assert.throws(() => run({ inputs: bad, labels: [1, 2] }), /validation inputs hold NaN at example 1, value 5/);
    assert.throws(() => run({ inputs: new Float32Array(0), labels: [] }), /validation holds no examples/);
  });

  it("leaves the checkpoint checksum of a run without one as it was", async () => {
    const { checkTrainInput, summarizeInput } = await import("../../src/train/input.ts");
    const a = summarizeInput(input, checkTrainInput(input), true);
    const { checksum } = await import("../../src/train/checkpoint.ts");
    assert.equal(a.checksum, checksum([Int32Array.from(labels), inputs]));
    const withV = { ...input, validation };
    assert.notEqual(summarizeInput(withV, checkTrainInput(withV), true).checksum, a.checksum);
  });
});

describe("early stopping and checkpoints", () => {
  const s = settings({ optimizer: "adam", iterations: 60, batchSize: 50, learningRate: 0.01 });
  const saved: TrainCheckpoint[] = [];
  const earlyStopping = { patience: 5 };
  const whole = trainStackedAutoencoder(
    backend,
    { ...input, validation },
    {
      settings: s,
      earlyStopping,
      checkpointEvery: 30,
      onCheckpoint: (c) => void saved.push(decodeCheckpoint(concatBytes(encodeCheckpoint(c)), "test.checkpoint")),
    },
  );
  const resume = (c: TrainCheckpoint) =>
    trainStackedAutoencoder(backend, { ...input, validation }, { resume: c, earlyStopping });

  it("a run resumed at the start of fine-tuning stops where the whole run stopped, with the same model", () => {
    const start = saved.find((c) => c.stage === 2 && c.optimizer === null);
    assert.ok(start);
    const r = resume(start);
    assert.ok(bytes(r.model.params).equals(bytes(whole.model.params)));
    assert.deepEqual(
      r.stages,
      whole.stages.map((st) => ({ ...st, seconds: r.stages[whole.stages.indexOf(st)]?.seconds })),
    );
  });

  it("a run resumed inside fine-tuning keeps the finished stages' validation and starts its count afresh", () => {
    const inside = saved.find((c) => c.stage === 2 && c.optimizer !== null && c.optimizer.iterations === 60);
    assert.ok(inside);
    const r = resume(inside);
    assert.deepEqual(r.stages[1]?.validation, whole.stages[1]?.validation);
    const curve = r.stages[2]?.validation?.curve ?? [];
    assert.equal(curve[0]?.iteration, 60, "the resumed stage's curve starts where it resumed");
    assert.equal(r.stages[2]?.status, "earlyStopped");
    assert.equal(independent(r.model).accuracy, r.stages[2]?.validation?.best.accuracy);
  });
});
