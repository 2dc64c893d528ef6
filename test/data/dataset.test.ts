import assert from "node:assert/strict";
import { it } from "node:test";
import { checkFiniteInputs, inputsToMatrix, LabelledImages } from "../../src/data/dataset.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { modelLayout, predict } from "../../src/nn/model.ts";
import { trainStackedAutoencoder } from "../../src/train/pipeline.ts";

it("inputsToMatrix scales unsigned-byte pixels by 1/255 and copies floats as they are", () => {
  const backend = new JsBackend("float64");
  assert.deepEqual(Array.from(inputsToMatrix(backend, 1, 3, Uint8Array.of(0, 51, 255)).data), [0, 0.2, 1]);
  assert.deepEqual(Array.from(inputsToMatrix(backend, 1, 2, Float64Array.of(0.25, 7)).data), [0.25, 7]);
});

it("LabelledImages.head and filter keep images and labels together", () => {
  const images = new LabelledImages(1, 2, Uint8Array.of(1, 2, 3, 4, 5, 6), Uint8Array.of(7, 8, 9));
  assert.deepEqual(Array.from(images.head(2).pixels), [1, 2, 3, 4]);
  const odd = images.filter((y) => y % 2 === 1);
  assert.deepEqual(Array.from(odd.labels), [7, 9]);
  assert.deepEqual(Array.from(odd.pixels), [1, 2, 5, 6]);
  assert.equal(images.classes, 10);
});

it("LabelledImages.transposed turns each image's rows into columns, and back", () => {
  // Two 2 × 3 images: 1 2 3 / 4 5 6, then 7 8 9 / 10 11 12.
  const images = new LabelledImages(
    2,
    3,
    Uint8Array.from({ length: 12 }, (_, i) => i + 1),
    Uint8Array.of(4, 5),
  );
  const t = images.transposed();
  assert.deepEqual([t.rows, t.cols, t.count], [3, 2, 2]);
  assert.deepEqual(Array.from(t.pixels), [1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12]);
  assert.deepEqual(Array.from(t.labels), [4, 5]);
  assert.deepEqual(t.transposed().pixels, images.pixels);
});

it("NaN or infinite inputs are refused by name, example and place, before any work", () => {
  const inputs = new Float32Array(12).fill(0.5);
  inputs[7] = Number.NaN;
  assert.throws(() => checkFiniteInputs(inputs, 4), {
    name: "DataError",
    message: /^inputs hold NaN at example 1, value 3: every input must be a finite number/,
  });
  inputs[7] = Number.POSITIVE_INFINITY;
  const backend = new JsBackend("float32");
  const model = {
    sizes: [4, 2],
    classes: 2,
    params: new Float32Array(modelLayout({ sizes: [4, 2], classes: 2 }).length),
  };
  assert.throws(() => predict(backend, model, inputs), { message: /Infinity at example 1, value 3/ });
  assert.throws(() => trainStackedAutoencoder(backend, { inputs, labels: [0, 1, 0], inputSize: 4 }), {
    name: "DataError",
    message: /Infinity at example 1/,
  });
  checkFiniteInputs(Uint8Array.from([0, 255]), 2);
});
