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
  // Iterations count against the defaults of the stage's optimiser: epochs for adam and sgd.
  const epochs = (ae: number, softmax: number, fineTune: number) =>
    trainFlags(
      resolveSettings({
        autoencoder: { optimizer: "adam", iterations: ae },
        softmax: { optimizer: "adam", iterations: softmax },
        fineTune: { optimizer: "adam", iterations: fineTune },
      }),
    );
  assert.equal(epochs(10, 100, 10), "--optimizer adam");
  assert.equal(epochs(400, 100, 400), "--optimizer adam --ae-iters 400 --finetune-iters 400");
  assert.equal(
    trainFlags(resolveSettings({ softmax: { optimizer: "sgd" } })),
    "--softmax-optimizer sgd",
    "the softmax's 100 epochs are its default, as its 100 L-BFGS iterations are",
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

it("info of a denoising, tied model: the flags that made it, and a line that names both", () => {
  assert.equal(
    trainFlags(resolveSettings({ autoencoder: { corruption: 0.3, tiedWeights: true } })),
    "--corruption 0.3 --tied-weights",
  );
  const shape = { sizes: [6, 4], classes: 3 };
  const params = new Float32Array(modelLayout(shape).length);
  const settings = resolveSettings({ autoencoder: { corruption: 0.3, tiedWeights: true, beta: 0 } });
  const file = encodeModel({ ...shape, params }, { settings: JSON.stringify(settings) });
  const text = formatInfo(modelInfo("m.safetensors", decodeModel(file, "m.safetensors")));
  assert.match(text, /\nautoencoders: denoising \(masking noise 0\.3\), tied weights \(W2 = W1ᵀ\)\n/);
  assert.match(text, /train flags: --beta 0 --corruption 0\.3 --tied-weights,/);
});

it("trainFlags starts from a recipe's values where the settings name one, and names the new flags", () => {
  assert.equal(trainFlags(resolveSettings({ recipe: "fast" })), "--recipe fast");
  assert.equal(trainFlags(resolveSettings({ recipe: "best" })), "--recipe best");
  assert.equal(
    trainFlags(resolveSettings({ recipe: "fast", seed: 2, fineTune: { iterations: 30 } })),
    "--recipe fast --seed 2 --finetune-iters 30",
  );
  assert.equal(
    trainFlags(resolveSettings({ recipe: "fast", autoencoder: { optimizer: "lbfgs" } })),
    "--recipe fast --ae-optimizer lbfgs",
    "the L-BFGS default of 400 iterations goes with it",
  );
  const adam = { optimizer: "adam" as const, schedule: "cosine" as const };
  assert.equal(
    trainFlags(
      resolveSettings({ autoencoder: adam, fineTune: { ...adam, weightDecay: 1e-4, inputDropout: 0.2, dropout: 0.1 } }),
    ),
    "--ae-optimizer adam --finetune-optimizer adam --finetune-weight-decay 0.0001 --input-dropout 0.2 --dropout 0.1 --lr-schedule cosine",
  );
});
