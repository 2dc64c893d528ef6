// The backends' vector operations for the optimisers (`backend.vectors`): twoLoop, L-BFGS's whole
// two-loop recursion in one call, against properties that do not come from the code under test
// (the BFGS secant equation, the recursion in float64) and against the optimiser's own recursion;
// adamStep and sgdStep against the minibatch optimisers' own loops, bit for bit, and sumAbs against
// a float64 sum, over arrays in the backend's memory where it offers them (wasm's `zeros` and
// `zeros64`). First, kernelVectorOps, the checks every backend's vectors share: which calls go to
// the kernels and which fall back to JavaScript or are declined.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { FloatArray } from "../../src/linalg/matrix.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { kernelVectorOps, type VectorKernels, type VectorOps } from "../../src/linalg/vectors.ts";
import { lbfgs } from "../../src/optim/lbfgs.ts";
import { adam, sgd } from "../../src/optim/minibatch.ts";
import { allBackends } from "../helpers.ts";
import { logistic } from "../optim/problems.ts";
import { history, maxDiff, recursion64 } from "./two-loop-fixtures.ts";

describe("kernelVectorOps", () => {
  /** Kernels that take only the arrays in `mine`, and log each call they get. */
  const spy = (mine: FloatArray[]) => {
    const calls: string[] = [];
    const log = (name: string) => {
      calls.push(name);
      return -1;
    };
    const kernels: VectorKernels = {
      takes: (v): v is Float32Array => v instanceof Float32Array && mine.includes(v),
      takes64: (v): v is Float64Array => v instanceof Float64Array && mine.includes(v),
      dot: () => log("dot"),
      axpy: () => log("axpy"),
      sumAbs: () => log("sumAbs"),
      twoLoop: () => log("twoLoop"),
      adamStep: () => log("adamStep"),
      sgdStep: () => log("sgdStep"),
    };
    return { ops: kernelVectorOps(kernels), calls };
  };

  it("runs dot, axpy and sumAbs by the kernels on arrays they take, in JavaScript on any other", () => {
    const [x, y] = [Float32Array.from([1, 2, 3]), Float32Array.from([4, 5, 6])];
    const { ops, calls } = spy([x, y]);
    assert.equal(ops.dot(x, y), -1);
    assert.equal(ops.sumAbs?.(x), -1);
    ops.axpy(2, x, y);
    assert.deepEqual(calls, ["dot", "sumAbs", "axpy"]);
    const plain = Float64Array.from([-1, 0.5, 2]);
    assert.equal(ops.dot(x, plain), 1 * -1 + 2 * 0.5 + 3 * 2);
    assert.equal(ops.sumAbs?.(plain), 3.5);
    ops.axpy(2, x, plain);
    assert.deepEqual(Array.from(plain), [1, 4.5, 8]);
    assert.deepEqual(calls, ["dot", "sumAbs", "axpy"], "no kernel call for a plain array");
  });

  it("gives twoLoop, adamStep and sgdStep to the kernels only with every array taken and of one length", () => {
    const f32 = (n: number) => new Float32Array(n);
    const [g, d, s, y, x, v] = [f32(4), f32(4), f32(4), f32(4), f32(4), f32(4)];
    const [m, v64, short] = [new Float64Array(4), new Float64Array(4), f32(3)];
    const { ops, calls } = spy([g, d, s, y, x, v, m, v64, short]);
    const adam = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepPerM: 1, perV: 1 };
    const sgd = { momentum: 0.9, rate: 0.1, nesterov: false };
    assert.equal(ops.twoLoop?.(g, [s], [y], [1], 1, d), true);
    assert.equal(ops.twoLoop?.(g, [s], [short], [1], 1, d), false, "a pair of another length");
    assert.equal(ops.twoLoop?.(g, [s], [new Float32Array(4)], [1], 1, d), false, "a pair not taken");
    assert.equal(ops.twoLoop?.(g, [s], [y], [1, 2], 1, d), false, "one ρ per pair");
    assert.equal(ops.twoLoop?.(g, [s, y], [y], [1, 2], 1, d), false, "as many s as y");
    assert.equal(ops.adamStep?.(x, g, m, v64, adam), true);
    assert.equal(ops.adamStep?.(x, g, m, new Float64Array(4), adam), false, "a moment not taken");
    assert.equal(ops.adamStep?.(x, short, m, v64, adam), false, "a gradient of another length");
    assert.equal(ops.sgdStep?.(x, g, v, sgd), true);
    assert.equal(ops.sgdStep?.(x, g, short, sgd), false, "a velocity of another length");
    assert.deepEqual(calls, ["twoLoop", "adamStep", "sgdStep"]);
  });
});

const backends = await allBackends();
after(async () => {
  for (const { backend } of backends) await backend.dispose();
});
const cases = backends.filter((c) => c.backend.vectors?.twoLoop);

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

const adamCases = backends.filter((c) => c.backend.vectors?.adamStep);

