import assert from "node:assert/strict";
import { it } from "node:test";
import { formatSeconds, plural } from "../../src/cli/progress.ts";

it("plural counts in the singular only for one", () => {
  assert.equal(plural(1, "epoch"), "1 epoch");
  assert.equal(plural(0, "step"), "0 steps");
  assert.equal(plural(2, "iteration"), "2 iterations");
  assert.equal(plural(1200, "step"), "1,200 steps");
});

it("formatSeconds rounds to seconds, then minutes and hours", () => {
  assert.equal(formatSeconds(0.4), "0 s");
  assert.equal(formatSeconds(59.4), "59 s");
  assert.equal(formatSeconds(61), "1 min 1 s");
  assert.equal(formatSeconds(3725), "1 h 2 min");
  assert.equal(formatSeconds(Number.NaN), "?");
});
