import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  checkGradient,
  GRADIENT_CHECK_TOLERANCE,
  numericalGradient,
  relativeDifference,
  standardGradientChecks,
} from "../src/gradcheck.ts";
import { JsBackend } from "../src/linalg/js-backend.ts";
import { createSoftmaxCost } from "../src/nn/softmax.ts";

describe("numericalGradient", () => {
  it("checks the checker on J = x₁² + 3x₁x₂ (UFLDL's checkNumericalGradient)", () => {
    const x = new Float64Array([4, 10]);
    const g = numericalGradient((v) => (v[0] as number) ** 2 + 3 * (v[0] as number) * (v[1] as number), x);
    // ∇J = (2x₁ + 3x₂, 3x₁) = (38, 12)
    assert.ok(relativeDifference(g, [38, 12]) < 1e-9);
    assert.deepEqual(Array.from(x), [4, 10], "x is restored");
  });

  it("relativeDifference is ‖a − b‖/‖a + b‖", () => {
    assert.equal(relativeDifference([1, 0], [1, 0]), 0);
    assert.ok(Math.abs(relativeDifference([1, 0], [0, 1]) - 1) < 1e-15);
    assert.throws(() => relativeDifference([1], [1, 2]), /lengths/);
  });

  it("notices a wrong gradient", () => {
    const backend = new JsBackend("float64");
    // Pixel-scale features: with features of order 10 the central difference's own truncation
    // error (ε² times the third derivative) reaches 1e-9.
    const F = backend.fromValues(3, 2, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]);
    const objective = createSoftmaxCost(backend, F, [0, 1, 0], { classes: 2, lambda: 0 });
    const broken = {
      layout: objective.layout,
      cost(theta: Float64Array | Float32Array, grad: Float64Array | Float32Array) {
        const J = objective.cost(theta, grad);
        grad[0] = (grad[0] as number) * 1.01;
        return J;
      },
      dispose() {},
    };
    const theta = new Float64Array([0.1, -0.2, 0.3, 0.05]);
    assert.ok(checkGradient(objective, theta).relativeDifference < GRADIENT_CHECK_TOLERANCE);
    assert.ok(checkGradient(broken, theta).relativeDifference > 1e-4);
  });
});

describe("gradient checks of every cost (SPEC §5)", () => {
  const results = standardGradientChecks();
  it("covers the autoencoder, the softmax, the stack, the autoencoder's tied and denoising variants and fine-tuning's regularisers", () => {
    assert.equal(results.length, 10);
    for (const word of [
      "tied autoencoder",
      "denoising autoencoder",
      "β = 0",
      "tied denoising",
      "weight decay 0.01",
      "input dropout",
      "hidden units",
    ]) {
      assert.ok(
        results.some((r) => r.name.includes(word)),
        word,
      );
    }
  });
  for (const r of results) {
    it(`${r.name}: relative difference < 1e-9`, () => {
      assert.ok(r.relativeDifference < GRADIENT_CHECK_TOLERANCE, `${r.relativeDifference}`);
    });
  }
});
