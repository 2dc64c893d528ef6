import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import type { FloatArray } from "../../src/linalg/matrix.ts";
import { adam, adamAsync, sgd, sgdAsync } from "../../src/optim/minibatch.ts";
import type { VectorOps } from "../../src/optim/types.ts";
import { distance, gradNorm, leastSquares, logistic, rosenbrock } from "./problems.ts";

const rosen = { examples: 1, cost: (x: FloatArray, g: FloatArray) => rosenbrock(x, g) };

describe("sgd with momentum on functions with known minima", () => {
  it("a 100-dimensional quadratic with condition number 100 reaches x*", () => {
    const q = leastSquares(100, 400, 100, 1);
    const r = sgd(q.minibatch, new Float64Array(100), { epochs: 200, batchSize: 40, learningRate: 0.001 });
    assert.ok(distance(r.x, q.xStar) < 1e-6, `‖x − x*‖ = ${distance(r.x, q.xStar)}`);
    assert.equal(r.status, "epochsDone");
    assert.equal(r.iterations, 200 * 10);
  });
  it("Rosenbrock from (−1.2, 1) reaches (1, 1)", () => {
    const r = sgd(rosen, new Float64Array([-1.2, 1]), { epochs: 20000, batchSize: 1, learningRate: 1e-3 });
    assert.ok(distance(r.x, [1, 1]) < 1e-4, `x = ${Array.from(r.x)}`);
  });
  it("logistic regression: the full gradient vanishes", () => {
    const p = logistic(10, 300, 1e-2, 2);
    const r = sgd(p.minibatch, new Float64Array(10), {
      epochs: 200,
      batchSize: 30,
      learningRate: 0.5,
      schedule: "cosine",
    });
    assert.ok(gradNorm(p.full, r.x) < 2e-3, `‖∇J‖ = ${gradNorm(p.full, r.x)}`);
  });
  it("Nesterov momentum converges too", () => {
    const q = leastSquares(20, 100, 10, 3);
    const r = sgd(q.minibatch, new Float64Array(20), {
      epochs: 100,
      batchSize: 10,
      learningRate: 0.005,
      nesterov: true,
    });
    assert.ok(distance(r.x, q.xStar) < 1e-6, `‖x − x*‖ = ${distance(r.x, q.xStar)}`);
  });
});

describe("adam on functions with known minima", () => {
  it("a 100-dimensional quadratic with condition number 100 reaches x*", () => {
    const q = leastSquares(100, 400, 100, 1);
    const r = adam(q.minibatch, new Float64Array(100), {
      epochs: 200,
      batchSize: 40,
      learningRate: 0.03,
      schedule: "cosine",
    });
    assert.ok(distance(r.x, q.xStar) < 1e-3, `‖x − x*‖ = ${distance(r.x, q.xStar)}`);
  });
  it("Rosenbrock from (−1.2, 1) reaches (1, 1)", () => {
    const r = adam(rosen, new Float64Array([-1.2, 1]), {
      epochs: 20000,
      batchSize: 1,
      learningRate: 0.01,
      schedule: "cosine",
    });
    assert.ok(distance(r.x, [1, 1]) < 1e-4, `x = ${Array.from(r.x)}`);
  });
  it("logistic regression: the full gradient vanishes", () => {
    const p = logistic(10, 300, 1e-2, 2);
    const r = adam(p.minibatch, new Float64Array(10), {
      epochs: 200,
      batchSize: 30,
      learningRate: 0.05,
      schedule: "cosine",
    });
    assert.ok(gradNorm(p.full, r.x) < 2e-3, `‖∇J‖ = ${gradNorm(p.full, r.x)}`);
  });
});

