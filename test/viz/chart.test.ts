import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatTick, linearTicks, lineChart, logTicks, movingAverage } from "../../src/viz/chart.ts";

/** Each circle's centre, in document order. */
const dots = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.-]+)" cy="([\d.-]+)"/g)].map((m) => [Number(m[1]), Number(m[2])] as const);
/** Each error bar's x and its two ends. */
const bars = (svg: string) =>
  [...svg.matchAll(/<path class="err"[^>]* d="M([\d.-]+),([\d.-]+)V([\d.-]+)/g)].map(
    (m) => m.slice(1).map(Number) as [number, number, number],
  );
const tickLabels = (svg: string, anchor: string) =>
  [...svg.matchAll(new RegExp(`class="tick"[^>]*text-anchor="${anchor}"[^>]*>([^<]*)<`, "g"))].map((m) => m[1]);

describe("chart ticks", () => {
  it("linear ticks are round steps of 1, 2 or 5 × 10ᵏ inside the range", () => {
    assert.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
    assert.deepEqual(linearTicks(3, 57), [10, 20, 30, 40, 50]);
    assert.deepEqual(linearTicks(0.1, 0.3, 2), [0.1, 0.2, 0.3]);
    assert.deepEqual(linearTicks(5, 5), [5]);
  });

  it("log ticks are the powers of ten, with 2 and 5 over two decades or less, linear within one", () => {
    assert.deepEqual(logTicks(1, 100_000), [1, 10, 100, 1000, 10_000, 100_000]);
    assert.deepEqual(logTicks(100, 10_000), [100, 200, 500, 1000, 2000, 5000, 10_000]);
    assert.deepEqual(logTicks(22, 62), [30, 40, 50, 60]);
    assert.deepEqual(logTicks(0.02, 0.5), [0.02, 0.05, 0.1, 0.2, 0.5]);
  });

  it("tick labels: thousands separated, percentages, exponents for the very large and small", () => {
    assert.equal(formatTick(10_000), "10,000");
    assert.equal(formatTick(0.985, "percent"), "98.5 %");
    assert.equal(formatTick(2.5e-5), "3e-5");
    assert.equal(formatTick(0.125), "0.125");
  });
});

describe("movingAverage", () => {
  it("is the mean of the window centred on each point, shorter at the ends, skipping values that are not finite", () => {
    const values = [1, 2, Number.NaN, 4, 5, 6, 100];
    // The reference: each window summed afresh.
    const expected = values.map((_, i) => {
      const w = values.slice(Math.max(0, i - 1), i + 2).filter(Number.isFinite);
      return w.reduce((s, v) => s + v, 0) / w.length;
    });
    assert.deepEqual(movingAverage(values, 3), expected);
    assert.deepEqual(movingAverage([3, 1], 1), [3, 1]);
  });
});

describe("lineChart", () => {
  it("puts points evenly on a log axis and draws ± error bars of the right height", () => {
    const svg = lineChart({
      x: { label: "labels", log: true },
      y: { label: "accuracy", min: 0, max: 1 },
      series: [
        {
          name: "m",
          points: [
            { x: 100, y: 0.5, err: 0.1 },
            { x: 1000, y: 0.7, err: 0.05 },
            { x: 10_000, y: 0.9 },
          ],
        },
      ],
    });
    const [a, b, c] = dots(svg);
    assert.ok(a && b && c);
    assert.ok(Math.abs(b[0] - a[0] - (c[0] - b[0])) < 0.11, `${a} ${b} ${c}`);
    // y is linear from 0 (bottom) to 1 (top): 0.2 of the range is 0.2 of the height.
    const unit = (a[1] - c[1]) / 0.4;
    const [e1, e2] = bars(svg);
    assert.ok(e1 && e2);
    assert.equal(bars(svg).length, 2);
    assert.ok(Math.abs(e1[1] - e1[2] - 0.2 * unit) < 0.2, `${e1} against ${unit}`);
    assert.ok(Math.abs(e2[1] - e2[2] - 0.1 * unit) < 0.2, `${e2} against ${unit}`);
    assert.equal(e1[0], a[0]);
    assert.deepEqual(tickLabels(svg, "middle"), ["100", "200", "500", "1,000", "2,000", "5,000", "10,000"]);
    assert.match(svg, /labels \(log scale\)/);
  });

  it("leaves out values a log axis cannot show and values that are not finite", () => {
    const svg = lineChart({
      x: { label: "x" },
      y: { label: "y", log: true },
      series: [{ name: "s", points: [0, 1, -1, 10, Number.NaN, 100].map((y, x) => ({ x, y })) }],
    });
    assert.equal(dots(svg).length, 3);
    assert.equal((svg.match(/<polyline [^>]*points="([^"]*)"/)?.[1] ?? "").split(" ").length, 3);
  });

  it("a legend for several series, and every name escaped", () => {
    const svg = lineChart({
      title: "<b>&",
      x: { label: "x<" },
      y: { label: "y>" },
      series: [
        { name: "a<script>", points: [{ x: 1, y: 1 }] },
        { name: 'b"', points: [{ x: 2, y: 2 }] },
      ],
    });
    assert.equal((svg.match(/class="legend"/g) ?? []).length, 2);
    assert.doesNotMatch(svg, /<script|<b>/);
    assert.match(svg, /a&lt;script&gt;/);
    assert.match(svg, /b&quot;/);
  });
});
