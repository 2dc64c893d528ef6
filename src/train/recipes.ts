// Named sets of training settings, as Keras's and scikit-learn's defaults are: a recipe fills in
// what the caller does not give. The measurements behind each are in docs/recipes.md.
import type { PartialSettings } from "./settings.ts";

export type RecipeName = "reference" | "fast" | "best";
export const RECIPE_NAMES: readonly RecipeName[] = ["reference", "fast", "best"];

/**
 * - reference: SPEC §6's experiment, L-BFGS in every stage (the default).
 * - fast: adam for the autoencoders and fine-tuning, 10 epochs each (the softmax stays L-BFGS).
 * - best: the fastest settings measured to pass 98.5 % on MNIST's test set (docs/recipes.md).
 */
export const RECIPES: Readonly<Record<RecipeName, Readonly<PartialSettings>>> = {
  reference: {},
  fast: {
    autoencoder: { optimizer: "adam" },
    fineTune: { optimizer: "adam" },
  },
  best: {
    autoencoder: { optimizer: "adam" },
    fineTune: { optimizer: "adam", iterations: 30, schedule: "cosine" },
  },
};
