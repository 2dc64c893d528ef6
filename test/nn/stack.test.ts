// The fine-tuning cost scales its deltas by 2^64 during backpropagation (DELTA_SCALE): its
// gradient must be the one that unscaled backpropagation gives, bit for bit where that is a
// normal float, on every backend, and it must stay finite where only the scaled deltas overflow.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Backend } from "../../src/linalg/backend.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import type { Matrix } from "../../src/linalg/matrix.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { sparseCopy } from "../../src/linalg/sparse.ts";
import { encoderBackward, encoderForward } from "../../src/nn/encoder.ts";
import { fixedDropout, fixedMask, hiddenDropout, inputDropout } from "../../src/nn/masking-noise.ts";
import { softmaxBackward, softmaxForward } from "../../src/nn/softmax.ts";
import { createStackCost, stackLayout } from "../../src/nn/stack.ts";
import { allBackends } from "../helpers.ts";

const sizes: [number, number, number] = [30, 12, 8];
const classes = 4;
const m = 40;
const lambda = 1e-4;
const rng = new Rng(11);
const labels = Array.from({ length: m }, () => rng.int(classes));
/** Dense data, and data with 80 % zeros, which the first encoder multiplies as a sparse matrix. */
const dense = Array.from({ length: m * sizes[0] }, () => rng.uniform());
const sparse = dense.map((v) => (rng.uniform() < 0.8 ? 0 : v));

/** ∇J of the stack by backpropagation without any scaling, from the cost's own building blocks. */
function unscaledGradient(backend: Backend, x: number[], theta: Float32Array): Float32Array {
  const layout = stackLayout(sizes, classes);
  const X = backend.fromValues(m, sizes[0], x);
  const Xs = sparseCopy(backend.sparse, X, "auto");
  const params = backend.fromValues(1, layout.length, theta);
  const grad = backend.zeros(1, layout.length);
  const p = layout.views(params);
  const g = layout.views(grad);
  const acts: Matrix[] = [X];
  const deltas: Matrix[] = [X];
  for (let l = 1; l < sizes.length; l++) {
    acts.push(backend.zeros(m, sizes[l] as number));
    deltas.push(backend.zeros(m, sizes[l] as number));
    encoderForward(
      backend,
      acts[l - 1] as Matrix,
      p[`W${l}`] as Matrix,
      p[`b${l}`] as Matrix,
      acts[l] as Matrix,
      l === 1 ? Xs : null,
    );
  }
  const L = sizes.length - 1;
  const P = backend.zeros(m, classes);
  const y = Int32Array.from(labels);
  softmaxForward(backend, acts[L] as Matrix, p.theta as Matrix, y, P);
  softmaxBackward(backend, acts[L] as Matrix, p.theta as Matrix, y, P, lambda, g.theta as Matrix, deltas[L]);
  backend.sigmoidGradMul(acts[L] as Matrix, deltas[L] as Matrix, deltas[L] as Matrix);
  for (let l = L; l >= 1; l--) {
    encoderBackward(
      backend,
      acts[l - 1] as Matrix,
      deltas[l] as Matrix,
      p[`W${l}`] as Matrix,
      g[`W${l}`] as Matrix,
      g[`b${l}`] as Matrix,
      l > 1 ? (deltas[l - 1] as Matrix) : undefined,
      l === 1 ? Xs : null,
    );
  }
  const out = Float32Array.from(grad.data);
  for (const a of [...acts, ...deltas.slice(1), P, params, grad]) backend.free(a);
  if (Xs) backend.sparse?.free(Xs);
  return out;
}

/** ∇J from createStackCost. */
function costGradient(backend: Backend, x: number[], theta: Float32Array): Float32Array {
  const X = backend.fromValues(m, sizes[0], x);
  const cost = createStackCost(backend, X, labels, { sizes, classes, lambda });
  const grad = new Float32Array(theta.length);
  cost.cost(theta, grad);
  cost.dispose();
  backend.free(X);
  return grad;
}

/** Every weight uniform in [−r, r], θ (the last `classes · hL` values) in [−t, t]. */
function parameters(r: number, t: number): Float32Array {
  const layout = stackLayout(sizes, classes);
  const draw = new Rng(5);
  const out = Float32Array.from({ length: layout.length }, () => draw.uniformIn(-r, r));
  const theta = layout.slice(out, "theta");
  for (let i = 0; i < theta.length; i++) theta[i] = draw.uniformIn(-t, t);
  return out;
}

/** Asserts that `scaled` has the bits of `plain` wherever plain is a normal float (or zero). */
function assertSameNormals(scaled: Float32Array, plain: Float32Array): void {
  let compared = 0;
  for (let i = 0; i < plain.length; i++) {
    const v = plain[i] as number;
    if (v !== 0 && Math.abs(v) < 2 ** -126) continue;
    compared++;
    if (!Object.is(scaled[i], v)) assert.fail(`gradient[${i}] is ${scaled[i]}, unscaled backpropagation gives ${v}`);
  }
  assert.ok(compared > plain.length / 2, `only ${compared} of ${plain.length} entries were normal floats`);
}

