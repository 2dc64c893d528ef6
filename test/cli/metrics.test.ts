import assert from "node:assert/strict";
import { it } from "node:test";
import { formatMetrics, metricsJson } from "../../src/cli/metrics.ts";
import { confusionMatrix } from "../../src/nn/model.ts";

// scikit-learn's documented example: classification_report([0, 1, 2, 2, 2], [0, 0, 2, 2, 1],
// target_names=["class 0", "class 1", "class 2"]) prints this, character for character.
const confusion = confusionMatrix([0, 0, 2, 2, 1], [0, 1, 2, 2, 2], 3);
const name = (c: number) => `class ${c}`;

it("formatMetrics prints the report as scikit-learn's classification_report does", () => {
  assert.equal(
    formatMetrics(confusion, name, 2),
    `              precision    recall  f1-score   support

     class 0       0.50      1.00      0.67         1
     class 1       0.00      0.00      0.00         1
     class 2       1.00      0.67      0.80         3

    accuracy                           0.60         5
   macro avg       0.50      0.56      0.49         5
weighted avg       0.70      0.60      0.61         5
`,
  );
  // A long class name widens the first column; four places by default.
  const wide = formatMetrics(confusion, (c) => (c === 1 ? "a long class name" : String(c)));
  assert.match(wide, /^ {17} {2}precision/);
  assert.match(wide, /\n {16}2 {5}1\.0000 {4}0\.6667 {4}0\.8000 {9}3\n/);
});

it("metricsJson names each class, its index first", () => {
  const json = metricsJson(confusion, name);
  assert.deepEqual(json.perClass[2], { class: 2, name: "class 2", precision: 1, recall: 2 / 3, f1: 0.8, support: 3 });
  assert.equal(metricsJson(confusion).perClass[1]?.name, "1");
  assert.deepEqual(Object.keys(json), ["perClass", "macroAverage", "weightedAverage"]);
});
