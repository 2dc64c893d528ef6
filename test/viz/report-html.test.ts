import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { encodePng } from "../../src/io/png.ts";
import { confusionTable, type RunReport, runReportHtml, shellLine, tilesSvg } from "../../src/viz/report-html.ts";
import { tileImage, tileLayout, tileMaxima } from "../../src/viz/tiles.ts";

const W = Float32Array.from({ length: 6 * 4 }, (_, i) => Math.sin(i));
const features = {
  png: encodePng(tileImage(W, 6, 2, 2, { scale: 1 })),
  layout: tileLayout(6, 2, 2, { scale: 1 }),
  maxAbs: tileMaxima(W, 6),
};
const scores = { precision: 0.75, recall: 0.6, f1: 0.6667, support: 5 };

/** A run of three classes, one named to break out of HTML if it were not escaped. */
function report(over: Partial<RunReport> = {}): RunReport {
  return {
    title: "stackae train: 6 on csv",
    date: "2026-01-02T03:04:05Z",
    command: ["stackae", "train", "--data", "my data.csv", "--report", "out"],
    settings: {
      run: [["hidden layers", "6"]],
      stages: ["autoencoders", "softmax", "fine-tuning"],
      perStage: [{ name: "optimizer", values: ["lbfgs", "adam", ""] }],
    },
    data: {
      source: "data/<img src=x onerror=alert(1)>.csv",
      kind: "csv",
      inputSize: 4,
      imageShape: [2, 2],
      inputScale: 1,
      classes: ["cat", "dog", "</td><script>alert(1)</script>"],
      splits: [
        { name: "training", perClass: [4, 4, 4], total: 12 },
        { name: "test", perClass: [5, 5, 5], total: 15 },
        { name: "unlabelled (pretraining)", perClass: null, total: 100 },
      ],
    },
    stages: [
      {
        name: "autoencoder 1",
        optimizer: "lbfgs",
        iterations: 3,
        evaluations: 4,
        seconds: 1.5,
        cost: 0.25,
        stopped: "ran 3 iterations",
        costs: [1, 0.5, 0.25],
      },
      {
        name: "fine-tuning",
        optimizer: "adam",
        iterations: 60,
        evaluations: 60,
        seconds: 2.25,
        cost: 0.4,
        stopped: "ran 2 epochs",
        costs: Array.from({ length: 60 }, (_, k) => 1 / (k + 1) + (k % 2) * 0.1),
        validation: {
          curve: [
            { iteration: 0, accuracy: 0.4, cost: 1.1 },
            { iteration: 30, accuracy: 0.8, cost: 0.6 },
            { iteration: 60, accuracy: 0.7, cost: 0.7 },
          ],
          kept: { iteration: 30, accuracy: 0.8, cost: 0.6 },
        },
      },
    ],
    accuracy: { beforeFineTuning: 0.4, afterFineTuning: 0.7333, validation: 0.8 },
    confusion: [
      [5, 0, 0],
      [1, 3, 1],
      [0, 2, 3],
    ],
    perClass: [
      { name: "cat", ...scores },
      { name: "dog", ...scores },
      { name: "</td><script>alert(1)</script>", ...scores },
    ],
    macroAverage: { ...scores, support: 15 },
    weightedAverage: { ...scores, support: 15 },
    features: { before: features, after: features },
    machine: {
      cpu: "Test CPU <1>",
      cores: "2",
      backend: "wasm (SIMD, 2 threads)",
      threads: 2,
      node: "v20.0.0",
      platform: "linux x64",
    },
    totalSeconds: 4.5,
    ...over,
  };
}

