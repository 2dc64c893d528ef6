import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Rng } from "../../src/linalg/rng.ts";
import { cubicInterpolate, cubicMinimizer, wolfeLineSearch } from "../../src/optim/line-search.ts";
import { dot } from "../../src/optim/vector.ts";
import { logistic, rosenbrock } from "./problems.ts";

describe("wolfeLineSearch", () => {
  const options = { c1: 1e-4, c2: 0.9, maxEvaluations: 25, progTol: 1e-9 };
  const problems = [
    { name: "Rosenbrock", f: rosenbrock, dim: 2, scale: 2 },
    { name: "logistic regression", f: logistic(5, 100, 1e-3, 4).full, dim: 5, scale: 3 },
  ];
  for (const { name, f, dim, scale } of problems) {
    it(`every accepted step satisfies the strong Wolfe conditions (${name})`, () => {
      const rng = new Rng(11);
      let wolfe = 0;
      for (let trial = 0; trial < 200; trial++) {
        const x = Float64Array.from({ length: dim }, () => rng.uniformIn(-scale, scale));
        const g = new Float64Array(dim);
        const fx = f(x, g);
        // A descent direction: −g, bent at random but keeping gᵀd < 0.
        const d = Float64Array.from(g, (v) => -v * rng.uniformIn(0.2, 1.8));
        const gtd = dot(g, d);
        if (!(gtd < 0)) continue;
        const t0 = 10 ** rng.uniformIn(-3, 3);
        const gOut = new Float64Array(dim);
        const r = wolfeLineSearch(f, x, t0, d, fx, g, gtd, options, gOut);
        if (r.status !== "wolfe") continue;
        wolfe++;
        const xt = x.map((v, i) => v + r.t * (d[i] as number));
        const gt = new Float64Array(dim);
        const ft = f(xt, gt);
        assert.equal(ft, r.f, "reported f is f(x + t·d)");
        assert.deepEqual(Array.from(gOut), Array.from(gt), "gOut is ∇f(x + t·d)");
        assert.ok(ft <= fx + options.c1 * r.t * gtd, `sufficient decrease fails at t = ${r.t}`);
        assert.ok(Math.abs(dot(gt, d)) <= options.c2 * Math.abs(gtd), `curvature fails at t = ${r.t}`);
      }
      assert.ok(wolfe >= 150, `only ${wolfe} of the searches ended with both conditions`);
    });
  }
});

describe("cubic interpolation", () => {
  it("finds the minimiser of a cubic from two values and slopes", () => {
    // p(t) = (t − 1)³ − 3(t − 1) has its local minimum at t = 2.
    const p = (t: number) => (t - 1) ** 3 - 3 * (t - 1);
    const dp = (t: number) => 3 * (t - 1) ** 2 - 3;
    assert.ok(Math.abs(cubicInterpolate(1.5, p(1.5), dp(1.5), 3, p(3), dp(3)) - 2) < 1e-12);
  });
  it("stays in the interval and falls back to the midpoint without a real minimiser", () => {
    const t = cubicInterpolate(0, 0, -1, 1, -2, -1);
    assert.ok(t >= 0 && t <= 1);
    assert.equal(cubicInterpolate(0, 0, Number.NaN, 1, 1, 1), 0.5);
  });
  it("extrapolates a quadratic to its minimiser inside the bounds", () => {
    // f(t) = (t − 5)²: slopes −10 at 0 and −8 at 1; the minimiser 5 lies in [1.01, 10].
    assert.ok(Math.abs(cubicMinimizer(0, 25, -10, 1, 16, -8, 1.01, 10) - 5) < 1e-9);
    assert.equal(cubicMinimizer(0, 25, -10, 1, 16, -8, 1.01, 3), 3, "clamped to the upper bound");
  });
});
