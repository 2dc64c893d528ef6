import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { balancedSubset, selectExamples, splitExamples, stratifiedSplit } from "../../src/data/split.ts";
import { ArgumentError } from "../../src/errors.ts";

/** 3 classes of 50, 30 and 20 examples, interleaved. */
function labels(): Int32Array {
  const y: number[] = [];
  for (let i = 0; i < 50; i++) y.push(0);
  for (let i = 0; i < 30; i++) y.push(1);
  for (let i = 0; i < 20; i++) y.push(2);
  // A fixed interleaving that is not sorted by class.
  return Int32Array.from(
    y
      .map((c, i) => ({ c, k: (i * 37) % 101 }))
      .sort((a, b) => a.k - b.k)
      .map((e) => e.c),
  );
}

describe("stratifiedSplit", () => {
  test("holds out the fraction of every class, the two parts disjoint, covering, in order", () => {
    const y = labels();
    const { kept, held } = stratifiedSplit(y, 0.2, 1);
    const count = (rows: Int32Array, c: number) => [...rows].filter((r) => y[r] === c).length;
    assert.deepEqual(
      [0, 1, 2].map((c) => count(held, c)),
      [10, 6, 4],
    );
    assert.deepEqual(
      [0, 1, 2].map((c) => count(kept, c)),
      [40, 24, 16],
    );
    const all = [...kept, ...held].sort((a, b) => a - b);
    assert.deepEqual(
      all,
      Array.from({ length: y.length }, (_, i) => i),
    );
    for (const part of [kept, held]) for (let i = 1; i < part.length; i++) assert.ok(part[i - 1]! < part[i]!);
  });

  test("the same seed gives the same split, another seed another", () => {
    const y = labels();
    assert.deepEqual(stratifiedSplit(y, 0.25, 7), stratifiedSplit(y, 0.25, 7));
    assert.notDeepEqual(stratifiedSplit(y, 0.25, 7).held, stratifiedSplit(y, 0.25, 8).held);
  });

  test("a class of one example stays in training; a fraction that holds out nothing is an error", () => {
    const y = Int32Array.from([0, 0, 0, 0, 1]);
    const { held } = stratifiedSplit(y, 0.25, 1);
    assert.deepEqual(
      [...held].map((r) => y[r]),
      [0],
    );
    assert.throws(() => stratifiedSplit(Int32Array.from([0, 1]), 0.5, 1), ArgumentError);
    assert.throws(() => stratifiedSplit(y, 1, 1), /fraction must be/);
    assert.throws(() => stratifiedSplit(y, 0, 1, "--test-fraction"), /--test-fraction/);
  });
});

describe("splitExamples", () => {
  test("copies each part's rows and labels, keeping class names and image size", () => {
    const y = Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1]);
    const inputs = Float32Array.from({ length: 16 }, (_, i) => i);
    const examples = { inputs, labels: y, inputSize: 2, classNames: ["a", "b"], image: { rows: 1, cols: 2 } };
    const { kept, held } = splitExamples(examples, 0.25, 3);
    assert.equal(kept.labels.length + held.labels.length, 8);
    for (const part of [kept, held]) {
      assert.deepEqual(part.classNames, ["a", "b"]);
      assert.deepEqual(part.image, { rows: 1, cols: 2 });
      for (let i = 0; i < part.labels.length; i++) {
        const row = part.inputs[2 * i]! / 2;
        assert.equal(part.labels[i], y[row]);
        assert.equal(part.inputs[2 * i + 1], 2 * row + 1);
      }
    }
    assert.deepEqual([...selectExamples(examples, Int32Array.from([3])).inputs], [6, 7]);
  });
});

describe("balancedSubset", () => {
  const y = labels();
  const perClass = (rows: Int32Array) => [0, 1, 2].map((c) => Array.from(rows).filter((r) => y[r] === c).length);
  test("takes count ÷ classes of each class, the remainder one more each to some classes", () => {
    assert.deepEqual(perClass(balancedSubset(y, 30, 1)), [10, 10, 10]);
    const counts = perClass(balancedSubset(y, 31, 1));
    assert.equal(
      counts.reduce((s, c) => s + c, 0),
      31,
    );
    assert.deepEqual([...counts].sort(), [10, 10, 11]);
    // 20 + 20 + 20 needs all of class 2.
    assert.deepEqual(perClass(balancedSubset(y, 60, 4)), [20, 20, 20]);
  });
  test("is seeded: rows in increasing order, each once; the same seed gives the same rows, another seed others", () => {
    const a = balancedSubset(y, 30, 7);
    assert.deepEqual(a, balancedSubset(y, 30, 7));
    assert.notDeepEqual(a, balancedSubset(y, 30, 8));
    assert.deepEqual(
      Array.from(a),
      [...new Set(a)].sort((p, q) => p - q),
    );
  });
  test("says which class is short, and refuses a count outside [1, examples]", () => {
    assert.throws(() => balancedSubset(y, 63, 1), /needs 21 examples of class 2, which has 20/);
    assert.throws(() => balancedSubset(y, 0, 1), ArgumentError);
    assert.throws(() => balancedSubset(y, 101, 1), ArgumentError);
  });
});
