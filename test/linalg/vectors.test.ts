// The backends' vector operations for L-BFGS (`backend.vectors`): twoLoop, the whole two-loop
// recursion in one call, against properties that do not come from the code under test (the BFGS
// secant equation, the recursion in float64) and against the optimiser's own recursion.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { FloatArray } from "../../src/linalg/matrix.ts";
import { lbfgs } from "../../src/optim/lbfgs.ts";
import type { VectorOps } from "../../src/optim/types.ts";
import { allBackends } from "../helpers.ts";
import { logistic } from "../optim/problems.ts";

const cases = (await allBackends()).filter((c) => c.backend.vectors?.twoLoop);
after(async () => {
  for (const { backend } of cases) await backend.dispose();
});

/** k pairs of n values with y = A·s for a diagonal A in [1, 3] (so yᵀs > 0), their ρ, and a gradient. */
function history(vec: VectorOps, n: number, k: number, seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const vector = (values: ArrayLike<number>): Float32Array => {
    const v = vec.zeros ? vec.zeros(n) : new Float32Array(n);
    v.set(values);
    return v;
  };
  const a = Float64Array.from({ length: n }, () => 2 + 2 * next());
  const S = Array.from({ length: k }, () => vector(Float32Array.from({ length: n }, next)));
  const Y = S.map((s) => vector(Float32Array.from(s, (v, i) => (a[i] as number) * v)));
  const rho = S.map((s, j) => {
    let ys = 0;
    for (let i = 0; i < n; i++) ys += (s[i] as number) * ((Y[j] as Float32Array)[i] as number);
    return 1 / ys;
  });
  const g = vector(Float32Array.from({ length: n }, next));
  const d = vector([]);
  const release = () => {
    for (const v of [...S, ...Y, g, d]) vec.release?.(v);
  };
  return { S, Y, rho, g, d, release };
}

/** The two-loop recursion in float64 (Nocedal & Wright, Algorithm 7.4). */
function recursion64(g: FloatArray, S: FloatArray[], Y: FloatArray[], rho: number[], hDiag: number): Float64Array {
  const n = g.length;
  const q = Float64Array.from(g, (v) => -v);
  const dot = (x: FloatArray) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (x[i] as number) * (q[i] as number);
    return sum;
  };
  const alpha: number[] = [];
  for (let j = S.length - 1; j >= 0; j--) {
    const a = (rho[j] as number) * dot(S[j] as FloatArray);
    alpha[j] = a;
    const y = Y[j] as FloatArray;
    for (let i = 0; i < n; i++) q[i] = (q[i] as number) - a * (y[i] as number);
  }
  for (let i = 0; i < n; i++) q[i] = hDiag * (q[i] as number);
  for (let j = 0; j < S.length; j++) {
    const c = (alpha[j] as number) - (rho[j] as number) * dot(Y[j] as FloatArray);
    const s = S[j] as FloatArray;
    for (let i = 0; i < n; i++) q[i] = (q[i] as number) + c * (s[i] as number);
  }
  return q;
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { error: number; size: number } {
  let error = 0;
  let size = 0;
  for (let i = 0; i < b.length; i++) {
    error = Math.max(error, Math.abs((a[i] as number) - (b[i] as number)));
    size = Math.max(size, Math.abs(b[i] as number));
  }
  return { error, size };
}

for (const { label, backend } of cases) {
  const vec = backend.vectors as VectorOps;
  const twoLoop = vec.twoLoop as NonNullable<VectorOps["twoLoop"]>;
  describe(`vectors.twoLoop, ${label}`, () => {
    // 100,003 values are split across two threads; 37 are not; neither is a multiple of 4 or 256.
    for (const n of [37, 100_003]) {
      it(`gives d = −H·g for n = ${n}: the secant equation H·y = s for the newest pair, and the float64 recursion`, () => {
        for (const k of [1, 2, 7]) {
          const { S, Y, rho, g, d, release } = history(vec, n, k, k + n);
          const hDiag = 0.37;
          // BFGS updates keep H·y = s for the newest pair whatever the older ones: with g = y, d = −s.
          assert.equal(twoLoop(Y[k - 1] as Float32Array, S, Y, rho, hDiag, d), true);
          const newest = Float32Array.from(S[k - 1] as Float32Array, (v) => -v);
          const secant = maxDiff(d, newest);
          assert.ok(secant.error < 1e-4, `k = ${k}: |d + s| up to ${secant.error}`);
          twoLoop(g, S, Y, rho, hDiag, d);
          const { error, size } = maxDiff(d, recursion64(g, S, Y, rho, hDiag));
          assert.ok(error <= 1e-5 * size, `k = ${k}: max error ${error} against max |d| ${size}`);
          release();
        }
      });
    }

    it("with no pairs gives d = −hDiag · g, and declines arrays it cannot take", () => {
      const { g, d, release } = history(vec, 1000, 0, 3);
      assert.equal(twoLoop(g, [], [], [], 2, d), true);
      assert.deepEqual(
        Array.from(d),
        Array.from(g, (v) => -2 * v),
      );
      assert.equal(twoLoop(new Float64Array(4), [], [], [], 1, new Float64Array(4)), false);
      const short = new Float32Array(999);
      assert.equal(twoLoop(g, [short], [d], [1], 1, d), false);
      assert.deepEqual(
        Array.from(d),
        Array.from(g, (v) => -2 * v),
        "d is left as it was",
      );
      release();
    });

    it("drives L-BFGS along the JavaScript run to float32 rounding, once per iteration", () => {
      const p = logistic(30, 300, 1e-3, 5);
      let calls = 0;
      const counted: VectorOps = {
        ...vec,
        twoLoop: (...args) => {
          calls++;
          return twoLoop(...args);
        },
      };
      const plain = lbfgs(p.full, new Float32Array(30), { maxIter: 25 });
      const fast = lbfgs(p.full, new Float32Array(30), { maxIter: 25, vectors: counted });
      assert.equal(calls, fast.iterations);
      assert.equal(fast.iterations, plain.iterations);
      assert.ok(Math.abs(fast.cost - plain.cost) <= 1e-5 * Math.abs(plain.cost), `${fast.cost} vs ${plain.cost}`);
    });
  });
}
