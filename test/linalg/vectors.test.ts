// The backends' vector operations for L-BFGS (`backend.vectors`): twoLoop, the whole two-loop
// recursion in one call, against properties that do not come from the code under test (the BFGS
// secant equation, the recursion in float64) and against the optimiser's own recursion.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { lbfgs } from "../../src/optim/lbfgs.ts";
import type { VectorOps } from "../../src/optim/types.ts";
import { allBackends } from "../helpers.ts";
import { logistic } from "../optim/problems.ts";
import { history, maxDiff, recursion64 } from "./two-loop-fixtures.ts";

const cases = (await allBackends()).filter((c) => c.backend.vectors?.twoLoop);
after(async () => {
  for (const { backend } of cases) await backend.dispose();
});

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

// The barrier between the threads' parts of each dot product spins, then sleeps until the last
// thread arrives and wakes it: threads without a core of their own must get to run.
it("wasm twoLoop on more threads than cores: every call right, none hangs", () => {
  const script = fileURLToPath(new URL("./two-loop-stress.ts", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", "tsx", script, "20"], { encoding: "utf8", timeout: 120_000 });
  assert.equal(run.signal, null, `killed by ${run.signal} after 120 s: a thread slept through its wake-up`);
  assert.equal(run.status, 0, run.stderr);
  const m = /^ok (\d+) threads 20 calls (\S+)$/m.exec(run.stdout);
  assert.ok(m, run.stdout);
  assert.ok(Number(m[2]) <= 1e-5, `max error ${m[2]} of max |d| on ${m[1]} threads`);
});
