import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LabelKeys } from "../../src/data/csv-labels.ts";

/** LabelKeys whose refusals are errors "line N: problem", and the lines refused. */
function labelKeys(given?: string[]) {
  const refused: number[] = [];
  const keys = new LabelKeys(given, (line, problem) => {
    refused.push(line);
    return new Error(`line ${line}: ${problem}`);
  });
  return { keys, refused };
}

describe("LabelKeys", () => {
  it("gives each text an id in order of first sight, the same id each time after", () => {
    const { keys } = labelKeys();
    const ids = ["cat", "dog", "cat", "7", "dog", "cat"].map((k, i) => keys.id(k, i + 2));
    assert.deepEqual(ids, [0, 1, 0, 2, 1, 0]);
    assert.deepEqual(keys.keys, ["cat", "dog", "7"]);
  });

  it("refuses an empty label, and one that is none of the classes given, at its line", () => {
    const { keys, refused } = labelKeys();
    assert.throws(() => keys.id("", 5), /^Error: line 5: the label is empty; every row needs one$/);
    const given = labelKeys(["cat", "dog"]);
    assert.equal(given.keys.id("dog", 2), 0);
    assert.equal(given.keys.id("1", 3), 1); // a plain index below the count
    assert.throws(() => given.keys.id("cow", 4), /line 4: the label "cow" is none of the classes given/);
    assert.throws(() => given.keys.id("2", 6), /line 6: .* nor an index below 2/);
    assert.deepEqual([refused, given.refused], [[5], [4, 6]]);
    assert.deepEqual(given.keys.keys, ["dog", "1"]);
  });

  it("resolves the rows' ids into classes: plain integers as indices, other texts by rank", () => {
    const digits = labelKeys().keys;
    const ids = Int32Array.from(["3", "0", "2", "1", "3"], (k, i) => digits.id(k, i));
    assert.deepEqual(digits.resolve(ids, 5, "f.csv", "column 0"), {
      labels: Int32Array.from([3, 0, 2, 1, 3]),
      classNames: ["0", "1", "2", "3"],
    });
    const names = labelKeys().keys;
    const named = Int32Array.from(["dog", "cat", "emu", "cat"], (k, i) => names.id(k, i));
    assert.deepEqual(names.resolve(named, 3, "f.csv", "column 0"), {
      labels: Int32Array.from([1, 0, 2]),
      classNames: ["cat", "dog", "emu"],
    });
    const given = labelKeys(["b", "a"]).keys;
    const one = Int32Array.from(["a", "a"], (k, i) => given.id(k, i));
    assert.deepEqual(given.resolve(one, 2, "f.csv", "column 0"), {
      labels: Int32Array.from([1, 1]),
      classNames: ["b", "a"],
    });
  });
});