/** Vectors holding given values, made by `vec.zeros` and `zeros64` where it has them; `release` gives those back. */
function arrays(vec: VectorOps) {
  const made: (Float32Array | Float64Array)[] = [];
  const fill = <V extends Float32Array | Float64Array>(v: V | undefined, plain: () => V, values: ArrayLike<number>) => {
    if (v) made.push(v);
    const out = v ?? plain();
    out.set(values);
    return out;
  };
  return {
    f32: (values: ArrayLike<number>) => fill(vec.zeros?.(values.length), () => new Float32Array(values.length), values),
    f64: (values: ArrayLike<number>) =>
      fill(vec.zeros64?.(values.length), () => new Float64Array(values.length), values),
    release: () => {
      for (const v of made.splice(0)) vec.release?.(v);
    },
  };
}

/** `vec` with its adamStep and sgdStep counting the calls they took and declined. */
function counted(vec: VectorOps) {
  const calls = { taken: 0, declined: 0 };
  const count = (done: boolean) => {
    calls[done ? "taken" : "declined"]++;
    return done;
  };
  const spy: VectorOps = {
    ...vec,
    adamStep: (...a) => count(vec.adamStep?.(...a) ?? false),
    sgdStep: (...a) => count(vec.sgdStep?.(...a) ?? false),
  };
  return { spy, calls };
}

for (const { label, backend } of adamCases) {
  const vec = backend.vectors as VectorOps;
  const adamStep = vec.adamStep as NonNullable<VectorOps["adamStep"]>;
  describe(`vectors.adamStep, ${label}`, () => {
    it("gives adam's own results bit for bit, subnormal moments included, over every thread's part", () => {
      const n = 300_001; // past the threaded size, with an odd tail
      const rng = new Rng(8);
      const a = arrays(vec);
      const x = a.f32(Float32Array.from({ length: n }, () => rng.uniform() - 0.5));
      const g = a.f32(Float32Array.from({ length: n }, () => (rng.uniform() - 0.5) * 10 ** (-1 - 40 * rng.uniform())));
      const m = a.f64(Float64Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 4e-320 : 0)));
      const v = a.f64(Float64Array.from({ length: n }, (_, i) => (i % 5 === 0 ? 3e-321 : 0)));
      for (let i = 0; i < n; i += 6) g[i] = 0; // moments that only decay, some of them subnormal
      const [x2, m2, v2] = [x.slice(), m.slice(), v.slice()];
      for (let t = 1; t <= 5; t++) {
        const c = {
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-8,
          stepPerM: 1e-3 / (1 - 0.9 ** t),
          perV: 1 / (1 - 0.999 ** t),
        };
        assert.equal(adamStep(x, g, m, v, c), true);
        for (let i = 0; i < n; i++) {
          const gi = g[i] as number;
          const mi = c.beta1 * (m2[i] as number) + (1 - c.beta1) * gi;
          const vi = c.beta2 * (v2[i] as number) + (1 - c.beta2) * gi * gi;
          m2[i] = mi;
          v2[i] = vi;
          x2[i] = (x2[i] as number) - (c.stepPerM * mi) / (Math.sqrt(vi * c.perV) + c.epsilon);
        }
      }
      assert.ok(m2[0] !== 0 && Math.abs(m2[0] as number) < 2.2e-308, "a subnormal moment stayed subnormal");
      const differ = (a: ArrayLike<number>, b: ArrayLike<number>) => {
        for (let i = 0; i < n; i++) if (!Object.is(a[i], b[i])) return i;
        return -1;
      };
      assert.equal(differ(m, m2), -1, "m");
      assert.equal(differ(v, v2), -1, "v");
      assert.equal(differ(x, x2), -1, "x");
      a.release();
    });

    it("declines float64 parameters and arrays of other lengths, leaving them as they were", () => {
      const c = { beta1: 0.9, beta2: 0.999, epsilon: 1e-8, stepPerM: 1, perV: 1 };
      const a = arrays(vec);
      const x = new Float64Array(4).fill(1);
      assert.equal(adamStep(x, new Float64Array(4).fill(1), a.f64([0, 0, 0, 0]), a.f64([0, 0, 0, 0]), c), false);
      const short = a.f32([1, 1, 1, 1]);
      assert.equal(adamStep(short, a.f32([1, 1, 1]), a.f64([0, 0, 0, 0]), a.f64([0, 0, 0, 0]), c), false);
      assert.deepEqual([...x, ...short], new Array(8).fill(1));
      a.release();
    });

    it("drives adam to the same point as adam's own loop, taking every step", () => {
      const p = logistic(30, 300, 1e-3, 5);
      const options = { epochs: 5, batchSize: 32, learningRate: 0.02, seed: 3 };
      const plain = adam(p.minibatch, new Float32Array(30), options);
      const { spy, calls } = counted(vec);
      const fast = adam(p.minibatch, new Float32Array(30), { ...options, vectors: spy });
      assert.deepEqual(Array.from(fast.x), Array.from(plain.x));
      assert.deepEqual(calls, { taken: fast.iterations, declined: 0 });
    });
  });
}

const sumAbsCases = backends.filter((c) => c.backend.vectors?.sumAbs);