describe("adam's vectors.adamStep", () => {
  it("takes every step where it accepts the arrays, with the coefficients of the loop it replaces", () => {
    const p = logistic(10, 300, 1e-2, 2);
    const options = { epochs: 3, batchSize: 30, learningRate: 0.05, seed: 4 };
    const plain = adam(p.minibatch, new Float32Array(10), options);
    // A step that does the arithmetic of its documentation, in float64, element by element.
    const seen: number[] = [];
    const vectors: VectorOps = {
      dot: () => 0,
      axpy: () => {},
      adamStep: (x, g, m, v, c) => {
        seen.push(c.stepPerM);
        for (let i = 0; i < x.length; i++) {
          const gi = g[i] as number;
          m[i] = c.beta1 * (m[i] as number) + (1 - c.beta1) * gi;
          v[i] = c.beta2 * (v[i] as number) + (1 - c.beta2) * gi * gi;
          x[i] =
            (x[i] as number) - (c.stepPerM * (m[i] as number)) / (Math.sqrt((v[i] as number) * c.perV) + c.epsilon);
        }
        return true;
      },
    };
    const stepped = adam(p.minibatch, new Float32Array(10), { ...options, vectors });
    assert.equal(seen.length, plain.iterations);
    assert.equal(seen[0], 0.05 / (1 - 0.9), "η / (1 − β1) at the first step");
    assert.deepEqual(Array.from(stepped.x), Array.from(plain.x));
    // One that declines leaves the loop to adam itself.
    const declined = adam(p.minibatch, new Float32Array(10), {
      ...options,
      vectors: { ...vectors, adamStep: () => false },
    });
    assert.deepEqual(Array.from(declined.x), Array.from(plain.x));
  });
});

describe("sgd's vectors.sgdStep", () => {
  it("takes every step where it accepts the arrays, and leaves the loop to sgd where it declines", () => {
    const p = logistic(10, 300, 1e-2, 2);
    const options = { epochs: 3, batchSize: 30, learningRate: 0.05, seed: 4, schedule: "linear" as const };
    const plain = sgd(p.minibatch, new Float32Array(10), options);
    const rates: number[] = [];
    const vectors: VectorOps = {
      dot: () => 0,
      axpy: () => {},
      sgdStep: (x, g, v, c) => {
        rates.push(c.rate);
        for (let i = 0; i < x.length; i++) {
          const vi = c.momentum * (v[i] as number) - c.rate * (g[i] as number);
          v[i] = vi;
          x[i] = (x[i] as number) + vi;
        }
        return true;
      },
    };
    const stepped = sgd(p.minibatch, new Float32Array(10), { ...options, vectors });
    assert.equal(rates.length, plain.iterations);
    assert.equal(rates[0], 0.05, "the scheduled rate: η at the start of a linear schedule");
    assert.ok((rates.at(-1) as number) < 0.05 / plain.iterations + 1e-12, "and near 0 at its end");
    assert.deepEqual(Array.from(stepped.x), Array.from(plain.x));
    const declined = sgd(p.minibatch, new Float32Array(10), {
      ...options,
      vectors: { ...vectors, sgdStep: () => false },
    });
    assert.deepEqual(Array.from(declined.x), Array.from(plain.x));
  });
});

describe("the minibatch optimisers' vectors.sumAbs", () => {
  for (const [name, run] of [
    ["adam", adam],
    ["sgd", sgd],
  ] as const) {
    it(`${name}: Σ|g| of each step, reported as its optimality, comes from vectors.sumAbs where given`, () => {
      const p = logistic(10, 300, 1e-2, 2);
      const options = { epochs: 2, batchSize: 30, learningRate: 0.05, seed: 4 };
      const sums: number[] = [];
      const plain: number[] = [];
      run(p.minibatch, new Float32Array(10), { ...options, onProgress: (q) => void plain.push(q.optimality) });
      const seen: number[] = [];
      const vectors: VectorOps = {
        dot: () => 0,
        axpy: () => {},
        sumAbs: (x) => {
          let s = 0;
          for (const v of x) s += Math.abs(v);
          sums.push(s);
          return s;
        },
      };
      run(p.minibatch, new Float32Array(10), { ...options, vectors, onProgress: (q) => void seen.push(q.optimality) });
      assert.equal(sums.length, 20);
      assert.deepEqual(seen, sums);
      assert.deepEqual(seen, plain, "the same sums as its own, here in the same order");
    });
  }
});

