import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import { accuracy, predict } from "../../src/nn/model.ts";
import type { TrainCheckpoint } from "../../src/train/checkpoint.ts";
import { trainStackedAutoencoder, trainStackedAutoencoderAsync } from "../../src/train/pipeline.ts";
import { AbortedError, NumericalError } from "../../src/train/run-stage.ts";

const { train, test } = readMnist();
const backend = await createWasmBackend();
const scale = (p: Uint8Array) => Float32Array.from(p, (v) => v / 255);
const tr = train.head(2000);
const te = test.head(2000);
const testInputs = scale(te.pixels);

describe("the pipeline on 2,000 MNIST images (chance is 10 %)", () => {
  it("L-BFGS, one 100-unit autoencoder, 40 iterations a stage: ≥ 85 % after fine-tuning", (t) => {
    const stages: string[] = [];
    const r = trainStackedAutoencoder(
      backend,
      { inputs: scale(tr.pixels), labels: tr.labels, inputSize: 784 },
      {
        settings: {
          layers: [100],
          autoencoder: { iterations: 40 },
          softmax: { iterations: 50 },
          fineTune: { iterations: 40 },
        },
        onStageStart: (s) => void stages.push(s.name),
      },
    );
    const before = accuracy(predict(backend, r.pretrained, testInputs), te.labels);
    const after = accuracy(predict(backend, r.model, testInputs), te.labels);
    t.diagnostic(`before ${before}, after ${after}`);
    assert.deepEqual(stages, ["autoencoder 1", "softmax", "fine-tuning"]);
    assert.ok(before >= 0.7, `before fine-tuning ${before}`);
    assert.ok(after >= 0.85, `after fine-tuning ${after}`);
    assert.ok(after > before, "fine-tuning helps");
    assert.deepEqual(r.model.sizes, [784, 100]);
    assert.equal(r.stages[0]?.costs.length, r.stages[0]?.iterations);
  });

  it("Adam for the autoencoders and fine-tuning, two layers: ≥ 70 %", () => {
    const r = trainStackedAutoencoder(
      backend,
      { inputs: scale(tr.pixels), labels: tr.labels, inputSize: 784 },
      {
        settings: {
          layers: [64, 32],
          autoencoder: { optimizer: "adam", iterations: 5, learningRate: 0.01 },
          softmax: { iterations: 50 },
          fineTune: { optimizer: "adam", iterations: 5, learningRate: 0.003 },
        },
      },
    );
    assert.equal(r.stages[0]?.optimizer, "adam");
    assert.equal(r.stages[0]?.iterations, 5 * Math.ceil(2000 / 256));
    assert.ok(accuracy(predict(backend, r.model, testInputs), te.labels) >= 0.7);
  });

  it("a stage whose cost stops being finite raises NumericalError: the stage, where, and what to try", () => {
    const few = tr.head(40);
    const run = (inputs: Float32Array, stage: Record<string, unknown>) => () =>
      trainStackedAutoencoder(
        backend,
        { inputs, labels: few.labels, inputSize: 784 },
        { settings: { layers: [8], autoencoder: { iterations: 3, ...stage }, softmax: { iterations: 2 } } },
      );
    const expect = (stage: string, message: RegExp) => (e: unknown) => {
      assert.ok(e instanceof NumericalError, String(e));
      assert.equal(e.code, "ERR_NUMERICAL");
      assert.equal(e.stage, stage);
      assert.match(e.message, message);
      return true;
    };
    assert.throws(
      run(scale(few.pixels), { optimizer: "sgd", learningRate: 1e30 }),
      expect(
        "autoencoder 1",
        /^autoencoder 1: .*non-finite at step \d+ \(epoch \d+\); a learning rate below this stage's 1e\+30 /,
      ),
    );
    // Squares of 1e20 overflow float32.
    assert.throws(
      run(
        Float32Array.from(scale(few.pixels), (v) => v * 1e20),
        {},
      ),
      expect("autoencoder 1", /not finite at the starting point .*; inputs of very large magnitude can cause this/),
    );
  });

  it("self-taught learning: pretraining on digits 5–9, classifying digits 0–4 (SPEC §8)", (t) => {
    const unlabeled = train.head(4000).filter((y) => y >= 5);
    const labelled = train
      .head(4000)
      .filter((y) => y < 5)
      .head(1000);
    const testLow = test.head(2000).filter((y) => y < 5);
    const r = trainStackedAutoencoder(
      backend,
      { inputs: scale(labelled.pixels), labels: labelled.labels, inputSize: 784, unlabeled: scale(unlabeled.pixels) },
      {
        settings: {
          layers: [100],
          autoencoder: { iterations: 40 },
          softmax: { iterations: 50 },
          fineTune: { iterations: 0 },
        },
      },
    );
    assert.equal(r.model.classes, 5);
    const acc = accuracy(predict(backend, r.pretrained, scale(testLow.pixels)), testLow.labels);
    t.diagnostic(`0–4 accuracy with 5–9 features: ${acc}`);
    assert.ok(acc >= 0.85, `accuracy on 0–4 ${acc}`);
  });

  it("is repeatable from its seed", () => {
    const small = train.head(300);
    const run = (seed: number) =>
      trainStackedAutoencoder(
        backend,
        { inputs: scale(small.pixels), labels: small.labels, inputSize: 784 },
        {
          settings: {
            seed,
            layers: [16],
            autoencoder: { iterations: 5 },
            softmax: { iterations: 5 },
            fineTune: { iterations: 5 },
          },
        },
      ).model.params;
    assert.deepEqual(run(7), run(7));
    assert.notDeepEqual(run(7), run(8));
  });
});

