// Named sets of training settings, as Keras's and scikit-learn's defaults are: a recipe fills in
// what the caller does not give. The measurements behind each are in docs/recipes.md.
import type { PartialSettings } from "./settings.ts";

export type RecipeName = "reference" | "fast" | "best";
export const RECIPE_NAMES: readonly RecipeName[] = ["reference", "fast", "best"];

/**
 * - reference: SPEC §6's experiment, L-BFGS in every stage (the default).
 * - fast: adam for the autoencoders, 3 epochs each at twenty times adam's usual rate, 50 L-BFGS
 *   iterations of the softmax (it only starts fine-tuning), then 10 epochs of adam fine-tuning at
 *   three times its usual rate: chosen on 10,000 training images held out, three seeds, for the
 *   time it takes to reach a held-out accuracy (docs/recipes.md, "fast, third version"), where it
 *   got there about a quarter sooner than the second version with the same final accuracy.
 * - best: at least 98.5 % MNIST test accuracy within 120 s on 2 cores (docs/recipes.md): 10 epochs
 *   of adam for each autoencoder at its usual rate, then 50 epochs of fine-tuning at twice that
 *   rate with a cosine schedule, and dropout of 20 % of the inputs and 10 % of the hidden units.
 */
export const RECIPES: Readonly<Record<RecipeName, Readonly<PartialSettings>>> = {
  reference: {},
  fast: {
    autoencoder: { optimizer: "adam", iterations: 3, learningRate: 0.02 },
    softmax: { iterations: 50 },
    fineTune: { optimizer: "adam", iterations: 10, learningRate: 0.003 },
  },
  best: {
    autoencoder: { optimizer: "adam", iterations: 10 },
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
