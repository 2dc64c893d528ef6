import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { tileImage } from "../../src/viz/tiles.ts";

describe("tileImage", () => {
  it("normalises each tile by its own largest magnitude: −max black, 0 mid-gray, +max white", () => {
    // Two 1 × 3 tiles whose scales differ by 1,000: each spans the whole gray range.
    const W = [-1, 0, 1, -1000, 500, 1000];
    const img = tileImage(W, 2, 1, 3, { columns: 2, scale: 1, border: 1 });
    assert.equal(img.width, 2 * 3 + 3);
    assert.equal(img.height, 1 + 2);
    const row = Array.from(img.data.subarray(img.width, 2 * img.width));
    assert.deepEqual(row, [0, 0, 128, 255, 0, 0, 191, 255, 0]);
    // The borders are black.
    assert.ok(img.data.subarray(0, img.width).every((v) => v === 0));
  });

  it("places tiles row by row in a near-square grid, each pixel scaled to a square", () => {
    // Five 2 × 2 tiles: a 3 × 2 grid; the last cell stays black.
    const W = Float32Array.from({ length: 5 * 4 }, (_, i) => (i % 4 === 0 ? 1 : -1));
    const img = tileImage(W, 5, 2, 2, { scale: 3, border: 2 });
    assert.equal(img.width, 3 * 6 + 4 * 2);
    assert.equal(img.height, 2 * 6 + 3 * 2);
    const at = (x: number, y: number) => img.data[y * img.width + x];
    // Tile 4 (row 1, column 1): its top-left weight, +1, is white over 3 × 3 pixels, the next one black.
    const [x0, y0] = [2 + 8, 2 + 8];
    for (let d = 0; d < 9; d++) assert.equal(at(x0 + (d % 3), y0 + Math.floor(d / 3)), 255);
    assert.equal(at(x0 + 3, y0), 0);
    // The sixth cell is empty.
    assert.equal(at(2 + 2 * 8, 2 + 8), 0);
  });

  it("an all-zero tile is mid-gray, and the values must fill the tiles exactly", () => {
    const img = tileImage([0, 0, 0, 0], 1, 2, 2, { scale: 1, border: 0 });
    assert.deepEqual(Array.from(img.data), [128, 128, 128, 128]);
    assert.throws(() => tileImage([1, 2, 3], 1, 2, 2), ArgumentError);
  });
});
