import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ArgumentError } from "../../src/errors.ts";
import { RECIPE_NAMES, RECIPES } from "../../src/train/recipes.ts";
import { resolveSettings } from "../../src/train/settings.ts";

describe("recipes", () => {
  it("reference is the default, SPEC §6, recorded as before recipes existed (no recipe key)", () => {
    const reference = resolveSettings({ recipe: "reference" });
    assert.deepEqual(reference, resolveSettings());
    assert.equal("recipe" in reference, false);
    assert.equal(
      JSON.stringify(reference),
      JSON.stringify(resolveSettings({})),
      "the same bytes in a model's metadata",
    );
  });

  it("fast: adam autoencoders, 3 epochs at 0.02; 50 L-BFGS iterations of the softmax; adam fine-tuning, 10 epochs at 0.003", () => {
    const s = resolveSettings({ recipe: "fast" });
    assert.equal(s.recipe, "fast");
    assert.deepEqual(
      [s.autoencoder.optimizer, s.autoencoder.iterations, s.autoencoder.learningRate],
      ["adam", 3, 0.02],
    );
    assert.deepEqual([s.softmax.optimizer, s.softmax.iterations], ["lbfgs", 50]);
    assert.deepEqual([s.fineTune.optimizer, s.fineTune.iterations, s.fineTune.learningRate], ["adam", 10, 0.003]);
    const given = resolveSettings({
      autoencoder: { optimizer: "adam", iterations: 3, learningRate: 0.02 },
      softmax: { iterations: 50 },
      fineTune: { optimizer: "adam", iterations: 10, learningRate: 0.003 },
    });
    assert.deepEqual({ ...s, recipe: undefined }, { ...given, recipe: undefined }, "the same settings given by hand");
    const adam = resolveSettings({ recipe: "fast", softmax: { optimizer: "adam" } });
    assert.equal(adam.softmax.iterations, 100, "another softmax optimiser takes its own default epochs");
  });

  it("best keeps the pretraining it was measured with: 10 adam epochs at adam's usual rate", () => {
    const s = resolveSettings({ recipe: "best" });
    assert.deepEqual(
      [s.autoencoder.optimizer, s.autoencoder.iterations, s.autoencoder.learningRate],
      ["adam", 10, undefined],
    );
  });

  it("best takes every value its table in RECIPES gives", () => {
    const s = resolveSettings({ recipe: "best" });
    assert.equal(s.recipe, "best");
    const given = RECIPES.best;
    for (const stage of ["autoencoder", "softmax", "fineTune"] as const) {
      for (const [key, value] of Object.entries(given[stage] ?? {})) {
        assert.deepEqual((s[stage] as unknown as Record<string, unknown>)[key], value, `${stage}.${key}`);
      }
    }
    if (given.layers) assert.deepEqual(s.layers, given.layers);
  });

  it("values given override the recipe's, stage by stage, and leave its other values", () => {
    const s = resolveSettings({ recipe: "best", fineTune: { iterations: 3 }, seed: 7, layers: [50] });
    assert.equal(s.fineTune.iterations, 3);
    assert.equal(s.fineTune.optimizer, RECIPES.best.fineTune?.optimizer);
    assert.equal(s.fineTune.schedule, RECIPES.best.fineTune?.schedule);
    assert.deepEqual([s.seed, s.layers], [7, [50]]);
    const undefinedGiven = resolveSettings({ recipe: "best", fineTune: { iterations: undefined } });
    assert.equal(undefinedGiven.fineTune.iterations, RECIPES.best.fineTune?.iterations, "undefined is not given");
  });

  it("an optimiser given in place of the recipe's drops the recipe's iterations, learning rate and schedule", () => {
    const s = resolveSettings({ recipe: "best", fineTune: { optimizer: "lbfgs" } });
    assert.deepEqual([s.fineTune.optimizer, s.fineTune.iterations], ["lbfgs", 400], "SPEC §6's L-BFGS iterations");
    assert.equal(s.fineTune.schedule, undefined);
    const kept = resolveSettings({ recipe: "best", fineTune: { optimizer: "sgd", iterations: 5 } });
    assert.equal(kept.fineTune.iterations, 5);
    const same = resolveSettings({ recipe: "best", fineTune: { optimizer: "adam" } });
    assert.equal(same.fineTune.iterations, RECIPES.best.fineTune?.iterations, "the recipe's own optimiser keeps them");
  });

  it("an unknown recipe is an ArgumentError naming the value and the choices", () => {
    assert.throws(
      () => resolveSettings({ recipe: "fastest" as never }),
      (e: unknown) =>
        e instanceof ArgumentError &&
        e.message === `recipe must be one of ${RECIPE_NAMES.join(", ")}, got "fastest"` &&
        RECIPE_NAMES.join() === "reference,fast,best",
    );
  });

  it("leave RECIPES as they were when settings are resolved and changed", () => {
    const before = JSON.stringify(RECIPES);
    const s = resolveSettings({ recipe: "best", fineTune: { iterations: 2 } });
    s.fineTune.iterations = 99;
    assert.equal(JSON.stringify(RECIPES), before);
  });
});

describe("fine-tuning's regularisers and the learning-rate schedule in settings", () => {
  it("are absent by default and when off, so that files without them stay as they were", () => {
    const off = resolveSettings({
      autoencoder: { schedule: "constant" },
      fineTune: { weightDecay: 0, inputDropout: 0, dropout: 0, schedule: "constant" },
    });
    assert.equal(JSON.stringify(off), JSON.stringify(resolveSettings()));
  });
  it("are kept where given, and checked, naming the field", () => {
    const s = resolveSettings({
      fineTune: { optimizer: "adam", weightDecay: 1e-4, inputDropout: 0.2, schedule: "cosine" },
    });
    assert.deepEqual([s.fineTune.weightDecay, s.fineTune.inputDropout, s.fineTune.schedule], [1e-4, 0.2, "cosine"]);
    assert.throws(() => resolveSettings({ fineTune: { inputDropout: 1 } }), /fineTune\.inputDropout must be .*got 1/);
    assert.throws(() => resolveSettings({ fineTune: { weightDecay: -1 } }), /fineTune\.weightDecay must be/);
    assert.throws(() => resolveSettings({ fineTune: { dropout: 1.5 } }), /fineTune\.dropout must be/);
    assert.throws(
      () => resolveSettings({ softmax: { schedule: "step" as never } }),
      /softmax\.schedule must be one of constant, cosine, linear, got "step"/,
    );
    assert.throws(
      () => resolveSettings({ softmax: { weightDecay: 1 } as never }),
      /softmax: unknown option "weightDecay"/,
    );
  });
});
