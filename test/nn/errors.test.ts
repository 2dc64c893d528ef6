// Bad input: every case throws a typed error that names the argument, expected and found.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError, ShapeError, type StackaeError } from "../../src/errors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { ParamLayout } from "../../src/nn/layout.ts";
import { createSoftmaxCost } from "../../src/nn/softmax.ts";
import { createSparseAutoencoderCost } from "../../src/nn/sparse-autoencoder.ts";
import { createStackCost, stackLayout } from "../../src/nn/stack.ts";

const backend = new JsBackend("float64");
const X = backend.fromValues(4, 3, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.1, 0.2, 0.3]);
const ae = { hidden: 2, lambda: 3e-3, beta: 3, rho: 0.1 };

function throwsTyped(fn: () => unknown, type: typeof StackaeError, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof type, `expected ${type.name}, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("bad hyperparameters", () => {
  it("rho outside (0, 1)", () => {
    for (const rho of [0, 1, -0.1, 1.5, Number.NaN]) {
      throwsTyped(
        () => createSparseAutoencoderCost(backend, X, { ...ae, rho }),
        ArgumentError,
        /^rho must be a finite number in \(0, 1\), got/,
      );
    }
  });
  it("negative or non-finite lambda and beta", () => {
    throwsTyped(
      () => createSparseAutoencoderCost(backend, X, { ...ae, lambda: -1 }),
      ArgumentError,
      /lambda must be .* \[0, ∞\), got -1/,
    );
    throwsTyped(
      () => createSparseAutoencoderCost(backend, X, { ...ae, beta: Number.POSITIVE_INFINITY }),
      ArgumentError,
      /beta .* got Infinity/,
    );
    throwsTyped(
      () => createSoftmaxCost(backend, X, [0, 1, 0, 1], { classes: 2, lambda: Number.NaN }),
      ArgumentError,
      /lambda .* got NaN/,
    );
  });
  it("hidden units and classes must be positive integers", () => {
    throwsTyped(
      () => createSparseAutoencoderCost(backend, X, { ...ae, hidden: 2.5 }),
      ArgumentError,
      /hidden must be an integer .* got 2.5/,
    );
    throwsTyped(
      () => createSoftmaxCost(backend, X, [0, 0, 0, 0], { classes: 1, lambda: 0 }),
      ArgumentError,
      /classes must be an integer in \[2/,
    );
    throwsTyped(() => stackLayout([3, 0], 2), ArgumentError, /sizes\[1\] must be an integer .* got 0/);
  });
});

describe("bad shapes and labels", () => {
  it("labels out of range or of the wrong count", () => {
    throwsTyped(
      () => createSoftmaxCost(backend, X, [0, 1, 2, 1], { classes: 2, lambda: 0 }),
      ArgumentError,
      /labels\[2\] must be an integer class in \[0, 1\], got 2/,
    );
    throwsTyped(
      () => createSoftmaxCost(backend, X, [0, 1, 0.5, 1], { classes: 2, lambda: 0 }),
      ArgumentError,
      /labels\[2\].*got 0.5/,
    );
    throwsTyped(
      () => createSoftmaxCost(backend, X, [0, 1], { classes: 2, lambda: 0 }),
      ShapeError,
      /one entry per example \(4\), got 2/,
    );
  });
  it("data with the wrong number of columns for the stack", () => {
    throwsTyped(
      () => createStackCost(backend, X, [0, 1, 0, 1], { sizes: [5, 2], classes: 2, lambda: 0 }),
      ShapeError,
      /X must have 5 columns.*got 3/,
    );
  });
  it("a parameter vector of the wrong length names the layout", () => {
    const cost = createSparseAutoencoderCost(backend, X, ae);
    throwsTyped(
      () => cost.cost(new Float64Array(5), new Float64Array(cost.layout.length)),
      ShapeError,
      /theta must have 17 elements for the layout \[W1 2×3, W2 3×2, b1 1×2, b2 1×3\], got 5/,
    );
    throwsTyped(() => cost.cost(new Float64Array(17), new Float64Array(16)), ShapeError, /grad must have 17 elements/);
  });
});

describe("ParamLayout", () => {
  const layout = new ParamLayout([
    { name: "W", rows: 2, cols: 3 },
    { name: "b", rows: 1, cols: 2 },
  ]);
  it("computes offsets once and hands out views by name", () => {
    const theta = backend.fromValues(1, 8, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert.equal(layout.length, 8);
    assert.deepEqual(Array.from(layout.view(theta, "b").data), [7, 8]);
    assert.equal(layout.view(theta, "W").get(1, 2), 6);
    layout.view(theta, "b").data[0] = 70;
    assert.equal(theta.data[6], 70, "views write through");
    assert.deepEqual(Array.from(layout.slice(new Float64Array(8).fill(1), "W")), [1, 1, 1, 1, 1, 1]);
  });
  it("rejects duplicate names, bad dimensions and unknown names", () => {
    throwsTyped(
      () =>
        new ParamLayout([
          { name: "a", rows: 1, cols: 1 },
          { name: "a", rows: 1, cols: 1 },
        ]),
      ArgumentError,
      /used twice/,
    );
    throwsTyped(
      () => new ParamLayout([{ name: "a", rows: 0, cols: 1 }]),
      ShapeError,
      /positive integer dimensions, got 0 × 1/,
    );
    throwsTyped(() => layout.spec("theta"), ArgumentError, /no tensor "theta" in this layout \(it has W, b\)/);
  });
});
