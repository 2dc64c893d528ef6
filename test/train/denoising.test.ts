// Denoising and tied autoencoders in a run (docs/denoising.md): their settings, a run resumed
// from a checkpoint inside a denoising stage (the masks come from the run's generator, which the
// checkpoint keeps) ends in the same model, and a model of either kind is an ordinary stack.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/io/checkpoint-file.ts";
import { concatBytes } from "../../src/io/safetensors.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import { accuracy, predict } from "../../src/nn/model.ts";
import type { TrainCheckpoint } from "../../src/train/checkpoint.ts";
import { trainStackedAutoencoder } from "../../src/train/pipeline.ts";
import { type PartialSettings, resolveSettings } from "../../src/train/settings.ts";

const { train } = readMnist();
const backend = await createWasmBackend({ threads: 2 });
const data = train.head(600);
const input = { inputs: data.pixels, labels: data.labels, inputSize: 784 };

function run(settings: PartialSettings, onCheckpoint?: (c: TrainCheckpoint) => void) {
  return trainStackedAutoencoder(backend, input, {
    settings,
    ...(onCheckpoint ? { checkpointEvery: 4, onCheckpoint } : {}),
  });
}

describe("denoising and tied settings", () => {
  it("are left out where off, so that a plain run's settings are unchanged", () => {
    const plain = resolveSettings({});
    const off = resolveSettings({ autoencoder: { corruption: 0, tiedWeights: false } });
    assert.equal(JSON.stringify(off), JSON.stringify(plain));
    assert.ok(!("corruption" in plain.autoencoder) && !("tiedWeights" in plain.autoencoder));
    const on = resolveSettings({ autoencoder: { corruption: 0.25, tiedWeights: true } });
    assert.equal(on.autoencoder.corruption, 0.25);
    assert.equal(on.autoencoder.tiedWeights, true);
  });
  it("are checked", () => {
    assert.throws(() => resolveSettings({ autoencoder: { corruption: 1 } }), /autoencoder.corruption/);
    assert.throws(() => resolveSettings({ autoencoder: { corruption: -0.1 } }), /autoencoder.corruption/);
    assert.throws(
      () => resolveSettings({ autoencoder: { tiedWeights: "yes" as unknown as boolean } }),
      /autoencoder.tiedWeights must be true or false/,
    );
  });
});

describe("a denoising, tied run", () => {
  const base = {
    layers: [32],
    seed: 4,
    softmax: { iterations: 10 },
    fineTune: { iterations: 6 },
  };
  for (const optimizer of ["adam", "lbfgs"] as const) {
    it(`${optimizer}: resumed from inside the denoising stage, the same model; other than the run without noise`, () => {
      const settings: PartialSettings = {
        ...base,
        autoencoder: { optimizer, iterations: optimizer === "adam" ? 3 : 10, corruption: 0.3, tiedWeights: true },
      };
      const saved: TrainCheckpoint[] = [];
      const whole = run(settings, (c) => {
        if (c.stage === 0 && c.optimizer !== null) saved.push(decodeCheckpoint(concatBytes(encodeCheckpoint(c)), "t"));
      });
      assert.ok(saved.length > 0);
      assert.equal(saved[0]?.settings.autoencoder.corruption, 0.3, "the checkpoint keeps the settings");
      assert.equal(saved[0]?.settings.autoencoder.tiedWeights, true);
      const resumed = trainStackedAutoencoder(backend, input, { resume: saved[0] as TrainCheckpoint });
      assert.deepEqual(Array.from(resumed.model.params), Array.from(whole.model.params));
      assert.deepEqual(resumed.stages[0]?.costs, whole.stages[0]?.costs);

      const clean = run({ ...settings, autoencoder: { ...settings.autoencoder, corruption: 0 } });
      assert.notDeepEqual(Array.from(clean.pretrained.params), Array.from(whole.pretrained.params));
      // The model is a stack like any other: encoders and a softmax, no decoder.
      assert.equal(whole.model.params.length, 32 * 784 + 32 + 10 * 32);
      assert.ok(accuracy(predict(backend, whole.model, data.pixels), data.labels) > 0.3);
    });
  }
});
