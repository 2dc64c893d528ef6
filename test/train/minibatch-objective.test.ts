import assert from "node:assert/strict";
import { it } from "node:test";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import type { Matrix } from "../../src/linalg/matrix.ts";
import { ParamLayout } from "../../src/nn/layout.ts";
import type { BatchObjective } from "../../src/nn/objective.ts";
import { minibatchObjective } from "../../src/train/minibatch-objective.ts";

it("hands the cost the listed rows and their labels as its batch, one matrix per batch size", () => {
  const backend = new JsBackend("float32");
  const X = backend.fromValues(4, 2, [0, 1, 10, 11, 20, 21, 30, 31]);
  const seen: { rows: number[]; labels: number[]; X: Matrix<Float32Array> }[] = [];
  const cost: BatchObjective<Float32Array> = {
    layout: new ParamLayout([{ name: "w", rows: 1, cols: 1 }]),
    cost(_theta, _grad, Xb, yb) {
      seen.push({ rows: Array.from(Xb.data), labels: Array.from(yb ?? []), X: Xb });
      return seen.length;
    },
    dispose() {},
  };
  const batches = minibatchObjective(backend, X, Int32Array.of(5, 6, 7, 8), cost);
  const theta = new Float32Array(1);
  const grad = new Float32Array(1);
  assert.equal(batches.examples, 4);
  assert.equal(batches.cost(theta, grad, Int32Array.of(2, 0)), 1);
  assert.equal(batches.cost(theta, grad, Int32Array.of(3)), 2);
  assert.equal(batches.cost(theta, grad, Int32Array.of(1, 3)), 3);
  assert.deepEqual(
    seen.map((s) => [s.rows, s.labels]),
    [
      [
        [20, 21, 0, 1],
        [7, 5],
      ],
      [[30, 31], [8]],
      [
        [10, 11, 30, 31],
        [6, 8],
      ],
    ],
  );
  assert.equal(seen[0]?.X, seen[2]?.X, "a batch size's matrix is reused");
  batches.dispose();
});
