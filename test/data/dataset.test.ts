import assert from "node:assert/strict";
import { it } from "node:test";
import { LabelledImages } from "../../src/data/dataset.ts";

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
