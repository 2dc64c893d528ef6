import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  aheadOf,
  type EpochPoint,
  finalAccuracy,
  type MinibatchRun,
  ratio,
  runFigures,
  timeToAccuracy,
} from "../../bench/minibatch-figures.ts";

const curve: EpochPoint[] = [
  { epoch: 1, seconds: 2, accuracy: 0.96 },
  { epoch: 2, seconds: 4, accuracy: 0.975 },
  { epoch: 3, seconds: 6, accuracy: 0.979 },
  { epoch: 4, seconds: 8, accuracy: 0.9812 },
  { epoch: 5, seconds: 10, accuracy: 0.9795 },
];

const run = (label: string, epochs: EpochPoint[], totalSeconds = epochs.at(-1)?.seconds ?? 0): MinibatchRun => ({
  label,
  threads: 2,
  epochs,
  totalSeconds,
  peakMemoryMiB: null,
});

describe("timeToAccuracy", () => {
  it("gives the seconds of the first epoch that reached the threshold, a threshold met exactly included", () => {
    assert.equal(timeToAccuracy(curve, 0.975), 4);
    assert.equal(timeToAccuracy(curve, 0.98), 8);
  });

  it("is not moved by a later epoch that falls back below the threshold", () => {
    assert.equal(timeToAccuracy(curve, 0.981), 8);
  });

  it("is null when no epoch reached it, or there are none", () => {
    assert.equal(timeToAccuracy(curve, 0.99), null);
    assert.equal(timeToAccuracy([], 0.5), null);
  });
});

describe("runFigures and finalAccuracy", () => {
  it("reads the times to 97.5 % and 98 %, the last epoch's accuracy and the total", () => {
    const f = runFigures(run("x", curve, 11));
    assert.deepEqual(f.timeTo, [4, 8]);
    assert.equal(f.finalAccuracy, 0.9795);
    assert.equal(f.totalSeconds, 11);
  });

  it("has no final accuracy without epochs", () => {
    assert.equal(finalAccuracy(run("x", [])), null);
  });
});

describe("ratio", () => {
  it("divides, or is null when either side is missing", () => {
    assert.equal(ratio(3, 4), 0.75);
    assert.equal(ratio(null, 4), null);
    assert.equal(ratio(3, null), null);
  });
});

describe("aheadOf", () => {
  const ours = runFigures(run("stackae", curve));
  it("compares the times to 98 % when both reached it", () => {
    assert.equal(aheadOf(ours, runFigures(run("slow", [{ epoch: 1, seconds: 9, accuracy: 0.98 }]))), true);
    assert.equal(aheadOf(ours, runFigures(run("fast", [{ epoch: 1, seconds: 7, accuracy: 0.98 }]))), false);
  });

  it("is false when ours never reached 98 %", () => {
    const never = runFigures(run("stackae", curve.slice(0, 3)));
    assert.equal(aheadOf(never, runFigures(run("peer", [{ epoch: 1, seconds: 60, accuracy: 0.97 }]))), false);
  });

  it("holds against a peer that never reached it only if that peer trained at least as long", () => {
    const long = runFigures(run("peer", [{ epoch: 1, seconds: 8, accuracy: 0.97 }]));
    const short = runFigures(run("peer", [{ epoch: 1, seconds: 7.9, accuracy: 0.97 }]));
    assert.equal(aheadOf(ours, long), true);
    assert.equal(aheadOf(ours, short), null);
  });
});
