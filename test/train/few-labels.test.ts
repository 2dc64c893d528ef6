// The few-labels experiment on a small slice of MNIST: its table's shape and statistics, its
// subsets and validation parts, its repeatability, and its checks.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { readMnist } from "../../src/data/files.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import {
  type FewLabelsRun,
  fewLabelsEpochs,
  fewLabelsExperiment,
  MIN_VALIDATION_PER_CLASS,
} from "../../src/train/few-labels.ts";

const { train, test } = readMnist();
const backend = await createWasmBackend({ threads: 2 });
const pool = train.head(800);
const input = {
  train: { inputs: pool.pixels, labels: pool.labels },
  test: { inputs: test.head(300).pixels, labels: test.head(300).labels },
  inputSize: 784,
  classes: 10,
};
const settings = {
  layers: [12],
  seed: 3,
  autoencoder: { optimizer: "adam" as const, iterations: 2 },
  softmax: { iterations: 30 },
  fineTune: { optimizer: "adam" as const },
};

describe("fewLabelsExperiment", () => {
  const runs: FewLabelsRun[] = [];
  const table = fewLabelsExperiment(backend, input, {
    labels: [40, 300],
    seeds: 2,
    settings,
    onRun: (r) => void runs.push(r),
  });

  it("has a row for each N with every method's accuracies over the seeds, their mean and sample deviation", () => {
    assert.deepEqual(
      table.rows.map((r) => r.labels),
      [40, 300],
    );
    assert.deepEqual(table.seeds, [3, 4]);
    assert.equal(runs.length, 4);
    for (const row of table.rows) {
      for (const m of ["pretrained", "backprop", "softmax"] as const) {
        const { accuracies, mean, std } = row.methods[m];
        const mine = runs.filter((r) => r.labels === row.labels).map((r) => r.results[m].accuracy);
        assert.deepEqual(accuracies, mine);
        const [a, b] = mine as [number, number];
        assert.ok(Math.abs(mean - (a + b) / 2) < 1e-12);
        // Two values: the sample standard deviation is |a − b| / √2.
        assert.ok(Math.abs(std - Math.abs(a - b) / Math.SQRT2) < 1e-12);
        assert.ok(mean > 0.1, `${m} at ${row.labels}: ${mean}, better than chance`);
      }
    }
    assert.equal(table.pretraining.examples, 800, "pretrained on the whole pool");
    assert.equal(table.testExamples, 300);
  });

  it("holds out a validation part only where it has 5 examples a class, and says so", () => {
    const [small, large] = table.rows as [(typeof table.rows)[0], (typeof table.rows)[0]];
    assert.equal(small.validation, 0);
    assert.match(small.note, /no early stopping: 8 held-out examples would be under 5 a class/);
    assert.equal(large.validation, 60);
    assert.ok(60 >= MIN_VALIDATION_PER_CLASS * 10);
    assert.match(large.note, /early stopping on 60 of the 300/);
  });

  it("is repeatable: the same settings give the same accuracies", () => {
    const again = fewLabelsExperiment(backend, input, { labels: [40], seeds: 1, settings });
    assert.deepEqual(again.rows[0]?.methods.pretrained.accuracies, [table.rows[0]?.methods.pretrained.accuracies[0]]);
    assert.deepEqual(again.rows[0]?.methods.backprop.accuracies, [table.rows[0]?.methods.backprop.accuracies[0]]);
  });

  it("pretrains on the unlabelled examples where they are given", () => {
    const t = fewLabelsExperiment(
      backend,
      { ...input, unlabeled: train.head(1500).pixels.subarray(800 * 784) },
      { labels: [20], seeds: 1, settings },
    );
    assert.equal(t.pretraining.examples, 700);
  });

  it("refuses a number of labels beyond the pool or below the classes", () => {
    assert.throws(
      () => fewLabelsExperiment(backend, input, { labels: [801], settings }),
      /labels: \d+ labelled examples cannot be drawn/,
    );
    assert.throws(
      () => fewLabelsExperiment(backend, input, { labels: [5], settings }),
      /labels: \d+ labelled examples cannot be drawn/,
    );
    assert.throws(() => fewLabelsExperiment(backend, input, { labels: [], settings }), /at least one/);
  });
});

it("fewLabelsEpochs: about 1,000 steps, at least 10 epochs", () => {
  assert.equal(fewLabelsEpochs(100, 256), 1000);
  assert.equal(fewLabelsEpochs(1000, 256), 250);
  assert.equal(fewLabelsEpochs(10000, 256), 25);
  assert.equal(fewLabelsEpochs(60000, 256), 10);
});
