// The float32 paths give the cost and gradient of the float64 path to float32 precision.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend } from "../../src/linalg/backend.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import type { Objective } from "../../src/nn/objective.ts";
import { createSoftmaxCost, initSoftmax } from "../../src/nn/softmax.ts";
import { createSparseAutoencoderCost, initSparseAutoencoder } from "../../src/nn/sparse-autoencoder.ts";
import { createStackCost } from "../../src/nn/stack.ts";
import { assertClose, relativeMaxError } from "../helpers.ts";

const reference = new JsBackend("float64");
const float32: Backend[] = [new JsBackend("float32"), await createWasmBackend()];

/** Random problem data shared by both precisions. */
const rng = new Rng(3);
const m = 150;
const n = 70;
const x = Array.from({ length: m * n }, () => rng.uniform());
const labels = Array.from({ length: m }, () => rng.int(10));

type Make = (b: Backend) => Objective;
const cases: [string, Make, (o: Objective, t: Float64Array) => void][] = [
  [
    "sparse autoencoder 70 → 33",
    (b) => createSparseAutoencoderCost(b, b.fromValues(m, n, x), { hidden: 33, lambda: 3e-3, beta: 3, rho: 0.1 }),
    (o, t) => initSparseAutoencoder(o.layout, t, new Rng(1)),
  ],
  [
    "softmax 70 features, 10 classes",
    (b) => createSoftmaxCost(b, b.fromValues(m, n, x), labels, { classes: 10, lambda: 1e-4 }),
    (_, t) => initSoftmax(t, new Rng(1)),
  ],
  [
    "stack 70 → 40 → 20 → softmax(10)",
    (b) => createStackCost(b, b.fromValues(m, n, x), labels, { sizes: [70, 40, 20], classes: 10, lambda: 1e-4 }),
    (_, t) => {
      const r = new Rng(1);
      for (let i = 0; i < t.length; i++) t[i] = r.uniformIn(-0.3, 0.3);
    },
  ],
];

for (const backend of float32) {
  describe(`${backend.name} float32 agrees with float64`, () => {
    for (const [name, make, init] of cases) {
      it(name, () => {
        const exact = make(reference);
        const theta = new Float64Array(exact.layout.length);
        init(exact, theta);
        const g64 = new Float64Array(theta.length);
        const J64 = exact.cost(theta, g64);
        const approx = make(backend);
        const g32 = new Float32Array(theta.length);
        const J32 = approx.cost(Float32Array.from(theta), g32);
        assertClose(J32, J64, 1e-5, "J");
        const err = relativeMaxError(g32, g64);
        assert.ok(err < 1e-5, `gradient: max error relative to max |∇J| is ${err}`);
        exact.dispose();
        approx.dispose();
      });
    }
  });
}
