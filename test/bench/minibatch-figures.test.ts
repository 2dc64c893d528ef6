import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  aheadOf,
  type EpochPoint,
  finalAccuracy,
  type MinibatchRun,
  ratio,
  recipeProductFlops,
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

describe("recipeProductFlops", () => {
  it("counts each product of the recipe once, those with X over its non-zeros", () => {
    // One example of 4 inputs, 2 of them non-zero; layers 2 and 3; 5 classes; one of everything.
    const product = (rows: number, inner: number, outer: number) => 2 * rows * inner * outer;
    const nz = 2;
    const ae1 = product(1, nz, 2) + product(1, 2, 4) + product(4, 1, 2) + product(1, 4, 2) + product(2, 1, nz);
    const ae2 = product(1, 2, 3) + product(1, 3, 2) + product(2, 1, 3) + product(1, 2, 3) + product(3, 1, 2);
    const features = product(1, nz, 2) + product(1, 2, 3);
    const softmax = features + product(1, 3, 5) + product(5, 1, 3);
    const forward = product(1, nz, 2) + product(1, 2, 3) + product(1, 3, 5);
    const backward = product(5, 1, 3) + product(1, 5, 3) + product(3, 1, 2) + product(1, 3, 2) + product(2, 1, nz);
    const shape = {
      m: 1,
      n: 4,
      hidden: [2, 3] as const,
      classes: 5,
      density: 0.5,
      autoencoderEpochs: 1,
      softmaxIterations: 1,
    };
    assert.equal(recipeProductFlops(shape, 1), ae1 + ae2 + softmax + forward + backward);
    assert.equal(recipeProductFlops(shape, 3) - recipeProductFlops(shape, 1), 2 * (forward + backward));
  });
});
