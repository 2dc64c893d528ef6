// A small model trained on MNIST for the export tests: exports are checked on a network whose
// probabilities are those of a real classifier, not of random weights.

import type { LabelledImages } from "../../src/data/dataset.ts";
import { readMnist } from "../../src/data/files.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import type { StackedModel } from "../../src/nn/model.ts";
import { trainStackedAutoencoder } from "../../src/train/pipeline.ts";

/** 784 → 32 → 16 → softmax(10), a few epochs of Adam on 2,000 training images, and 1,000 test images. */
export async function trainedModel(): Promise<{ model: StackedModel; test: LabelledImages }> {
  const { train, test } = readMnist();
  const tr = train.head(2000);
  const backend = await createWasmBackend({ threads: 1 });
  const { model } = trainStackedAutoencoder(
    backend,
    { inputs: tr.pixels, labels: tr.labels, inputSize: 784 },
    {
      settings: {
        layers: [32, 16],
        autoencoder: { optimizer: "adam", iterations: 2, learningRate: 0.01 },
        softmax: { iterations: 30 },
        fineTune: { optimizer: "adam", iterations: 2, learningRate: 0.003 },
      },
    },
  );
  await backend.dispose();
  return { model, test: test.head(1000) };
}
