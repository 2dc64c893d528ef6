import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { type FewLabelsRow, fewLabelsReportHtml, fewLabelsSvg, fewLabelsTable } from "../../src/viz/few-labels-html.ts";

const row = (labels: number, method: string, mean: number, std: number): FewLabelsRow => ({
  labels,
  method,
  mean,
  std,
  seconds: labels / 100,
  seeds: 3,
});
const rows = [
  row(100, "pretrained", 0.8, 0.02),
  row(1000, "pretrained", 0.92, 0.01),
  row(10_000, "pretrained", 0.97, 0.002),
  row(100, "backprop only", 0.7, 0.04),
  row(1000, "backprop only", 0.88, 0.01),
  row(10_000, "backprop only", 0.96, 0.003),
  row(100, "softmax <on> pixels", 0.68, 0.03),
];

/** Each polyline's points, by series. */
const lines = (svg: string) =>
  [...svg.matchAll(/<polyline [^>]*points="([^"]*)"[^>]*><title>([^<]*)<\/title>/g)].map((m) => ({
    name: m[2],
    points: (m[1] as string).split(" ").map((p) => p.split(",").map(Number) as [number, number]),
  }));

describe("fewLabelsSvg", () => {
  const svg = fewLabelsSvg(rows);

  it("draws one line per method, N on a log scale: 100, 1,000 and 10,000 evenly apart", () => {
    const drawn = lines(svg);
    assert.deepEqual(
      drawn.map((l) => l.name),
      ["pretrained", "backprop only"],
      "a method with one N is a dot, not a line",
    );
    const [a, b, c] = drawn[0]?.points ?? [];
    assert.ok(a && b && c);
    assert.ok(Math.abs(b[0] - a[0] - (c[0] - b[0])) < 0.11);
    // The methods' points at one N stand 5 px apart, so that their error bars do not hide each other.
    assert.deepEqual(
      drawn[1]?.points.map((p, k) => Number((p[0] - (drawn[0]?.points[k]?.[0] as number)).toFixed(1))),
      [5, 5, 5],
    );
    assert.match(svg, /labelled training examples \(log scale\)/);
    assert.match(svg, /softmax &lt;on&gt; pixels/);
  });

  it("bars each mean by ± its standard deviation, to scale", () => {
    const drawn = lines(svg);
    const pre = drawn[0]?.points ?? [];
    const back = drawn[1]?.points ?? [];
    // Pixels per unit of accuracy, from two means.
    const unit = ((pre[0]?.[1] as number) - (pre[1]?.[1] as number)) / (0.92 - 0.8);
    const bars = [...svg.matchAll(/<path class="err"[^>]* d="M([\d.]+),([\d.]+)V([\d.]+)/g)].map((m) => [
      Number(m[1]),
      Number(m[2]) - Number(m[3]),
    ]);
    assert.equal(bars.length, rows.length);
    const at = (x: number) => bars.filter((b) => Math.abs((b[0] as number) - x) < 0.01).map((b) => b[1] as number);
    const [p100, b100] = [0.02, 0.04].map((s) => 2 * s * unit);
    assert.ok(
      at(pre[0]?.[0] as number).some((h) => Math.abs(h - (p100 as number)) < 0.2),
      `${at(pre[0]?.[0] as number)}`,
    );
    assert.ok(at(back[0]?.[0] as number).some((h) => Math.abs(h - (b100 as number)) < 0.2));
  });

  it("refuses a row that is not a measurement, naming it", () => {
    assert.throws(() => fewLabelsSvg([row(0, "m", 0.5, 0)]), ArgumentError);
    assert.throws(() => fewLabelsSvg([row(10, "m", Number.NaN, 0)]), /row 0 \(m, N = 10\): mean must be ≥ 0, got NaN/);
  });
});

describe("fewLabelsTable and its page", () => {
  it("a row per N with each method's mean ± std and time, the best in bold, a dash where one is missing", () => {
    const html = fewLabelsTable(rows);
    assert.match(
      html,
      /<th>100<\/th><td class="num"><strong>80\.00 % ± 2\.00<\/strong><\/td><td class="num">1\.00 s<\/td>/,
    );
    assert.match(html, /<th>10,000<\/th>.*<td class="num">–<\/td><td class="num">–<\/td><\/tr>/);
    assert.equal((html.match(/<tr>/g) ?? []).length, 4);
  });

  it("the page holds the plot, the table, the notes and the command, and fetches nothing", () => {
    const page = fewLabelsReportHtml({
      title: "few labels",
      date: "2026-01-01",
      command: ["stackae", "few-labels", "--labels", "100,1000"],
      rows,
      notes: ["N = 100: no validation part <too few>"],
      about: [["data", "MNIST"]],
    });
    assert.match(page, /<svg class="chart"/);
    assert.match(page, /stackae few-labels --labels 100,1000/);
    assert.match(page, /no validation part &lt;too few&gt;/);
    assert.match(page, /3 seeds each/);
    assert.doesNotMatch(page, /<[^>]*\s(src|href)=/);
  });
});
