import assert from "node:assert/strict";
import { it } from "node:test";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { hiddenFeatures, modelLayout, predict, predictProbabilities } from "../../src/nn/model.ts";

it("predictProbabilities equals a direct float64 computation, rows sum to 1, and its arg-max is predict's", () => {
  const sizes = [6, 4, 3];
  const classes = 5;
  const rng = new Rng(11);
  const params = Float32Array.from({ length: modelLayout({ sizes, classes }).length }, () => rng.normal());
  const model = { sizes, classes, params };
  const inputs = Float32Array.from({ length: 7 * 6 }, () => rng.uniform());
  const P = predictProbabilities(new JsBackend("float64"), model, inputs);
  // Direct: a = σ(W a + b) per layer, then softmax(θ a), reading the flat vector W1, b1, W2, b2, θ.
  for (let i = 0; i < 7; i++) {
    let a = Array.from(inputs.subarray(i * 6, (i + 1) * 6));
    let at = 0;
    for (let l = 1; l < sizes.length; l++) {
      const [n, h] = [sizes[l - 1] as number, sizes[l] as number];
      const W = params.subarray(at, at + h * n);
      const b = params.subarray(at + h * n, at + h * n + h);
      at += h * n + h;
      a = Array.from({ length: h }, (_, j) => {
        let z = b[j] as number;
        for (let k = 0; k < n; k++) z += (W[j * n + k] as number) * (a[k] as number);
        return 1 / (1 + Math.exp(-z));
      });
    }
    const z = Array.from({ length: classes }, (_, c) =>
      a.reduce((s, v, k) => s + (params[at + c * a.length + k] as number) * v, 0),
    );
    const e = z.map((v) => Math.exp(v));
    const total = e.reduce((s, v) => s + v, 0);
    for (let c = 0; c < classes; c++) {
      assert.ok(Math.abs((P[i * classes + c] as number) - (e[c] as number) / total) < 1e-12);
    }
  }
  const predicted = predict(new JsBackend("float32"), model, inputs);
  for (let i = 0; i < 7; i++) {
    const row = Array.from(P.subarray(i * classes, (i + 1) * classes));
    assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-12);
    assert.equal(row.indexOf(Math.max(...row)), predicted[i]);
  }
});

it("predict and predictProbabilities give the same in blocks of any size as in one", () => {
  const sizes = [6, 4];
  const classes = 3;
  const rng = new Rng(12);
  const params = Float32Array.from({ length: modelLayout({ sizes, classes }).length }, () => rng.normal());
  const model = { sizes, classes, params };
  const inputs = Float32Array.from({ length: 11 * 6 }, () => rng.uniform());
  const backend = new JsBackend("float64");
  const whole = predictProbabilities(backend, model, inputs, 11);
  const predicted = predict(backend, model, inputs, 11);
  // 3 does not divide 11: the last block is short.
  for (const block of [1, 3, 10]) {
    assert.deepEqual(predictProbabilities(backend, model, inputs, block), whole, `blocks of ${block}`);
    assert.deepEqual(predict(backend, model, inputs, block), predicted, `blocks of ${block}`);
  }
});

it("predict refuses NaN or infinite inputs before any work, naming the example and place", () => {
  const inputs = new Float32Array(12).fill(0.5);
  inputs[7] = Number.POSITIVE_INFINITY;
  const model = {
    sizes: [4, 2],
    classes: 2,
    params: new Float32Array(modelLayout({ sizes: [4, 2], classes: 2 }).length),
  };
  assert.throws(() => predict(new JsBackend("float32"), model, inputs), {
    name: "DataError",
    message: /Infinity at example 1, value 3/,
  });
});

it("hiddenFeatures gives each hidden layer's activations, as a direct float64 computation, in blocks of any size", () => {
  const sizes = [6, 5, 3];
  const classes = 4;
  const rng = new Rng(13);
  const params = Float32Array.from({ length: modelLayout({ sizes, classes }).length }, () => rng.normal());
  const model = { sizes, classes, params };
  const m = 9;
  const inputs = Float32Array.from({ length: m * 6 }, () => rng.uniform());
  const backend = new JsBackend("float64");
  // Direct: a = σ(W a + b) per layer, reading W1, b1, W2, b2 from the flat vector.
  const direct: number[][][] = [[], []];
  for (let i = 0; i < m; i++) {
    let a = Array.from(inputs.subarray(i * 6, (i + 1) * 6));
    let at = 0;
    for (let l = 1; l < sizes.length; l++) {
      const [n, h] = [sizes[l - 1] as number, sizes[l] as number];
      a = Array.from({ length: h }, (_, j) => {
        let z = params[at + h * n + j] as number;
        for (let k = 0; k < n; k++) z += (params[at + j * n + k] as number) * (a[k] as number);
        return 1 / (1 + Math.exp(-z));
      });
      at += h * n + h;
      direct[l - 1]?.push(a);
    }
  }
  for (const layer of [1, 2]) {
    const F = hiddenFeatures(backend, model, inputs, layer);
    const h = sizes[layer] as number;
    assert.equal(F.length, m * h);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < h; j++) {
        const want = Math.fround(direct[layer - 1]?.[i]?.[j] as number);
        assert.ok(Math.abs((F[i * h + j] as number) - want) < 1e-6, `layer ${layer} [${i}, ${j}]`);
      }
    }
    assert.deepEqual(hiddenFeatures(backend, model, inputs, layer, 4), F, `layer ${layer} in blocks of 4`);
  }
  // The top layer by default; only hidden layers.
  assert.deepEqual(hiddenFeatures(backend, model, inputs), hiddenFeatures(backend, model, inputs, 2));
  for (const layer of [0, 3, 1.5])
    assert.throws(() => hiddenFeatures(backend, model, inputs, layer), /layer must be .* \[1, 2\], got/);
});
