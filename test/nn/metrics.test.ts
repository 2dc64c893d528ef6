import assert from "node:assert/strict";
import { it } from "node:test";
import { Rng } from "../../src/linalg/rng.ts";
import { classificationReport } from "../../src/nn/metrics.ts";
import { confusionMatrix } from "../../src/nn/model.ts";

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-12, `${what}: ${a} vs ${b}`);

it("classificationReport gives scikit-learn's numbers for the example of its documentation", () => {
  // sklearn.metrics.classification_report(y_true=[0, 1, 2, 2, 2], y_pred=[0, 0, 2, 2, 1]), from its
  // documentation: class 0 0.50 1.00 0.67 1; class 1 0.00 0.00 0.00 1; class 2 1.00 0.67 0.80 3;
  // accuracy 0.60; macro avg 0.50 0.56 0.49; weighted avg 0.70 0.60 0.61. Exactly, by hand:
  const r = classificationReport(confusionMatrix([0, 0, 2, 2, 1], [0, 1, 2, 2, 2], 3));
  const expected = [
    [1 / 2, 1, 2 / 3, 1],
    [0, 0, 0, 1], // no true positive: precision 0/1, recall 0/1, F1 0
    [1, 2 / 3, 4 / 5, 3],
  ];
  for (const [c, [p, rc, f, s]] of expected.entries()) {
    const got = r.perClass[c];
    assert.ok(got);
    close(got.precision, p as number, `precision ${c}`);
    close(got.recall, rc as number, `recall ${c}`);
    close(got.f1, f as number, `f1 ${c}`);
    assert.equal(got.support, s);
  }
  close(r.accuracy, 3 / 5, "accuracy");
  close(r.macroAverage.precision, 1 / 2, "macro precision");
  close(r.macroAverage.recall, 5 / 9, "macro recall");
  close(r.macroAverage.f1, (2 / 3 + 4 / 5) / 3, "macro f1");
  close(r.weightedAverage.precision, (1 / 2 + 3) / 5, "weighted precision");
  close(r.weightedAverage.recall, 3 / 5, "weighted recall");
  close(r.weightedAverage.f1, (2 / 3 + 12 / 5) / 5, "weighted f1");
  assert.equal(r.macroAverage.support, 5);
  assert.equal(r.weightedAverage.support, 5);
});

it("classificationReport equals counting each class's hits and misses example by example, absent classes 0", () => {
  const rng = new Rng(5);
  const k = 6;
  // Class 5 is never true and never predicted; class 4 is predicted but never true.
  const labels = Array.from({ length: 300 }, () => Math.floor(rng.uniform() * 4));
  const predictions = labels.map((y) => (rng.uniform() < 0.6 ? y : Math.floor(rng.uniform() * 5)));
  const r = classificationReport(confusionMatrix(predictions, labels, k));
  let macroF1 = 0;
  let weightedRecall = 0;
  for (let c = 0; c < k; c++) {
    let tp = 0;
    let fp = 0;
    let fn = 0;
    for (const [i, y] of labels.entries()) {
      const p = predictions[i];
      if (p === c && y === c) tp++;
      else if (p === c) fp++;
      else if (y === c) fn++;
    }
    const precision = tp + fp === 0 ? 0 : tp / (tp + fp);
    const recall = tp + fn === 0 ? 0 : tp / (tp + fn);
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    const s = r.perClass[c];
    assert.ok(s);
    close(s.precision, precision, `precision ${c}`);
    close(s.recall, recall, `recall ${c}`);
    close(s.f1, f1, `f1 ${c}`);
    assert.equal(s.support, tp + fn);
    macroF1 += f1 / k;
    weightedRecall += (recall * (tp + fn)) / labels.length;
  }
  assert.equal(r.perClass[5]?.support, 0);
  assert.equal(r.perClass[4]?.precision, 0);
  close(r.macroAverage.f1, macroF1, "macro f1");
  // The support-weighted recall is the accuracy.
  close(r.weightedAverage.recall, weightedRecall, "weighted recall");
  close(r.weightedAverage.recall, r.accuracy, "weighted recall = accuracy");
});

it("classificationReport of no examples is all zeros, and refuses a matrix that is not square", () => {
  const r = classificationReport([
    [0, 0],
    [0, 0],
  ]);
  assert.deepEqual(r.macroAverage, { precision: 0, recall: 0, f1: 0, support: 0 });
  assert.equal(r.accuracy, 0);
  assert.throws(() => classificationReport([[1, 2], [3]]), /square \(2 × 2\), row 1 has 1 entries/);
});