for (const { label, backend } of await allBackends()) {
  describe(`stack cost with scaled deltas, ${label}`, () => {
    const cases: [string, number[], number, number][] = [
      ["dense data, small weights", dense, 0.3, 0.3],
      ["sparse data, small weights", sparse, 0.3, 0.3],
      ["dense data, saturating weights", dense, 12, 3],
      ["sparse data, saturating weights", sparse, 12, 3],
    ];
    for (const [name, x, r, t] of cases) {
      it(`${name}: the gradient of unscaled backpropagation`, () => {
        const theta = parameters(r, t);
        assertSameNormals(costGradient(backend, x, theta), unscaledGradient(backend, x, theta));
      });
    }

    it("θ of 1e25: deltas that overflow once scaled by 2^64 are made again unscaled", () => {
      const theta = parameters(0.3, 1e25);
      const plain = unscaledGradient(backend, dense, theta);
      assert.ok(plain.every(Number.isFinite), "the unscaled gradient should be finite");
      assertSameNormals(costGradient(backend, dense, theta), plain);
    });
  });
}

describe("fine-tuning's regularisers", () => {
  const backend = new JsBackend("float64");
  const layout = stackLayout(sizes, classes);
  const theta = Float64Array.from({ length: layout.length }, () => rng.uniformIn(-0.5, 0.5));
  const at = (options: Partial<Parameters<typeof createStackCost>[3]>, x: number[] = dense) => {
    const cost = createStackCost(backend, backend.fromValues(m, sizes[0], x), labels, {
      sizes,
      classes,
      lambda,
      ...options,
    });
    const grad = new Float64Array(layout.length);
    const J = cost.cost(theta, grad);
    cost.dispose();
    return { J, grad };
  };

  it("weight decay wd adds (wd/2)·Σ‖Wl‖² to J and wd·Wl to each ∇Wl, and nothing to the biases and θ", () => {
    const wd = 0.03;
    const plain = at({});
    const decayed = at({ weightDecay: wd });
    let squares = 0;
    const expected = Float64Array.from(plain.grad);
    for (const name of ["W1", "W2"]) {
      const W = layout.slice(theta, name);
      const gW = layout.slice(expected, name);
      for (let i = 0; i < W.length; i++) {
        squares += (W[i] as number) ** 2;
        gW[i] = (gW[i] as number) + wd * (W[i] as number);
      }
    }
    assert.ok(Math.abs(decayed.J - (plain.J + (wd / 2) * squares)) < 1e-12, `${decayed.J}`);
    decayed.grad.forEach((g, i) => {
      assert.ok(Math.abs(g - (expected[i] as number)) < 1e-14, `∇[${i}]`);
    });
    assert.deepEqual(at({ weightDecay: 0 }), plain, "0: the cost without it");
  });

  it("a fixed dropout mask of the inputs gives the cost of the masked inputs scaled by 1/(1 − p)", () => {
    const keep = dense.map(() => rng.uniform() >= 0.25);
    const masked = dense.map((v, i) => (keep[i] ? v / 0.75 : 0));
    const dropped = at({ corruption: fixedMask(keep, 1 / 0.75) });
    const expected = at({}, masked);
    // The masked copy's products may take the sparse path where X's took the dense one: the last bits differ.
    assert.ok(Math.abs(dropped.J - expected.J) < 1e-14);
    dropped.grad.forEach((g, i) => {
      assert.ok(Math.abs(g - (expected.grad[i] as number)) < 1e-15, `∇[${i}]`);
    });
    assert.ok(Math.abs(at({}).J - expected.J) > 1e-3, "and not the cost of the clean inputs");
  });

  it("dropout of the hidden units: masks of ones give the cost without dropout, bit for bit; masks change it", () => {
    const ones = fixedDropout(sizes.slice(1).map((h) => new Array(m * h).fill(1)));
    assert.deepEqual(at({ dropout: ones }), at({}));
    const half = fixedDropout(sizes.slice(1).map((h) => Array.from({ length: m * h }, (_, i) => (i % 2) * 2)));
    assert.ok(Math.abs(at({ dropout: half }).J - at({}).J) > 1e-3);
  });

  it("hiddenDropout draws 0 with probability p, else 1/(1 − p), from its generator", () => {
    const draw = (seed: number) => {
      const out = new Float32Array(20000);
      hiddenDropout(0.3, new Rng(seed)).draw(1, out);
      return out;
    };
    const out = draw(2);
    const zeros = out.filter((v) => v === 0).length;
    assert.equal(out.filter((v) => v !== 0 && v !== Math.fround(1 / 0.7)).length, 0);
    // 20,000 draws with p = 0.3: 6,000 ± 65 (one standard deviation).
    assert.ok(Math.abs(zeros - 6000) < 400, `${zeros}`);
    assert.deepEqual(draw(2), out);
    assert.throws(() => hiddenDropout(-0.1, new Rng(1)), /dropout must be/);
  });

  it("inputDropout drops about p of the non-zero values, scales the rest by 1/(1 − p), and repeats per seed", () => {
    const x = Float64Array.from({ length: 20000 }, (_, i) => (i % 5 === 0 ? 0 : 0.5));
    const draw = (seed: number) => {
      const out = new Float64Array(x.length);
      inputDropout(0.2, new Rng(seed)).corrupt(x, out);
      return out;
    };
    const out = draw(5);
    let dropped = 0;
    out.forEach((v, i) => {
      if (x[i] === 0) assert.equal(v, 0);
      else if (v === 0) dropped++;
      else assert.equal(v, 0.5 / 0.8);
    });
    // 16,000 non-zero values, each dropped with p = 0.2: 3,200 ± 51 (one standard deviation).
    assert.ok(Math.abs(dropped - 3200) < 250, `${dropped}`);
    assert.deepEqual(draw(5), out);
    assert.notDeepEqual(draw(6), out);
    assert.throws(() => inputDropout(1, new Rng(1)), /inputDropout must be/);
  });
});
