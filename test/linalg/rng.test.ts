import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { Rng } from "../../src/linalg/rng.ts";

describe("Rng", () => {
  it("is reproducible from its seed, and different seeds differ", () => {
    const a = Array.from({ length: 5 }, () => new Rng(42).uniform());
    assert.equal(new Set(a).size, 1);
    assert.notEqual(new Rng(1).uniform(), new Rng(2).uniform());
  });
  it("uniform draws lie in [0, 1) with mean ½ and variance 1/12", () => {
    const r = new Rng(5);
    const n = 200000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const u = r.uniform();
      assert.ok(u >= 0 && u < 1);
      s += u;
      s2 += u * u;
    }
    assert.ok(Math.abs(s / n - 0.5) < 0.005);
    assert.ok(Math.abs(s2 / n - (s / n) ** 2 - 1 / 12) < 0.002);
  });
  it("normal draws have mean 0 and variance 1", () => {
    const r = new Rng(6);
    const n = 200000;
    let s = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s += z;
      s2 += z * z;
    }
    assert.ok(Math.abs(s / n) < 0.01);
    assert.ok(Math.abs(s2 / n - 1) < 0.01);
  });
  it("saves and restores its whole state", () => {
    const r = new Rng(9);
    r.normal();
    const saved = r.state;
    const next = [r.normal(), r.uniform(), r.normal()];
    r.state = saved;
    assert.deepEqual([r.normal(), r.uniform(), r.normal()], next);
  });
  it("shuffles into a permutation", () => {
    const a = new Rng(1).shuffle(Int32Array.from({ length: 100 }, (_, i) => i));
    assert.deepEqual(
      Array.from(a).sort((x, y) => x - y),
      Array.from({ length: 100 }, (_, i) => i),
    );
  });
  it("rejects a seed that is not a 32-bit unsigned integer", () => {
    assert.throws(() => new Rng(-1), ArgumentError);
    assert.throws(() => new Rng(1.5), /seed must be an integer/);
  });
});