describe("trainStackedAutoencoderAsync", () => {
  const small = train.head(300);
  const input = { inputs: scale(small.pixels), labels: small.labels, inputSize: 784 };
  const lbfgsRun = {
    seed: 4,
    layers: [16, 8],
    autoencoder: { iterations: 6 },
    softmax: { iterations: 6 },
    fineTune: { iterations: 6 },
  };
  const minibatchRun = {
    seed: 4,
    layers: [16],
    autoencoder: { optimizer: "adam" as const, iterations: 2, batchSize: 64 },
    softmax: { optimizer: "sgd" as const, iterations: 3, batchSize: 64 },
    fineTune: { optimizer: "adam" as const, iterations: 2, batchSize: 64 },
  };

  for (const [name, settings] of [
    ["L-BFGS", lbfgsRun],
    ["adam and sgd", minibatchRun],
  ] as const) {
    it(`${name}: the same model, stages and costs as the synchronous call, bit for bit`, async () => {
      const sync = trainStackedAutoencoder(backend, input, { settings });
      const async = await trainStackedAutoencoderAsync(backend, input, { settings });
      assert.deepEqual(async.model.params, sync.model.params);
      assert.deepEqual(async.pretrained.params, sync.pretrained.params);
      const account = (r: typeof sync) => r.stages.map((s) => [s.name, s.iterations, s.evaluations, s.cost, s.costs]);
      assert.deepEqual(account(async), account(sync));
    });
  }

  it("an AbortSignal fired by setTimeout stops it, with a checkpoint of the iteration it stopped after", async () => {
    const settings = { seed: 1, layers: [32], autoencoder: { iterations: 400 }, fineTune: { iterations: 400 } };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 100);
    let iterations = 0;
    let saved: TrainCheckpoint | undefined;
    const started = performance.now();
    await assert.rejects(
      trainStackedAutoencoderAsync(backend, input, {
        settings,
        signal: controller.signal,
        onProgress: (_, p) => void (iterations = p.iteration),
        onCheckpoint: (c) => void (saved = c),
      }),
      (e: unknown) => e instanceof AbortedError && e.stage === "autoencoder 1" && e.iteration === iterations,
    );
    clearTimeout(timer);
    const seconds = (performance.now() - started) / 1000;
    assert.ok(iterations > 0 && iterations < 400, `stopped after ${iterations} of 400 iterations`);
    assert.ok(seconds < 5, `stopped ${seconds.toFixed(2)} s after it started`);
    assert.equal(saved?.optimizer?.iterations, iterations, "the checkpoint holds the iteration it stopped after");
  });

  it("a timer keeps ticking while it trains (a progress display, a page)", async () => {
    let ticks = 0;
    const interval = setInterval(() => ticks++, 1);
    try {
      await trainStackedAutoencoderAsync(backend, input, { settings: lbfgsRun });
    } finally {
      clearInterval(interval);
    }
    assert.ok(ticks >= 3, `the interval ran ${ticks} times during the run`);
  });

  it("the synchronous call cannot see a setTimeout abort: it runs to the end (why the async one exists)", () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 0);
    const r = trainStackedAutoencoder(backend, input, { settings: lbfgsRun, signal: controller.signal });
    clearTimeout(timer);
    assert.equal(r.stages.length, 4);
  });

  it("rejects, rather than throws, on settings it refuses", async () => {
    const pending = trainStackedAutoencoderAsync(backend, input, { settings: { layers: [0] } });
    await assert.rejects(pending, /layers\[0\] must be an integer/);
  });
});
