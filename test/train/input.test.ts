import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { checkTrainInput } from "../../src/train/input.ts";
import { trainStackedAutoencoder } from "../../src/train/pipeline.ts";

const backend = new JsBackend("float32");

describe("the pipeline's input", () => {
  it("refuses no examples, an empty unlabelled set and an input size that is not a positive integer", () => {
    const none = { inputs: new Float32Array(0), labels: new Uint8Array(0), inputSize: 784 };
    assert.throws(() => trainStackedAutoencoder(backend, none), {
      name: "ArgumentError",
      message: /there are no training examples/,
    });
    const one = { inputs: new Float32Array(4), labels: Uint8Array.of(0), inputSize: 4 };
    assert.throws(() => trainStackedAutoencoder(backend, { ...one, unlabeled: new Float32Array(0) }), {
      message: /unlabeled holds no examples/,
    });
    assert.throws(() => trainStackedAutoencoder(backend, { ...one, inputSize: 0 }), { message: /inputSize/ });
  });

  it("refuses NaN or infinite inputs before any work", () => {
    const inputs = new Float32Array(12).fill(0.5);
    inputs[7] = Number.POSITIVE_INFINITY;
    assert.throws(() => trainStackedAutoencoder(backend, { inputs, labels: [0, 1, 0], inputSize: 4 }), {
      name: "DataError",
      message: /Infinity at example 1/,
    });
    const unlabeled = Float32Array.of(0, 0, Number.NaN, 0);
    assert.throws(
      () =>
        trainStackedAutoencoder(backend, { inputs: new Float32Array(12), labels: [0, 1, 0], inputSize: 4, unlabeled }),
      { name: "DataError", message: /^unlabeled inputs hold NaN at example 0, value 2/ },
    );
  });

  it("checks the labels once, up front: classes from the largest label, or as given", () => {
    const inputs = new Float32Array(12);
    const checked = checkTrainInput({ inputs, labels: [2, 0, 1], inputSize: 4 });
    assert.deepEqual([checked.m, checked.n, checked.classes], [3, 4, 3]);
    assert.ok(checked.labels instanceof Int32Array);
    assert.deepEqual(Array.from(checked.labels), [2, 0, 1]);
    assert.throws(() => trainStackedAutoencoder(backend, { inputs, labels: [0, 1.5, 1], inputSize: 4 }), {
      name: "ArgumentError",
      message: /labels\[1\] must be an integer class .*got 1.5/,
    });
    assert.throws(() => trainStackedAutoencoder(backend, { inputs, labels: [0, 3, 1], inputSize: 4, classes: 2 }), {
      message: /labels\[1\] must be an integer class in \[0, 1\], got 3/,
    });
  });
});
