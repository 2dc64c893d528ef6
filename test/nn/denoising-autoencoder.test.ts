// The denoising and tied autoencoder costs (docs/denoising.md) against references written here
// from the formulas in plain loops, float64, and against SPEC §1's cost where they coincide with it;
// their gradients are checked numerically in test/gradcheck.test.ts. Then every backend against
// float64, dense and sparse, and the masking noise's statistics.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { Rng } from "../../src/linalg/rng.ts";
import {
  createDenoisingAutoencoderBatchCost,
  createDenoisingAutoencoderCost,
} from "../../src/nn/denoising-autoencoder.ts";
import { fixedMask, maskingNoise } from "../../src/nn/masking-noise.ts";
import { createSparseAutoencoderCost, sparseAutoencoderLayout } from "../../src/nn/sparse-autoencoder.ts";
import { createTiedAutoencoderCost, tiedAutoencoderLayout } from "../../src/nn/tied-autoencoder.ts";
import { allBackends } from "../helpers.ts";

const m = 7;
const n = 12;
const h = 5;
const options = { hidden: h, lambda: 3e-3, beta: 3, rho: 0.1 };
const rng = new Rng(11);
/** 60 % zeros, as pictures have. */
const x = Array.from({ length: m * n }, () => (rng.uniform() < 0.6 ? 0 : rng.uniform()));
const keep = Array.from({ length: m * n }, () => rng.uniform() >= 0.3);
const sig = (z: number) => 1 / (1 + Math.exp(-z));

/** J of an autoencoder (W1 h × n, W2 n × h) whose encoder sees xt and whose reconstruction is compared with x. */
function referenceJ(W1: number[], W2: number[], b1: number[], b2: number[], xt: number[], beta: number): number {
  let err = 0;
  const rhoHat = new Array<number>(h).fill(0);
  for (let i = 0; i < m; i++) {
    const a2 = b1.map((b, j) =>
      sig(b + xt.slice(i * n, (i + 1) * n).reduce((s, v, k) => s + v * (W1[j * n + k] as number), 0)),
    );
    a2.forEach((a, j) => {
      rhoHat[j] = (rhoHat[j] as number) + a / m;
    });
    for (let k = 0; k < n; k++) {
      const a3 = sig((b2[k] as number) + a2.reduce((s, a, j) => s + a * (W2[k * h + j] as number), 0));
      err += (a3 - (x[i * n + k] as number)) ** 2;
    }
  }
  const decay = [...W1, ...W2].reduce((s, w) => s + w * w, 0);
  const rho = options.rho;
  const kl = rhoHat.reduce((s, r) => s + rho * Math.log(rho / r) + (1 - rho) * Math.log((1 - rho) / (1 - r)), 0);
  return err / (2 * m) + (options.lambda / 2) * decay + beta * kl;
}

const transpose = (W: ArrayLike<number>, rows: number, cols: number) =>
  Array.from({ length: rows * cols }, (_, i) => W[(i % rows) * cols + Math.floor(i / rows)] as number);

describe("the tied and denoising costs, float64, against the formulas", () => {
  const backend = new JsBackend("float64");
  const X = backend.fromValues(m, n, x);
  const untied = sparseAutoencoderLayout(n, h);
  const tied = tiedAutoencoderLayout(n, h);
  const theta = Float64Array.from({ length: untied.length }, () => 0.3 * rng.normal());
  const W1 = Array.from(untied.slice(theta, "W1"));
  const W2 = Array.from(untied.slice(theta, "W2"));
  const b1 = Array.from(untied.slice(theta, "b1"));
  const b2 = Array.from(untied.slice(theta, "b2"));
  const tiedTheta = new Float64Array(tied.length);
  tied.slice(tiedTheta, "W1").set(W1);
  tied.slice(tiedTheta, "b1").set(b1);
  tied.slice(tiedTheta, "b2").set(b2);
  const xt = x.map((v, i) => (keep[i] ? v : 0));

  it("tied: J is SPEC §1's J at W2 = W1ᵀ, and ∇W1 the sum of its ∇W1 and ∇W2ᵀ", () => {
    const spec = createSparseAutoencoderCost(backend, X, options);
    const atTied = Float64Array.from(theta);
    untied.slice(atTied, "W2").set(transpose(W1, h, n));
    const g = new Float64Array(untied.length);
    const J = spec.cost(atTied, g);
    const cost = createTiedAutoencoderCost(backend, X, options);
    const gt = new Float64Array(tied.length);
    assert.ok(Math.abs(cost.cost(tiedTheta, gt) - J) < 1e-12 * J);
    const summed = Array.from(untied.slice(g, "W1")).map(
      (v, i) => v + (transpose(untied.slice(g, "W2"), n, h)[i] as number),
    );
    const got = tied.slice(gt, "W1");
    summed.forEach((v, i) => {
      assert.ok(Math.abs(v - (got[i] as number)) < 1e-12, `∇W1[${i}]`);
    });
    assert.deepEqual(tied.slice(gt, "b1"), untied.slice(g, "b1"));
    assert.deepEqual(tied.slice(gt, "b2"), untied.slice(g, "b2"));
  });

  it("denoising, untied and tied, β = 3 and β = 0: J of the encoder on X̃ against the clean X", () => {
    for (const beta of [3, 0]) {
      const o = { ...options, beta, corruption: fixedMask(keep) };
      const grad = new Float64Array(untied.length);
      const J = createDenoisingAutoencoderCost(backend, X, o).cost(theta, grad);
      const want = referenceJ(W1, W2, b1, b2, xt, beta);
      assert.ok(Math.abs(J - want) < 1e-12 * want, `untied β = ${beta}: ${J} vs ${want}`);
      const Jt = createDenoisingAutoencoderCost(backend, X, { ...o, tiedWeights: true }).cost(
        tiedTheta,
        new Float64Array(tied.length),
      );
      const wantTied = referenceJ(W1, transpose(W1, h, n), b1, b2, xt, beta);
      assert.ok(Math.abs(Jt - wantTied) < 1e-12 * wantTied, `tied β = ${beta}: ${Jt} vs ${wantTied}`);
    }
  });

  it("with nothing masked it is SPEC §1's cost; masking changes it", () => {
    const g1 = new Float64Array(untied.length);
    const g2 = new Float64Array(untied.length);
    const J = createSparseAutoencoderCost(backend, X, options).cost(theta, g1);
    assert.equal(
      createDenoisingAutoencoderCost(backend, X, { ...options, corruption: maskingNoise(0, rng) }).cost(theta, g2),
      J,
    );
    assert.deepEqual(g2, g1);
    const masked = createDenoisingAutoencoderCost(backend, X, { ...options, corruption: fixedMask(keep) });
    assert.notEqual(masked.cost(theta, g2), J);
  });

  it("β = 0 stays finite where a hidden unit saturates (ρ̂ = 1)", () => {
    const big = Float64Array.from(theta);
    untied.slice(big, "b1").fill(800);
    const cost = createDenoisingAutoencoderCost(backend, X, { ...options, beta: 0, corruption: fixedMask(keep) });
    const g = new Float64Array(untied.length);
    assert.ok(Number.isFinite(cost.cost(big, g)));
    assert.ok(g.every(Number.isFinite));
  });
});

