// Named sets of training settings, as Keras's and scikit-learn's defaults are: a recipe fills in
// what the caller does not give. The measurements behind each are in docs/recipes.md.
import type { PartialSettings } from "./settings.ts";

export type RecipeName = "reference" | "fast" | "best";
export const RECIPE_NAMES: readonly RecipeName[] = ["reference", "fast", "best"];

/**
 * - reference: SPEC §6's experiment, L-BFGS in every stage (the default).
 * - fast: adam for the autoencoders and fine-tuning, 10 epochs each (the softmax stays L-BFGS).
 * - best: at least 98.5 % MNIST test accuracy within 120 s on 2 cores (docs/recipes.md): fast's
 *   pretraining, then 50 epochs of fine-tuning at twice adam's usual rate with a cosine schedule,
 *   and dropout of 20 % of the inputs and 10 % of the hidden units.
 */
export const RECIPES: Readonly<Record<RecipeName, Readonly<PartialSettings>>> = {
  reference: {},
  fast: {
    autoencoder: { optimizer: "adam" },
    fineTune: { optimizer: "adam" },
  },
  best: {
    autoencoder: { optimizer: "adam" },
    fineTune: {
      optimizer: "adam",
      iterations: 50,
      learningRate: 0.002,
      schedule: "cosine",
      inputDropout: 0.2,
      dropout: 0.1,
    },
  },
};
