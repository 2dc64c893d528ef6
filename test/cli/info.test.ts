import assert from "node:assert/strict";
import { it } from "node:test";
import { formatInfo, modelInfo, trainFlags } from "../../src/cli/info.ts";
import { decodeModel, encodeModel } from "../../src/io/model-file.ts";
import { modelLayout } from "../../src/nn/model.ts";
import { resolveSettings, SPEC_SETTINGS } from "../../src/train/settings.ts";

it("trainFlags gives the flags that differ from the reference experiment's", () => {
  assert.equal(trainFlags(SPEC_SETTINGS), "");
  assert.equal(trainFlags(resolveSettings({ seed: 9, softmax: { lambda: 0.5 } })), "--seed 9 --softmax-lambda 0.5");
  // One optimiser for every stage is --optimizer; mixed ones are named per stage.
  const adam = { optimizer: "adam" as const, batchSize: 100, learningRate: 0.01 };
  assert.equal(
    trainFlags(resolveSettings({ autoencoder: adam, softmax: adam, fineTune: adam })),
    "--optimizer adam --batch-size 100 --learning-rate 0.01",
  );
  assert.equal(
    trainFlags(
      resolveSettings({ layers: [50], autoencoder: { beta: 2 }, fineTune: { optimizer: "sgd", iterations: 3 } }),
    ),
    "--layers 50 --finetune-optimizer sgd --finetune-iters 3 --beta 2",
  );
});

it("info of a model saved by the library, without training metadata: its layers and tensors only", () => {
  const shape = { sizes: [6, 4], classes: 3 };
  const params = new Float32Array(modelLayout(shape).length);
  const info = modelInfo("m.safetensors", decodeModel(encodeModel({ ...shape, params }), "m.safetensors"));
  assert.equal(info.parameters, 6 * 4 + 4 + 3 * 4);
  assert.equal(info.settings, null);
  assert.equal(
    formatInfo(info),
    "m.safetensors: a stackae model, 6 → 4 → softmax(3)\nparameters: 40 float32 (W1 4 × 6, b1 4, theta 3 × 4)\nimages: 1 × 6\n",
  );
});