describe("runReportHtml", () => {
  const html = runReportHtml(report());

  it("escapes every string it is given: no tag but its own", () => {
    const tags = new Set([...html.matchAll(/<\/?([a-zA-Z][\w-]*)/g)].map((m) => m[1]));
    for (const tag of ["script", "img", "iframe", "link", "object"]) assert.ok(!tags.has(tag), tag);
    assert.doesNotMatch(html, /<[^>]*\son\w+=/, "no event handler attribute");
    assert.match(html, /&lt;\/td&gt;&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /data\/&lt;img src=x onerror=alert\(1\)&gt;\.csv/);
    assert.match(html, /Test CPU &lt;1&gt;/);
  });

  it("refers to nothing outside itself: no src, no link, the pictures inline", () => {
    assert.doesNotMatch(html, /<[^>]*\ssrc=|url\(|@import/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1] as string);
    assert.equal(hrefs.length, 2, "one picture before and one after fine-tuning");
    for (const h of hrefs) assert.match(h, /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
    // The only URLs are SVG's namespace.
    for (const m of html.matchAll(/https?:\/\/[^\s"')]+/g)) assert.equal(m[0], "http://www.w3.org/2000/svg");
  });

  it("heads with the test accuracy before and after fine-tuning, and the command line to paste back", () => {
    assert.match(html, /<div class="value">73\.33 %<\/div><div class="label">test accuracy after fine-tuning/);
    assert.match(html, /<div class="value">40\.00 %<\/div><div class="label">before fine-tuning/);
    assert.match(html, /stackae train --data &#39;my data\.csv&#39; --report out/);
  });

  it("has a cost chart for each stage and validation curves for the stage that has them", () => {
    assert.match(html, /aria-label="autoencoder 1 \(lbfgs\): cost"/);
    assert.match(html, /aria-label="fine-tuning \(adam\): cost"/);
    assert.match(html, /aria-label="fine-tuning: validation accuracy"/);
    assert.doesNotMatch(html, /autoencoder 1: validation/);
    // The validation cost beside the training cost, as Keras plots loss and val_loss.
    const fineTuning = html.slice(html.indexOf('aria-label="fine-tuning (adam): cost"'));
    assert.match(fineTuning.slice(0, fineTuning.indexOf("</svg>")), /<title>validation<\/title>/);
    assert.match(html, /fine-tuning kept the parameters of step 30 \(validation accuracy 80\.00 %\)/);
    assert.match(runReportHtml(report({ stages: [] })), /No validation set: add --validation-fraction/);
  });

  it("labels each feature tile with its unit, and says the scale", () => {
    assert.equal((html.match(/<text class="unit"/g) ?? []).length, 12);
    assert.match(html, /unit 6: white \+/);
    assert.match(html, /−max<\/span><span class="ramp"><\/span><span>\+max/);
  });

  it("tables the per-class scores, the splits, the stages and the machine", () => {
    assert.match(html, /<th>macro average<\/th>/);
    assert.match(html, /unlabelled \(pretraining\): 100 examples, no labels/);
    assert.match(html, /<th>all stages<\/th><td><\/td><td class="num">3\.75 s<\/td>/);
    assert.match(html, /<dt>backend<\/dt><dd>wasm \(SIMD, 2 threads\)<\/dd>/);
    assert.match(html, /<dt>Node<\/dt><dd>v20\.0\.0<\/dd>/);
  });
});

describe("tilesSvg", () => {
  it("numbers tiles big enough to hold a number; a strip of values keeps only its tooltip", () => {
    const strip = Float32Array.from({ length: 3 * 13 }, (_, i) => i - 20);
    const svg = tilesSvg(
      {
        png: encodePng(tileImage(strip, 3, 1, 13, { scale: 1 })),
        layout: tileLayout(3, 1, 13, { scale: 1 }),
        maxAbs: tileMaxima(strip, 3),
      },
      4,
    );
    assert.equal((svg.match(/<text class="unit"/g) ?? []).length, 0);
    assert.deepEqual(
      [...svg.matchAll(/<title>unit (\d+): white \+([\d.]+)/g)].map((m) => [m[1], m[2]]),
      [
        ["1", "20.0"],
        ["2", "7.00"],
        ["3", "18.0"],
      ],
    );
    // Two tiles a row: 2 × 13 + 3 borders wide, 2 + 3 high, drawn at 4 × its pixels.
    assert.match(svg, /<image href="data:image\/png;base64,[^"]+" x="0" y="0" width="116" height="20"/);
  });
});

describe("confusionTable", () => {
  it("shades each cell by its share of the row, the errors four times as strongly, and titles it", () => {
    const html = confusionTable(
      [
        [8, 2],
        [0, 10],
      ],
      ["a", "b"],
    );
    const cells = [
      ...html.matchAll(/<td class="([^"]*)" title="([^"]*)" style="background:rgba\(([\d,]+),([\d.]+)\)/g),
    ];
    assert.deepEqual(
      cells.map((m) => [m[1], m[3], Number(m[4])]),
      [
        ["num diag", "0,114,178", 0.8],
        ["num", "213,94,0", 0.8],
        ["num", "213,94,0", 0],
        ["num diag", "0,114,178", 1],
      ],
    );
    assert.equal(cells[1]?.[2], "actual a, predicted b: 2 (20.0 % of the row)");
  });
});

describe("shellLine", () => {
  it("quotes the words a shell would split or expand", () => {
    assert.equal(shellLine(["stackae", "--data", "a b", "it's", "x=1,2"]), `stackae --data 'a b' 'it'\\''s' x=1,2`);
  });
});