for (const { label, backend, tolerance: t64 } of await allBackends()) {
  // The parameters and gradients below are float32 whatever the backend.
  const tolerance = Math.max(t64, 1e-7);
  describe(`the tied and denoising costs, ${label}`, () => {
    const reference = new JsBackend("float64");
    const theta = Float32Array.from({ length: sparseAutoencoderLayout(n, h).length }, () => 0.3 * rng.normal());
    const cases = [
      { name: "denoising", tiedWeights: false },
      { name: "tied denoising", tiedWeights: true },
    ];
    for (const { name, tiedWeights } of cases) {
      it(`${name}: J and ∇J as in float64, dense and with sparse products; the batch cost as the full one`, () => {
        const layout = tiedWeights ? tiedAutoencoderLayout(n, h) : sparseAutoencoderLayout(n, h);
        const t = theta.subarray(0, layout.length);
        const o = { ...options, tiedWeights, corruption: fixedMask(keep) };
        const g0 = new Float64Array(layout.length);
        const J0 = createDenoisingAutoencoderCost(reference, reference.fromValues(m, n, x), o).cost(
          Float64Array.from(t),
          g0,
        );
        const X = backend.fromValues(m, n, x);
        for (const sparseInput of ["auto", "never"] as const) {
          const g = new Float32Array(layout.length);
          const J = createDenoisingAutoencoderCost(backend, X, { ...o, sparseInput }).cost(t, g);
          assert.ok(Math.abs(J - J0) < 10 * tolerance * J0, `${sparseInput}: J ${J} vs ${J0}`);
          const norm = Math.hypot(...g0);
          const diff = Math.hypot(...Array.from(g, (v, i) => v - (g0[i] as number)));
          assert.ok(diff < 100 * tolerance * norm, `${sparseInput}: ‖∇J − ∇J₆₄‖ ${diff} vs ‖∇J₆₄‖ ${norm}`);
        }
        const batch = createDenoisingAutoencoderBatchCost(backend as never, n, o);
        const gb = new Float32Array(layout.length);
        const Jb = batch.cost(t, gb, X as never);
        assert.ok(Math.abs(Jb - J0) < 10 * tolerance * J0);
        batch.dispose();
        backend.free(X);
      });
    }
  });
}

describe("masking noise", () => {
  const values = Float64Array.from({ length: 20000 }, (_, i) => (i % 5 === 0 ? 0 : 0.5));
  it("masks about P of the non-zero values, leaves zeros and draws nothing for them", () => {
    for (const p of [0.1, 0.5]) {
      const a = new Rng(3);
      const out = new Float64Array(values.length);
      maskingNoise(p, a).corrupt(values, out);
      const nonZero = values.filter((v) => v !== 0).length;
      const masked = values.filter((v, i) => v !== 0 && out[i] === 0).length;
      // Binomial: 16000 draws, standard deviation below 0.4 %.
      assert.ok(Math.abs(masked / nonZero - p) < 0.02, `${p}: ${masked / nonZero}`);
      assert.ok(out.every((v, i) => v === 0 || v === values[i]));
      const b = new Rng(3);
      for (let i = 0; i < nonZero; i++) b.nextUint32();
      assert.deepEqual(a.state, b.state, "one draw per non-zero value");
    }
  });
  it("draws the same masks from the same seed, other masks at the next draw", () => {
    const draw = (r: Rng) => {
      const out = new Float64Array(values.length);
      maskingNoise(0.3, r).corrupt(values, out);
      return out;
    };
    const r = new Rng(9);
    const first = draw(r);
    assert.deepEqual(draw(new Rng(9)), first);
    assert.notDeepEqual(draw(r), first);
  });
  it("rejects a level outside [0, 1) and a mask of the wrong size", () => {
    assert.throws(() => maskingNoise(1, new Rng(1)), /corruption/);
    assert.throws(() => maskingNoise(-0.1, new Rng(1)), /corruption/);
    assert.throws(() => fixedMask([1, 0]).corrupt(new Float64Array(3), new Float64Array(3)), /mask of 2/);
  });
});
