// The package root exports what the README shows.
import assert from "node:assert/strict";
import { it } from "node:test";
import * as stackae from "../src/index.ts";

it("exports the API the README documents", () => {
  for (const name of [
    "createBackend",
    "createSparseAutoencoderCost",
    "initSparseAutoencoder",
    "lbfgs",
    "sgd",
    "adam",
    "Rng",
    "createSoftmaxCost",
    "createStackCost",
    "checkGradient",
    "numericalGradient",
    "trainStackedAutoencoder",
    "resolveSettings",
    "defaultIterations",
    "predict",
    "accuracy",
    "confusionMatrix",
    "classificationReport",
    "hiddenFeatures",
    "encodeModel",
    "decodeModel",
    "saveModel",
    "loadModel",
    "loadModelOrCheckpoint",
    "loadModelOrCheckpointHeader",
    "decodeSafetensorsHeader",
    "readIdx",
    "StackaeError",
    "ShapeError",
    "ArgumentError",
    "DataError",
    "ModelFileError",
    "NumericalError",
    "NonFiniteModelError",
    "NonFiniteCheckpointError",
    "TensorValuesError",
    "enableRelaxedSimd",
  ]) {
    assert.equal(typeof (stackae as Record<string, unknown>)[name], "function", name);
  }
  assert.deepEqual(stackae.MINIBATCH_EPOCHS, { autoencoder: 10, softmax: 100, fineTune: 10 });
  assert.deepEqual(Object.keys(stackae.RECIPES), [...stackae.RECIPE_NAMES]);
  assert.deepEqual(stackae.RECIPE_NAMES, ["reference", "fast", "best"]);
});
