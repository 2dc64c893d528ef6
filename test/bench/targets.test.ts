import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fullRunTargets } from "../../bench/full-run.ts";
import { atLeast, atMost, evaluationFlops, gemmTargets, tally, targetLines } from "../../bench/targets.ts";

describe("atLeast and atMost", () => {
  it("hold at the bound and on its side, miss beyond it", () => {
    assert.equal(atLeast("a", 0.85, 0.85).holds, true);
    assert.equal(atLeast("a", 0.849, 0.85).holds, false);
    assert.equal(atMost("b", 15, 15, " s").holds, true);
    assert.equal(atMost("b", 15.01, 15, " s").holds, false);
  });

  it("say the bound in words and leave a missing figure undecided", () => {
    const t = atMost("recipe", null, 15, " s");
    assert.deepEqual(t, { name: "recipe", value: null, target: "≤ 15 s", holds: null });
  });
});

describe("targetLines and tally", () => {
  const targets = [atLeast("ratio", 0.9, 0.85), atMost("seconds", 20.25, 15, " s"), atLeast("missing", null, 1)];
  it("print each figure beside its bound and verdict", () => {
    const lines = targetLines(targets);
    assert.match(lines[0] as string, /^ratio\s+0\.900\s+≥ 0\.85\s+holds$/);
    assert.match(lines[1] as string, /^seconds\s+20\.3\s+≤ 15 s\s+misses$/);
    assert.match(lines[2] as string, /^missing\s+-\s+≥ 1\s+\?$/);
  });

  it("count the verdicts", () => {
    assert.deepEqual(tally(targets), { holds: 1, misses: 1, undecided: 1 });
  });
});

describe("fullRunTargets", () => {
  it("measures wasm against 0.7× PyTorch's wall time, 97.4 % and 800 MiB", () => {
    const [wall, acc, memory] = fullRunTargets("wasm", { accuracyAfter: 0.9741, peakMemoryMiB: 801 }, 0.69);
    assert.deepEqual(
      [wall?.holds, acc?.holds, memory?.holds],
      [true, true, false],
      "0.69 ≤ 0.7, 97.41 % ≥ 97.4 %, 801 MiB > 800",
    );
    assert.equal(memory?.target, "≤ 800 MiB");
  });

  it("measures native against 0.4× and 900 MiB", () => {
    const [wall, acc, memory] = fullRunTargets("native", { accuracyAfter: 0.97, peakMemoryMiB: 900 }, 0.41);
    assert.deepEqual([wall?.holds, acc?.holds, memory?.holds], [false, false, true]);
  });
});

describe("evaluationFlops", () => {
  it("counts the issue's 63.6 GFLOP for MNIST's 19 % non-zeros", () => {
    // 3 dense products of 2·60,000·784·200 = 18.8 GFLOP, two of 2·nnz·200 over 8.94 M non-zeros.
    const gflops = evaluationFlops(60000, 784, 200, 8_940_000) / 1e9;
    assert.ok(Math.abs(gflops - 63.6) < 0.1, `${gflops}`);
  });
});

describe("gemmTargets", () => {
  const shapes = [
    { M: 256, N: 200, K: 784, what: "minibatch" },
    { M: 60000, N: 784, K: 200, what: "decode" },
  ];
  const rows = [
    { backend: "wasm FMA, 1 thread", shape: [256, 200, 784], gflops: 50, ratioToNumpy: 0.3 },
    { backend: "wasm FMA, 2 threads", shape: [256, 200, 784], gflops: 90, ratioToNumpy: 0.6 },
    { backend: "native", shape: [256, 200, 784], gflops: 140, ratioToNumpy: 0.96 },
    { backend: "wasm FMA, 2 threads", shape: [60000, 784, 200], gflops: 80, ratioToNumpy: 0.5 },
    { backend: "native", shape: [60000, 784, 200], gflops: 150, ratioToNumpy: null },
  ];
  const roles = new Map([
    ["wasm FMA, 2 threads", "wasm" as const],
    ["native", "native" as const],
  ]);
  it("divides the every-thread wasm build by the ceiling and takes native's ratio to numpy, shape by shape", () => {
    const t = gemmTargets(shapes, rows, roles, 100, { ofCeiling: 0.85, ofNumpy: 0.95 });
    assert.deepEqual(
      t.map((x) => [x.name, x.value, x.holds]),
      [
        ["gemm 256×200×784 minibatch, wasm ÷ ceiling", 0.9, true],
        ["gemm 256×200×784 minibatch, native ÷ numpy", 0.96, true],
        ["gemm 60000×784×200 decode, wasm ÷ ceiling", 0.8, false],
      ],
      "no native target where numpy did not run",
    );
  });
});