describe("the minibatch optimisers' vectors in a backend's memory", () => {
  /** VectorOps whose zeros and zeros64 record what they make and release what is handed back. */
  const memory = () => {
    const made: FloatArray[] = [];
    const live = new Set<FloatArray>();
    const vectors: VectorOps = {
      dot: () => 0,
      axpy: () => {},
      zeros: (n) => {
        const v = new Float32Array(n);
        made.push(v);
        live.add(v);
        return v;
      },
      zeros64: (n) => {
        const v = new Float64Array(n);
        made.push(v);
        live.add(v);
        return v;
      },
      release: (v) => assert.ok(live.delete(v), "released once, and only what zeros made"),
    };
    return { vectors, made, live };
  };
  for (const [name, run, kinds] of [
    ["adam", adam, ["Float64Array", "Float64Array", "Float32Array", "Float32Array"]],
    ["sgd", sgd, ["Float32Array", "Float32Array", "Float32Array"]],
  ] as const) {
    it(`${name}: x, the gradient and the moments come from vectors.zeros (zeros64), all handed back, x returned as a copy`, () => {
      const p = logistic(10, 300, 1e-2, 2);
      const options = { epochs: 2, batchSize: 30, learningRate: 0.05, seed: 4 };
      const plain = run(p.minibatch, new Float32Array(10), options);
      const { vectors, made, live } = memory();
      const r = run(p.minibatch, new Float32Array(10), { ...options, vectors });
      assert.deepEqual(
        made.map((v) => v.constructor.name),
        kinds,
      );
      assert.equal(live.size, 0, "every vector handed back");
      assert.ok(!made.includes(r.x), "the x returned is not one of them");
      assert.deepEqual(Array.from(r.x), Array.from(plain.x));

      const failing = memory();
      const throws = {
        examples: 300,
        cost: () => {
          throw new Error("cost failed");
        },
      };
      assert.throws(() => run(throws, new Float32Array(10), { ...options, vectors: failing.vectors }), /cost failed/);
      assert.ok(failing.made.length > 0);
      assert.equal(failing.live.size, 0, "handed back when the cost throws too");

      const wide = memory();
      run(p.minibatch, new Float64Array(10), { ...options, vectors: wide.vectors });
      assert.equal(wide.made.length, 0, "float64 parameters stay in plain arrays");
    });
  }
});

