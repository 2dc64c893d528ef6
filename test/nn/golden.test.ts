// SPEC §10: golden values computed independently in float64.
import { describe, it } from "node:test";
import type { Backend } from "../../src/linalg/backend.ts";
import { createSoftmaxCost } from "../../src/nn/softmax.ts";
import { createSparseAutoencoderCost } from "../../src/nn/sparse-autoencoder.ts";
import { createStackCost } from "../../src/nn/stack.ts";
import { allBackends, assertClose, norm2 } from "../helpers.ts";

const m = 5;
const n = 6;
const X = Array.from({ length: m * n }, (_, k) => ((7 * Math.floor(k / n) + 3 * (k % n)) % 11) / 10);
const labels = Array.from({ length: m }, (_, i) => i % 3);
const fill = (rows: number, cols: number, f: (a: number, b: number) => number) =>
  Array.from({ length: rows * cols }, (_, k) => f(Math.floor(k / cols), k % cols));

function evaluate(backend: Backend, objective: ReturnType<typeof createSoftmaxCost>, parts: Record<string, number[]>) {
  const theta = new Float64Array(objective.layout.length);
  for (const [name, values] of Object.entries(parts)) objective.layout.slice(theta, name).set(values);
  const grad = new Float64Array(theta.length);
  const J = objective.cost(theta, grad);
  objective.dispose();
  void backend;
  return { J, grad };
}

for (const { label, backend, tolerance } of await allBackends()) {
  describe(`SPEC §10 golden values (${label})`, () => {
    const data = () => backend.fromValues(m, n, X);

    it("sparse autoencoder 6 → 4 → 6", () => {
      const ae = createSparseAutoencoderCost(backend, data(), { hidden: 4, lambda: 3e-3, beta: 3, rho: 0.1 });
      const { J, grad } = evaluate(backend, ae, {
        W1: fill(4, 6, (a, b) => 0.1 * Math.sin(6 * a + b + 1)),
        b1: fill(1, 4, (_, b) => 0.05 * Math.cos(b + 1)),
        W2: fill(6, 4, (a, b) => 0.1 * Math.cos(4 * a + b + 1)),
        b2: fill(1, 6, (_, b) => 0.05 * Math.sin(b + 1)),
      });
      assertClose(J, 4.726327803984001, tolerance, "J");
      assertClose(norm2(grad), 3.811734756446208, tolerance, "‖∇J‖");
      assertClose(grad[0] as number, 0.6379886936405345, tolerance, "∂J/∂W1[0][0]");
    });

    it("softmax on 6 features, 3 classes", () => {
      const sm = createSoftmaxCost(backend, data(), labels, { classes: 3, lambda: 1e-4 });
      const { J, grad } = evaluate(backend, sm, { theta: fill(3, 6, (a, b) => 0.1 * Math.sin(6 * a + b + 1)) });
      assertClose(J, 1.104167958813689, tolerance, "J");
      assertClose(norm2(grad), 0.4264383120488614, tolerance, "‖∇J‖");
      assertClose(grad[0] as number, -0.02655251603458879, tolerance, "∂J/∂θ[0][0]");
    });

    it("fine-tuning of the stack 6 → 4 → 3 → softmax(3)", () => {
      const st = createStackCost(backend, data(), labels, { sizes: [6, 4, 3], classes: 3, lambda: 1e-4 });
      const { J, grad } = evaluate(backend, st, {
        W1: fill(4, 6, (a, b) => 0.1 * Math.sin(6 * a + b + 1)),
        b1: fill(1, 4, (_, b) => 0.05 * Math.cos(b + 1)),
        W2: fill(3, 4, (a, b) => 0.1 * Math.cos(4 * a + b + 1)),
        b2: fill(1, 3, (_, b) => 0.05 * Math.sin(b + 1)),
        theta: fill(3, 3, (a, b) => 0.1 * Math.sin(3 * a + b + 2)),
      });
      assertClose(J, 1.105951848993281, tolerance, "J");
      assertClose(norm2(grad), 0.155819831559971, tolerance, "‖∇J‖");
      assertClose(grad[0] as number, 1.35561568071774e-4, tolerance, "∂J/∂W(encoder 1)[0][0]");
    });
  });
}
