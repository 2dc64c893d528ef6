// The autoencoder's decoder in blocks of rows (issue 31, "less memory"): the blocked cost is SPEC
// §1's, checked against SPEC §10's golden values, a numerical gradient, and the decoder held whole
// on every backend.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { checkGradient, GRADIENT_CHECK_TOLERANCE } from "../../src/gradcheck.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { createDenoisingAutoencoderCost } from "../../src/nn/denoising-autoencoder.ts";
import { fixedMask } from "../../src/nn/masking-noise.ts";
import { createSparseAutoencoderCost, initSparseAutoencoder } from "../../src/nn/sparse-autoencoder.ts";
import { allBackends, assertClose, norm2, relativeMaxError } from "../helpers.ts";

const OPTIONS = { hidden: 4, lambda: 3e-3, beta: 3, rho: 0.1 };
const m = 5;
const n = 6;
// SPEC §10's data and parameters (as test/nn/golden.test.ts).
const X = Array.from({ length: m * n }, (_, k) => ((7 * Math.floor(k / n) + 3 * (k % n)) % 11) / 10);
const fill = (rows: number, cols: number, f: (a: number, b: number) => number) =>
  Array.from({ length: rows * cols }, (_, k) => f(Math.floor(k / cols), k % cols));
const PARTS: Record<string, number[]> = {
  W1: fill(4, 6, (a, b) => 0.1 * Math.sin(6 * a + b + 1)),
  b1: fill(1, 4, (_, b) => 0.05 * Math.cos(b + 1)),
  W2: fill(6, 4, (a, b) => 0.1 * Math.cos(4 * a + b + 1)),
  b2: fill(1, 6, (_, b) => 0.05 * Math.sin(b + 1)),
};

describe("the decoder in blocks of rows", () => {
  it("gives SPEC §10's golden J and ‖∇J‖ in blocks of 1, 2 and 3 of the 5 rows (js float64)", () => {
    const backend = new JsBackend("float64");
    for (const decoderRows of [1, 2, 3]) {
      const ae = createSparseAutoencoderCost(backend, backend.fromValues(m, n, X), { ...OPTIONS, decoderRows });
      const theta = new Float64Array(ae.layout.length);
      for (const [name, values] of Object.entries(PARTS)) ae.layout.slice(theta, name).set(values);
      const grad = new Float64Array(theta.length);
      const J = ae.cost(theta, grad);
      ae.dispose();
      assertClose(J, 4.726327803984001, 1e-12, `J, blocks of ${decoderRows}`);
      assertClose(norm2(grad), 3.811734756446208, 1e-12, `‖∇J‖, blocks of ${decoderRows}`);
    }
  });

  it("passes the gradient check in blocks of 3 of 20 rows, sparse and denoising (js float64)", () => {
    const backend = new JsBackend("float64");
    const rng = new Rng(3);
    const data = backend.fromValues(
      20,
      8,
      Array.from({ length: 160 }, () => rng.uniform()),
    );
    const costs = [
      createSparseAutoencoderCost(backend, data, { ...OPTIONS, decoderRows: 3 }),
      // A fixed mask, so that the numerical gradient sees one function.
      createDenoisingAutoencoderCost(backend, data, {
        ...OPTIONS,
        corruption: fixedMask(Array.from({ length: 160 }, () => rng.uniform() < 0.8)),
        decoderRows: 3,
      }),
    ];
    for (const cost of costs) {
      const theta = new Float64Array(cost.layout.length);
      initSparseAutoencoder(cost.layout, theta, new Rng(5));
      const { relativeDifference } = checkGradient(cost, theta);
      cost.dispose();
      assert.ok(relativeDifference < GRADIENT_CHECK_TOLERANCE, `relative difference ${relativeDifference}`);
    }
  });

  it("refuses a block size that is not a positive integer", () => {
    const backend = new JsBackend("float64");
    for (const decoderRows of [0, 2.5, -1, Number.NaN]) {
      assert.throws(
        () => createSparseAutoencoderCost(backend, backend.fromValues(m, n, X), { ...OPTIONS, decoderRows }),
        ArgumentError,
      );
    }
  });
});

for (const { label, backend, tolerance } of await allBackends()) {
  it(`in blocks of 1,024 rows, the cost of the decoder held whole within rounding, 2,500 × 784 → 50 (${label})`, () => {
    const rng = new Rng(11);
    const [rows, visible] = [2500, 784];
    const pixels = Array.from({ length: rows * visible }, () => (rng.uniform() < 0.8 ? 0 : rng.uniform()));
    const results = [1024, Number.POSITIVE_INFINITY].map((decoderRows) => {
      const ae = createSparseAutoencoderCost(backend, backend.fromValues(rows, visible, pixels), {
        ...OPTIONS,
        hidden: 50,
        decoderRows,
      });
      const theta = new Float64Array(ae.layout.length);
      initSparseAutoencoder(ae.layout, theta, new Rng(2));
      const grad = new Float64Array(theta.length);
      const J = ae.cost(theta, grad);
      ae.dispose();
      return { J, grad };
    });
    const [blocked, whole] = results as [{ J: number; grad: Float64Array }, { J: number; grad: Float64Array }];
    assertClose(blocked.J, whole.J, tolerance, "J");
    assert.ok(
      relativeMaxError(blocked.grad, whole.grad) < 100 * tolerance,
      `∇J: ${relativeMaxError(blocked.grad, whole.grad)}`,
    );
  });
}
