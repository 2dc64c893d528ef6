// A batch cost evaluated on a batch is the full-batch cost on the same rows, bit for bit, on
// every backend. Batches take sparse products only where the backend says a copy per batch pays
// (SparseOps.perBatch); the full-batch cost is then made with the same choice.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import type { Backend } from "../../src/linalg/backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import type { BatchObjective, Objective } from "../../src/nn/objective.ts";
import { createSoftmaxBatchCost, createSoftmaxCost } from "../../src/nn/softmax.ts";
import { createSparseAutoencoderBatchCost, createSparseAutoencoderCost } from "../../src/nn/sparse-autoencoder.ts";
import { createStackBatchCost, createStackCost } from "../../src/nn/stack.ts";
import { allBackends } from "../helpers.ts";

const n = 20;
const classes = 3;
const rng = new Rng(5);
/** Two batch sizes, as an epoch's full batches and its smaller last one; 80 % zeros, so that sparse products are taken. */
const batches = [12, 7].map((m) => ({
  x: Array.from({ length: m * n }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform())),
  y: Int32Array.from({ length: m }, () => rng.int(classes)),
}));

/** Asserts that the batch cost, given each batch in turn (twice over), has the full-batch cost's J and ∇J on it. */
function compare(
  backend: Backend,
  full: (X: ReturnType<Backend["fromValues"]>, y: Int32Array) => Objective,
  batch: BatchObjective<Float32Array | Float64Array>,
): void {
  const theta = Float32Array.from({ length: batch.layout.length }, () => 0.1 * rng.normal());
  for (let round = 0; round < 2; round++) {
    for (const { x, y } of batches) {
      const X = backend.fromValues(y.length, n, x);
      const cost = full(X, y);
      const g1 = new Float32Array(theta.length);
      const g2 = new Float32Array(theta.length);
      assert.equal(batch.cost(theta, g2, X, y), cost.cost(theta, g1));
      assert.deepEqual(g2, g1);
      cost.dispose();
      backend.free(X);
    }
  }
  batch.dispose();
}

for (const { label, backend } of await allBackends()) {
  describe(`batch costs, ${label}`, () => {
    const b = backend as Backend<Float32Array | Float64Array>;
    const sparseInput = backend.sparse?.perBatch ? "auto" : "never";
    it("the sparse autoencoder", () => {
      const ae = { hidden: 6, lambda: 3e-3, beta: 3, rho: 0.1 };
      compare(
        backend,
        (X) => createSparseAutoencoderCost(backend, X, { ...ae, sparseInput }),
        createSparseAutoencoderBatchCost(b, n, ae),
      );
    });
    it("the softmax", () => {
      const sm = { classes, lambda: 1e-4 };
      compare(backend, (X, y) => createSoftmaxCost(backend, X, y, sm), createSoftmaxBatchCost(b, n, sm));
    });
    it("the stack", () => {
      const st = { sizes: [n, 8, 5], classes, lambda: 1e-4 };
      compare(backend, (X, y) => createStackCost(backend, X, y, { ...st, sparseInput }), createStackBatchCost(b, st));
    });
    it("a cost used after dispose() throws ArgumentError, full-batch and batch alike", () => {
      const { x, y } = batches[0] as { x: number[]; y: Int32Array };
      const X = backend.fromValues(y.length, n, x);
      const full = createSoftmaxCost(backend, X, y, { classes, lambda: 1e-4 });
      const batch = createSoftmaxBatchCost(b, n, { classes, lambda: 1e-4 });
      const theta = new Float32Array(full.layout.length);
      const grad = new Float32Array(full.layout.length);
      full.dispose();
      batch.dispose();
      full.dispose(); // a second dispose() does nothing
      const disposed = (e: unknown) =>
        e instanceof ArgumentError && /cost: this cost has been disposed \(dispose\(\)\)/.test(e.message);
      assert.throws(() => full.cost(theta, grad), disposed);
      assert.throws(() => batch.cost(theta, grad, X, y), disposed);
      backend.free(X);
    });
  });
}
