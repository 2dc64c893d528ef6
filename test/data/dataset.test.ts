import assert from "node:assert/strict";
import { it } from "node:test";
import { inputsToMatrix, LabelledImages } from "../../src/data/dataset.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";

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
