import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { costCurvesSvg } from "../../src/viz/plot.ts";

/** Each panel's translation and polyline points, in document order. */
function panels(svg: string) {
  const out: { x: number; y: number; points: [number, number][] }[] = [];
  for (const m of svg.matchAll(/<g transform="translate\((\d+),(\d+)\)">(<text.*?)<\/g>/g)) {
    const line = (m[3] as string).match(/<polyline points="([^"]*)"/);
    const points = (line?.[1] ?? "")
      .split(" ")
      .filter((p) => p !== "")
      .map((p) => p.split(",").map(Number) as [number, number]);
    out.push({ x: Number(m[1]), y: Number(m[2]), points });
  }
  return out;
}

const labels = (svg: string) => [...svg.matchAll(/text-anchor="end">([^<]+)</g)].map((m) => m[1]);

describe("costCurvesSvg", () => {
  it("lays four stages out in two rows of two", () => {
    const curve = { name: "c", values: [3, 2, 1] };
    const svg = costCurvesSvg([curve, curve, curve, curve]);
    const [, width, height] = svg.match(/^<svg [^>]*width="(\d+)" height="(\d+)"/) ?? [];
    assert.equal(Number(width), 840);
    assert.equal(Number(height), 2 * 260 + 24);
    assert.deepEqual(
      panels(svg).map((p) => [p.x, p.y]),
      [
        [0, 0],
        [420, 0],
        [0, 260],
        [420, 260],
      ],
    );
    const one = costCurvesSvg([curve]);
    assert.match(one, /^<svg [^>]*width="420" height="284"/);
  });

  it("draws a positive cost on a log scale: the middle label is the geometric mean", () => {
    const svg = costCurvesSvg([{ name: "ae", values: [1000, 100, 10] }]);
    const [p] = panels(svg);
    // 10^3, 10^2, 10^1 are evenly spaced, first at the top left, last at the bottom right.
    const [a, b, c] = p?.points ?? [];
    assert.ok(a && b && c);
    assert.ok(Math.abs(b[1] - (a[1] + c[1]) / 2) < 0.11, `${a} ${b} ${c}`);
    assert.ok(a[0] < b[0] && b[0] < c[0] && a[1] < c[1]);
    assert.deepEqual(labels(svg).slice(0, 3), ["10.0", "100", "1.0e+3"]);
    assert.match(svg, /cost on a log scale/);
  });

  it("falls back to a linear scale when a cost is not positive, and skips values that are not finite", () => {
    const svg = costCurvesSvg([{ name: "sgd", values: [2, Number.NaN, 0, Number.POSITIVE_INFINITY, -2] }]);
    assert.equal(panels(svg)[0]?.points.length, 3);
    assert.deepEqual(labels(svg).slice(0, 3), ["-2.00", "0", "2.00"]);
    assert.doesNotMatch(svg, /log scale/);
  });

  it("escapes a stage's name", () => {
    assert.match(costCurvesSvg([{ name: "a<b & c>", values: [1] }]), /a&lt;b &amp; c&gt;/);
  });
});
