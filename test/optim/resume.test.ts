// Stopping an optimiser, keeping a copy of its state, and resuming from the copy must end exactly
// where the uninterrupted run ends: same point, bit for bit, same counts and status.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { lbfgs } from "../../src/optim/lbfgs.ts";
import { adam, sgd } from "../../src/optim/minibatch.ts";
import type { OptimizerState, OptimResult, Progress } from "../../src/optim/types.ts";
import { logistic, rosenbrock } from "./problems.ts";

/** Runs `optimise` with a callback that copies the state at `at` and stops; then resumes from the copy. */
function interrupted(
  optimise: (onProgress: (p: Progress) => unknown, resume?: OptimizerState) => OptimResult,
  at: number,
): { first: OptimResult; resumed: OptimResult } {
  let saved: OptimizerState | undefined;
  const first = optimise((p) => {
    if (p.iteration !== at) return true;
    saved = structuredClone(p.state());
    return false;
  });
  assert.ok(saved, `the run ended before iteration ${at}`);
  return { first, resumed: optimise(() => true, saved) };
}

function assertSameEnd(resumed: OptimResult, whole: OptimResult): void {
  assert.deepEqual(Array.from(resumed.x), Array.from(whole.x));
  assert.equal(resumed.cost, whole.cost);
  assert.equal(resumed.iterations, whole.iterations);
  assert.equal(resumed.evaluations, whole.evaluations);
  assert.equal(resumed.status, whole.status);
}

describe("resuming L-BFGS", () => {
  it("Rosenbrock, stopped at iteration 12 and resumed, ends where the whole run ends", () => {
    const run = (onProgress: (p: Progress) => unknown, resume?: OptimizerState) =>
      lbfgs(rosenbrock, new Float64Array([-1.2, 1]), {
        onProgress,
        ...(resume ? { resume: resume as never } : {}),
      });
    const whole = run(() => true);
    const { first, resumed } = interrupted(run, 12);
    assert.equal(first.status, "stopped");
    assert.equal(first.iterations, 12);
    assertSameEnd(resumed, whole);
  });
  it("float32 logistic regression with a full history of 5 pairs, stopped at 9", () => {
    const p = logistic(20, 200, 1e-3, 3);
    const run = (onProgress: (p: Progress) => unknown, resume?: OptimizerState) =>
      lbfgs(p.full, new Float32Array(20), {
        maxIter: 30,
        corrections: 5,
        onProgress,
        ...(resume ? { resume: resume as never } : {}),
      });
    const whole = run(() => true);
    assert.ok(whole.iterations > 12, `the whole run took only ${whole.iterations} iterations`);
    assertSameEnd(interrupted(run, 9).resumed, whole);
  });
  it("refuses a state of another length or kind", () => {
    const p = logistic(20, 200, 1e-3, 3);
    let state: OptimizerState | undefined;
    lbfgs(p.full, new Float64Array(20), { onProgress: (q) => void (state = structuredClone(q.state())), maxIter: 3 });
    assert.throws(() => lbfgs(p.full, new Float64Array(21), { resume: state as never }), ArgumentError);
    assert.throws(() => lbfgs(p.full, new Float64Array(20), { resume: { ...state, kind: "adam" } as never }), {
      message: /kind "adam"/,
    });
  });
});

describe("resuming SGD and Adam", () => {
  const p = logistic(10, 300, 1e-2, 2);
  // 300 examples in batches of 40: 8 steps an epoch, the last of 20 examples.
  for (const [name, at] of [
    ["mid-epoch", 11],
    ["at the end of an epoch", 16],
  ] as const) {
    it(`sgd with Nesterov momentum and a cosine schedule, stopped ${name}`, () => {
      const run = (onProgress: (p: Progress) => unknown, resume?: OptimizerState) =>
        sgd(p.minibatch, new Float64Array(10), {
          epochs: 5,
          batchSize: 40,
          learningRate: 0.5,
          nesterov: true,
          schedule: "cosine",
          seed: 7,
          onProgress,
          ...(resume ? { resume: resume as never } : {}),
        });
      assertSameEnd(
        interrupted(run, at).resumed,
        run(() => true),
      );
    });
    it(`adam in float32, stopped ${name}`, () => {
      const run = (onProgress: (p: Progress) => unknown, resume?: OptimizerState) =>
        adam(p.minibatch, new Float32Array(10), {
          epochs: 4,
          batchSize: 40,
          learningRate: 0.05,
          seed: 3,
          onProgress,
          ...(resume ? { resume: resume as never } : {}),
        });
      assertSameEnd(
        interrupted(run, at).resumed,
        run(() => true),
      );
    });
  }
  it("refuses an Adam state for SGD", () => {
    let state: OptimizerState | undefined;
    adam(p.minibatch, new Float64Array(10), {
      epochs: 1,
      onProgress: (q) => void (state = structuredClone(q.state())),
    });
    assert.throws(() => sgd(p.minibatch, new Float64Array(10), { resume: state as never }), { message: /kind "adam"/ });
  });
});
