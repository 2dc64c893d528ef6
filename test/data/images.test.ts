import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { digitToInput, imageToInput } from "../../src/data/images.ts";

const { test } = readMnist();

/** Pearson correlation of two equal-length arrays. */
function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const n = a.length;
  let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0];
  for (let i = 0; i < n; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    sa += x;
    sb += y;
    saa += x * x;
    sbb += y * y;
    sab += x * y;
  }
  return (sab - (sa * sb) / n) / Math.sqrt((saa - (sa * sa) / n) * (sbb - (sb * sb) / n));
}

describe("digitToInput prepares a drawing as MNIST prepared its digits", () => {
  it("leaves MNIST's own digits (already boxed to 20 × 20 and centred by mass) nearly unchanged", () => {
    for (let i = 0; i < 50; i++) {
      const pixels = test.pixels.subarray(i * 784, (i + 1) * 784);
      const out = digitToInput({ width: 28, height: 28, data: pixels });
      const r = correlation(out, pixels);
      assert.ok(r > 0.75, `test image ${i}: correlation ${r.toFixed(3)}`);
    }
  });

  it("a small dark stroke in a corner of a light picture is inverted, scaled to 20 pixels and centred", () => {
    const width = 300;
    const height = 200;
    const data = new Uint8Array(width * height).fill(255);
    // A vertical bar 10 × 60 pixels near the top-left corner.
    for (let y = 10; y < 70; y++) for (let x = 20; x < 30; x++) data[y * width + x] = 0;
    const out = digitToInput({ width, height, data });
    const rows: number[] = [];
    const cols: number[] = [];
    let mass = 0;
    let my = 0;
    let mx = 0;
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const v = out[r * 28 + c] as number;
        if (v > 0.5) {
          rows.push(r);
          cols.push(c);
        }
        mass += v;
        my += v * (r + 0.5);
        mx += v * (c + 0.5);
      }
    }
    assert.equal(Math.max(...rows) - Math.min(...rows) + 1, 20, "the bar's 60 pixels become 20");
    assert.ok(
      Math.abs(my / mass - 14) <= 1 && Math.abs(mx / mass - 14) <= 1,
      `centre of mass ${my / mass}, ${mx / mass}`,
    );
  });

  it("an empty picture gives zeros; imageToInput only resizes", () => {
    const blank = { width: 10, height: 10, data: new Uint8Array(100).fill(255) };
    assert.ok(digitToInput(blank).every((v) => v === 0));
    const half = imageToInput({ width: 2, height: 1, data: Uint8Array.of(0, 255) }, 1, 1);
    assert.ok(Math.abs((half[0] as number) - 0.5) < 1e-6);
  });
});