describe("minibatch mechanics", () => {
  it("every epoch visits every example exactly once, in a seeded order", () => {
    const seen: number[][] = [];
    const counting = {
      examples: 10,
      cost: (_x: FloatArray, g: FloatArray, rows: Int32Array) => {
        seen.push(Array.from(rows));
        g.fill(0);
        return 0;
      },
    };
    sgd(counting, new Float64Array(1), { epochs: 2, batchSize: 4, seed: 5 });
    assert.deepEqual(
      seen.map((b) => b.length),
      [4, 4, 2, 4, 4, 2],
    );
    for (const epoch of [seen.slice(0, 3), seen.slice(3)]) {
      assert.deepEqual(
        epoch.flat().sort((a, b) => a - b),
        [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
      );
    }
    const again: number[][] = [];
    const recording = {
      ...counting,
      cost: (_x: FloatArray, g: FloatArray, rows: Int32Array) => {
        again.push(Array.from(rows));
        g.fill(0);
        return 0;
      },
    };
    sgd(recording, new Float64Array(1), { epochs: 2, batchSize: 4, seed: 5 });
    assert.deepEqual(again, seen, "same seed, same order");
  });
  it("stops on a non-finite cost and returns the last finite point", () => {
    let calls = 0;
    const exploding = {
      examples: 4,
      cost: (x: FloatArray, g: FloatArray) => {
        calls++;
        g[0] = calls > 5 ? Number.NaN : 1;
        return calls > 5 ? Number.NaN : (x[0] as number);
      },
    };
    const r = adam(exploding, new Float64Array([1]), { epochs: 10, batchSize: 1 });
    assert.equal(r.status, "nonFinite");
    assert.ok(Number.isFinite(r.x[0] as number));
    assert.equal(r.iterations, 5);
  });
  it("ends non-finite, keeping the point before, when the last step overflows x", () => {
    // Finite cost and gradient at every evaluation, but the last step carries x to infinity.
    const overflowing = {
      examples: 2,
      cost: (x: FloatArray, g: FloatArray) => {
        g[0] = -1e300;
        return x[0] as number;
      },
    };
    const r = sgd(overflowing, new Float64Array([1e308]), { epochs: 1, batchSize: 2, learningRate: 1e10, momentum: 0 });
    assert.equal(r.status, "nonFinite");
    assert.deepEqual(Array.from(r.x), [1e308]);
  });
  it("stops on a non-finite gradient under a finite cost, and only then", () => {
    const withGradient = (value: (call: number) => number) => {
      let calls = 0;
      return {
        examples: 4,
        cost: (_x: FloatArray, g: FloatArray) => {
          calls++;
          g.fill(value(calls));
          return 1;
        },
      };
    };
    const nan = sgd(
      withGradient((call) => (call > 3 ? Number.NaN : 1)),
      new Float64Array(2),
      { batchSize: 1 },
    );
    assert.equal(nan.status, "nonFinite");
    assert.equal(nan.iterations, 3);
    // Finite elements whose sum of magnitudes overflows float64 are not a non-finite gradient.
    const huge = sgd(
      withGradient(() => 1e308),
      new Float64Array(2),
      {
        epochs: 1,
        batchSize: 4,
        learningRate: 1e-300,
        momentum: 0,
      },
    );
    assert.equal(huge.status, "epochsDone");
    assert.deepEqual(Array.from(huge.x), [-1e8, -1e8]);
  });
  it("can be stopped by the callback or an AbortSignal", () => {
    const q = leastSquares(5, 20, 2, 1);
    assert.equal(sgd(q.minibatch, new Float64Array(5), { onProgress: (p) => p.iteration < 3 }).status, "stopped");
    const c = new AbortController();
    c.abort();
    assert.equal(adam(q.minibatch, new Float64Array(5), { signal: c.signal }).status, "aborted");
  });
  it("rejects unknown keys and bad values with typed errors", () => {
    const q = leastSquares(5, 20, 2, 1);
    assert.throws(() => sgd(q.minibatch, new Float64Array(5), { lr: 1 } as never), ArgumentError);
    assert.throws(() => sgd(q.minibatch, new Float64Array(5), { momentum: 1 }), /momentum must be .* \[0, 1\), got 1/);
    assert.throws(
      () => adam(q.minibatch, new Float64Array(5), { batchSize: 0 }),
      /batchSize must be an integer in \[1, ∞\), got 0/,
    );
    assert.throws(() => adam(q.minibatch, new Float64Array(5), { learningRate: -1 }), /learningRate/);
    assert.throws(() => adam(q.minibatch, new Float64Array(5), { schedule: "step" as never }), /schedule must be/);
  });
});

describe("adamAsync and sgdAsync", () => {
  it("take the same steps to the same point as adam and sgd, bit for bit", async () => {
    const q = leastSquares(20, 100, 10, 3);
    const options = { epochs: 5, batchSize: 10, learningRate: 0.01, seed: 9 };
    assert.deepEqual(
      await adamAsync(q.minibatch, new Float32Array(20), options),
      adam(q.minibatch, new Float32Array(20), options),
    );
    assert.deepEqual(
      await sgdAsync(q.minibatch, new Float64Array(20), options),
      sgd(q.minibatch, new Float64Array(20), options),
    );
  });

  it("stop on an AbortSignal that a timer fires: status aborted", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const slow = {
      examples: 1,
      cost: (x: FloatArray, g: FloatArray) => {
        const end = performance.now() + 1;
        while (performance.now() < end);
        return rosenbrock(x, g);
      },
    };
    const r = await adamAsync(slow, new Float64Array([-1.2, 1]), { epochs: 100000, signal: controller.signal });
    assert.equal(r.status, "aborted");
    assert.ok(r.iterations < 1000, `${r.iterations} steps`);
  });
});
