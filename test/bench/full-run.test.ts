import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { mnistNetwork, perEvaluationRatios, type RunStats, referenceFloors } from "../../bench/full-run.ts";
import { productFlopsPerExample } from "../../bench/minibatch-figures.ts";

type Four = [number, number, number, number];
/** A run whose stages made `evaluations` cost evaluations in `seconds` (1 s each by default). */
const run = (label: string, wallSeconds: number, evaluations: Four, seconds: Four = [1, 1, 1, 1]): RunStats => {
  const [a, b, c, d] = evaluations.map((n, i) => ({ seconds: seconds[i] ?? 1, evaluations: n }));
  const stage = (s: typeof a) => s ?? { seconds: 1, evaluations: 0 };
  return {
    label,
    wallSeconds,
    peakMemoryMiB: null,
    accuracyBefore: null,
    accuracyAfter: null,
    stages: { "autoencoder 1": stage(a), "autoencoder 2": stage(b), softmax: stage(c), "fine-tuning": stage(d) },
  };
};

describe("referenceFloors", () => {
  it("counts the issue's 63.6 GFLOP for one evaluation of autoencoder 1 on MNIST", () => {
    const network = mnistNetwork();
    const f = productFlopsPerExample(network);
    assert.ok(Math.abs((network.m * f.autoencoder1) / 1e9 - 63.6) < 0.1, String(network.m * f.autoencoder1));
  });

  it("is the products of each stage's evaluations at the given rate ÷ PyTorch's wall time", () => {
    const lines: string[] = [];
    const one = referenceFloors(
      { native: run("native", 1, [1, 0, 0, 0]), wasm: run("wasm", 1, [1, 0, 0, 0]) },
      run("torch", 100, [0, 0, 0, 0]),
      { numpy: 100, ceiling: 50 },
      undefined,
      (l) => lines.push(l),
    );
    const two = referenceFloors(
      { native: run("native", 1, [2, 1, 3, 4]) },
      run("torch", 50, [0, 0, 0, 0]),
      { numpy: 100, ceiling: 50 },
      undefined,
      () => {},
    );
    const [native, wasm] = one.map((t) => t.value as number);
    // The ceiling at half numpy's rate: twice the seconds, the same work.
    assert.ok(Math.abs((wasm as number) / (native as number) - 2) < 1e-12);
    // One evaluation of autoencoder 1 (63.6 GFLOP) and the features once (X through both encoders:
    // 3.6 GFLOP over X's non-zeros and 4.8 dense), at 100 GFLOP/s, ÷ 100 s.
    assert.ok(Math.abs((native as number) - 0.0072) < 0.00002, String(native));
    // More evaluations and half PyTorch's time: more than twice the first floor.
    assert.ok((two[0]?.value as number) > 2 * (native as number));
    assert.equal(one[0]?.holds, true);
    assert.equal(lines.length, 2);
  });

  it("prints no floor without PyTorch's run or a rate", () => {
    const ours = { native: run("native", 1, [1, 0, 0, 0]) };
    assert.equal(referenceFloors(ours, null, { numpy: 100, ceiling: 50 }, undefined, () => {}).length, 0);
    assert.equal(
      referenceFloors(ours, run("t", 1, [0, 0, 0, 0]), { numpy: null, ceiling: 50 }, undefined, () => {}).length,
      0,
    );
  });
});

describe("perEvaluationRatios", () => {
  it("divides each stage's seconds per evaluation by PyTorch's, whatever the counts", () => {
    // Fine-tuning: 162 s over 420 evaluations against 75 s over 124 (the run of 2026-12-07, 17:27).
    const ours = run("wasm", 1, [400, 400, 80, 420], [100, 40, 1, 162]);
    const torch = run("torch", 1, [400, 200, 50, 124], [150, 40, 2, 75]);
    const r = perEvaluationRatios(ours, torch);
    assert.ok(r);
    assert.ok(Math.abs((r["autoencoder 1"] as number) - 100 / 150) < 1e-12);
    assert.ok(Math.abs((r["autoencoder 2"] as number) - 0.5) < 1e-12);
    assert.ok(Math.abs((r.softmax as number) - 1 / 80 / (2 / 50)) < 1e-12);
    assert.ok(Math.abs((r["fine-tuning"] as number) - 162 / 420 / (75 / 124)) < 1e-12);
    // Slower in wall time (162 against 75 s), faster per evaluation.
    assert.ok((r["fine-tuning"] as number) < 1);
  });

  it("gives null where a side has no stages or a stage no evaluations", () => {
    const ours = run("wasm", 1, [1, 0, 1, 1], [1, 1, 1, 1]);
    assert.equal(perEvaluationRatios(ours, null), null);
    assert.equal(perEvaluationRatios({ ...ours, stages: null }, ours), null);
    const r = perEvaluationRatios(ours, run("torch", 1, [1, 1, 0, 1], [2, 1, 1, 1]));
    assert.equal(r?.["autoencoder 2"], null);
    assert.equal(r?.softmax, null);
    assert.equal(r?.["autoencoder 1"], 0.5);
  });
});
