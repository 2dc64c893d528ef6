import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { defaultIterations, MINIBATCH_EPOCHS, resolveSettings, SPEC_SETTINGS } from "../../src/train/settings.ts";

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
});
