import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import {
  defaultIterations,
  MAX_PENALTY,
  MINIBATCH_EPOCHS,
  resolveSettings,
  SPEC_SETTINGS,
} from "../../src/train/settings.ts";

describe("settings", () => {
  it("default to SPEC §6", () => {
    const s = resolveSettings();
    assert.deepEqual(s.layers, [200, 200]);
    assert.deepEqual(
      [s.autoencoder.rho, s.autoencoder.lambda, s.autoencoder.beta, s.autoencoder.iterations, s.autoencoder.optimizer],
      [0.1, 3e-3, 3, 400, "lbfgs"],
    );
    assert.deepEqual([s.softmax.lambda, s.softmax.iterations], [1e-4, 100]);
    assert.deepEqual([s.fineTune.lambda, s.fineTune.iterations], [1e-4, 400]);
    assert.deepEqual(s, resolveSettings({}));
    assert.notEqual(s.layers, SPEC_SETTINGS.layers, "a copy, not the defaults themselves");
  });
  it("give adam and sgd stages epochs of their own unless told, and keep iterations that are given", () => {
    // SPEC §6's 400 L-BFGS iterations as epochs would be a run of hours.
    const adam = resolveSettings({ autoencoder: { optimizer: "adam" }, fineTune: { optimizer: "sgd" } });
    assert.deepEqual(
      [adam.autoencoder.iterations, adam.softmax.iterations, adam.fineTune.iterations],
      [10, 100, 10],
      "the softmax stays L-BFGS with its 100 iterations",
    );
    assert.equal(adam.softmax.optimizer, "lbfgs");
    const all = resolveSettings({ softmax: { optimizer: "adam" } });
    assert.equal(all.softmax.iterations, MINIBATCH_EPOCHS.softmax);
    const given = resolveSettings({ autoencoder: { optimizer: "adam", iterations: 400 }, fineTune: { iterations: 7 } });
    assert.deepEqual([given.autoencoder.iterations, given.fineTune.iterations], [400, 7]);
    assert.equal(resolveSettings({ fineTune: { optimizer: "sgd", iterations: undefined } }).fineTune.iterations, 10);
    for (const stage of ["autoencoder", "softmax", "fineTune"] as const) {
      assert.equal(defaultIterations(stage, "lbfgs"), SPEC_SETTINGS[stage].iterations);
    }
  });
  it("reject unknown keys and bad values, naming them", () => {
    assert.throws(
      () => resolveSettings({ autoencoder: { sparsity: 1 } as never }),
      /autoencoder: unknown option "sparsity"/,
    );
    assert.throws(() => resolveSettings({ autoencoder: { rho: 1 } }), /autoencoder\.rho must be .* \(0, 1\), got 1/);
    assert.throws(
      () => resolveSettings({ softmax: { optimizer: "newton" as never } }),
      /softmax\.optimizer must be one of lbfgs, adam, sgd, got "newton"/,
    );
    assert.throws(() => resolveSettings({ layers: [200, 0] }), /layers\[1\] must be an integer/);
    assert.throws(() => resolveSettings({ fineTune: { iterations: -1 } }), ArgumentError);
  });
  it("bound weight decay and the sparsity weight, naming the field (1e308 ended in a non-finite cost blamed on the inputs)", () => {
    for (const [over, field, value] of [
      [{ autoencoder: { lambda: 1e308 } }, "autoencoder\\.lambda", "1e\\+308"],
      [{ autoencoder: { beta: 1e300 } }, "autoencoder\\.beta", "1e\\+300"],
      [{ softmax: { lambda: 2e6 } }, "softmax\\.lambda", "2000000"],
      [{ fineTune: { lambda: 1e7 } }, "fineTune\\.lambda", "10000000"],
    ] as const) {
      assert.throws(
        () => resolveSettings(over),
        (e: Error) =>
          e instanceof ArgumentError &&
          new RegExp(`^${field} must be a finite number in \\[0, 1000000\\], got ${value}$`).test(e.message),
      );
    }
    assert.equal(MAX_PENALTY, 1e6);
    assert.equal(resolveSettings({ autoencoder: { lambda: 1e6, beta: 1e6 } }).autoencoder.beta, 1e6);
  });
});