for (const { label, backend } of sumAbsCases) {
  const vec = backend.vectors as VectorOps;
  const sumAbs = vec.sumAbs as NonNullable<VectorOps["sumAbs"]>;
  describe(`vectors.sumAbs, ${label}`, () => {
    it("gives Σ|x| to float64 rounding, in the backend's memory and outside it, beyond float32's range too", () => {
      const rng = new Rng(10);
      const a = arrays(vec);
      for (const n of [0, 3, 1001, 300_001]) {
        const values = Float32Array.from({ length: n }, () => (rng.uniform() - 0.5) * 10 ** (8 * rng.uniform() - 4));
        let exact = 0;
        for (const v of values) exact += Math.abs(v);
        for (const x of [a.f32(values), values]) {
          const got = sumAbs(x);
          assert.ok(Math.abs(got - exact) <= 1e-12 * exact, `n = ${n}: ${got} against ${exact}`);
        }
      }
      // 1,000 values of 3e38: their sum is past float32's largest, and finite.
      assert.ok(Math.abs(sumAbs(a.f32(new Float32Array(1000).fill(-3e38))) / 3e41 - 1) < 1e-6);
      a.release();
    });

    it("is NaN or ∞ where an element is, wherever it falls; float64 arrays too", () => {
      const a = arrays(vec);
      for (const at of [0, 5, 1234, 99_998]) {
        for (const [bad, want] of [
          [Number.NaN, Number.NaN],
          [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY],
        ]) {
          const x = a.f32(new Float32Array(99_999).fill(0.5));
          x[at] = bad as number;
          assert.ok(Object.is(sumAbs(x), want), `${bad} at ${at}: ${sumAbs(x)}`);
        }
      }
      assert.ok(Object.is(sumAbs(Float64Array.from([1, Number.NaN])), Number.NaN));
      assert.equal(sumAbs(Float64Array.from([1, -2.5])), 3.5);
      a.release();
    });
  });
}

const sgdCases = backends.filter((c) => c.backend.vectors?.sgdStep);

for (const { label, backend } of sgdCases) {
  const vec = backend.vectors as VectorOps;
  const sgdStep = vec.sgdStep as NonNullable<VectorOps["sgdStep"]>;
  describe(`vectors.sgdStep, ${label}`, () => {
    for (const nesterov of [false, true]) {
      it(`gives sgd's own results bit for bit${nesterov ? ", Nesterov's form" : ""}, subnormal velocities included`, () => {
        const n = 300_001;
        const rng = new Rng(9);
        const a = arrays(vec);
        const x = a.f32(Float32Array.from({ length: n }, () => rng.uniform() - 0.5));
        const g = a.f32(
          Float32Array.from({ length: n }, () => (rng.uniform() - 0.5) * 10 ** (-1 - 40 * rng.uniform())),
        );
        const v = a.f32(Float32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 3e-42 : 0)));
        for (let i = 0; i < n; i += 6) g[i] = 0;
        const [x2, v2] = [x.slice(), v.slice()];
        const c = { momentum: 0.9, rate: 0.1, nesterov };
        for (let t = 1; t <= 5; t++) {
          assert.equal(sgdStep(x, g, v, c), true);
          for (let i = 0; i < n; i++) {
            const gi = g[i] as number;
            const vi = c.momentum * (v2[i] as number) - c.rate * gi;
            v2[i] = vi;
            x2[i] = (x2[i] as number) + (nesterov ? c.momentum * vi - c.rate * gi : vi);
          }
        }
        assert.ok(v2[0] !== 0 && Math.abs(v2[0] as number) < 1.2e-38, "a subnormal velocity stayed subnormal");
        for (const [name, got, b] of [["v", v, v2] as const, ["x", x, x2] as const]) {
          const at = got.findIndex((e, i) => !Object.is(e, b[i]));
          assert.equal(at, -1, `${name}[${at}]: ${got[at]} against ${b[at]}`);
        }
        a.release();
      });
    }

    it("declines float64 arrays and arrays of other lengths; drives sgd to the same point as its own loop", () => {
      const c = { momentum: 0.9, rate: 0.1, nesterov: false };
      const a = arrays(vec);
      assert.equal(sgdStep(new Float64Array(4), new Float64Array(4).fill(1), new Float64Array(4), c), false);
      const x = a.f32([1, 1, 1, 1]);
      assert.equal(sgdStep(x, a.f32([1, 1, 1, 1]), a.f32([0, 0, 0]), c), false);
      assert.deepEqual(Array.from(x), [1, 1, 1, 1]);
      a.release();
      const p = logistic(30, 300, 1e-3, 5);
      const options = { epochs: 5, batchSize: 32, learningRate: 0.05, seed: 3, nesterov: true };
      const plain = sgd(p.minibatch, new Float32Array(30), options);
      const { spy, calls } = counted(vec);
      const fast = sgd(p.minibatch, new Float32Array(30), { ...options, vectors: spy });
      assert.deepEqual(Array.from(fast.x), Array.from(plain.x));
      assert.deepEqual(calls, { taken: fast.iterations, declined: 0 });
    });
  });
}
