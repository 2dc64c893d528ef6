import { ArgumentError, checkKeys, checkNumber } from "../errors.ts";
import { RECIPE_NAMES, RECIPES, type RecipeName } from "./recipes.ts";

export type OptimizerName = "lbfgs" | "adam" | "sgd";
export const OPTIMIZERS: readonly OptimizerName[] = ["lbfgs", "adam", "sgd"];

/** How one stage is optimised. */
export interface StageSettings {
  optimizer: OptimizerName;
  /** L-BFGS iterations, or epochs for adam and sgd. */
  iterations: number;
  /** Weight decay λ. */
  lambda: number;
  /** Examples per step (adam, sgd). */
  batchSize: number;
  /** Base learning rate (adam, sgd); the optimiser's default when undefined. */
  learningRate?: number | undefined;
  /**
   * How the learning rate falls over the stage's steps (adam, sgd), as PyTorch's CosineAnnealingLR
   * (to 0) or LinearLR (to 0): η·½(1 + cos(πt/T)) or η·(1 − t/T) at step t of T; absent: constant.
   */
  schedule?: LearningRateSchedule;
}

export type LearningRateSchedule = "constant" | "cosine" | "linear";
export const SCHEDULES: readonly LearningRateSchedule[] = ["constant", "cosine", "linear"];

/** Fine-tuning's settings: a stage's, and two regularisers that are off by default (absent). */
export interface FineTuneSettings extends StageSettings {
  /**
   * Weight decay on every encoder's weights W1…WL during fine-tuning, (wd/2)·Σ‖Wl‖², beside λ's on
   * θ (PyTorch's weight_decay, as an L2 term of the cost); biases are not decayed. Absent: none,
   * as in UFLDL.
   */
  weightDecay?: number;
  /**
   * Dropout of the inputs during fine-tuning (Srivastava et al. 2014): each input value is set to
   * 0 with probability p and the others are divided by 1 − p, as PyTorch's nn.Dropout does, with
   * a new mask at every evaluation drawn from the run's generator. Absent: none.
   */
  inputDropout?: number;
  /**
   * Dropout of every hidden layer's units during fine-tuning, as `inputDropout` does to the
   * inputs: each activation set to 0 with probability p, the others divided by 1 − p. Absent: none.
   */
  dropout?: number;
}

export interface AutoencoderSettings extends StageSettings {
  /** Sparsity weight β. */
  beta: number;
  /** Sparsity target ρ. */
  rho: number;
  /** Masking noise P in (0, 1) of a denoising autoencoder (docs/denoising.md); absent: none. */
  corruption?: number;
  /** Decoders tied to their encoders, W2 = W1ᵀ (docs/denoising.md); absent: untied. */
  tiedWeights?: boolean;
}

export interface TrainSettings {
  /** Hidden units of each autoencoder, bottom first. */
  layers: number[];
  autoencoder: AutoencoderSettings;
  softmax: StageSettings;
  fineTune: FineTuneSettings;
  seed: number;
  /** The recipe (recipes.ts) these settings started from; absent: the reference experiment. */
  recipe?: RecipeName;
}

/** The reference experiment, SPEC §6. */
export const SPEC_SETTINGS: TrainSettings = {
  layers: [200, 200],
  autoencoder: { optimizer: "lbfgs", iterations: 400, lambda: 3e-3, beta: 3, rho: 0.1, batchSize: 256 },
  softmax: { optimizer: "lbfgs", iterations: 100, lambda: 1e-4, batchSize: 256 },
  fineTune: { optimizer: "lbfgs", iterations: 400, lambda: 1e-4, batchSize: 256 },
  seed: 1,
};

export type StageName = "autoencoder" | "softmax" | "fineTune";

/**
 * Epochs of a stage optimised by adam or sgd when it is given no iterations. SPEC §6's counts are
 * L-BFGS iterations: as epochs they would make a run of hours. These reach the recipe's accuracy
 * in well under a minute (docs/performance.md, "Faster recipes"); the softmax, convex and cheap,
 * gets more epochs so that it comes closer to what 100 L-BFGS iterations reach (10 epochs left it
 * at 72 % before fine-tuning).
 */
export const MINIBATCH_EPOCHS: Readonly<Record<StageName, number>> = { autoencoder: 10, softmax: 100, fineTune: 10 };

/** The iterations a stage runs when none are given: SPEC §6's for L-BFGS, else `MINIBATCH_EPOCHS`. */
export function defaultIterations(stage: StageName, optimizer: OptimizerName): number {
  return optimizer === "lbfgs" ? SPEC_SETTINGS[stage].iterations : MINIBATCH_EPOCHS[stage];
}

/**
 * The largest weight decay λ and sparsity weight β taken: far above any useful value (SPEC §6's
 * are 3e-3, 1e-4 and 3), where the penalty already outweighs the data's cost by more than float32
 * resolves, so the data no longer moves the weights. Larger ones (1e308) made the first cost
 * infinite, which was blamed on the inputs.
 */
export const MAX_PENALTY = 1e6;

export type PartialSettings = {
  /** Start from this recipe's settings (recipes.ts) instead of the reference experiment's; the rest overrides them. */
  recipe?: RecipeName;
  layers?: number[];
  autoencoder?: Partial<AutoencoderSettings>;
  softmax?: Partial<StageSettings>;
  fineTune?: Partial<FineTuneSettings>;
  seed?: number;
};

const STAGE_KEYS = ["optimizer", "iterations", "lambda", "batchSize", "learningRate", "schedule"];

function stage<S extends StageSettings>(name: StageName, over: Partial<S> | undefined, extra: string[] = []): S {
  checkKeys(name, over ?? {}, [...STAGE_KEYS, ...extra]);
  const given = Object.fromEntries(Object.entries(over ?? {}).filter(([, v]) => v !== undefined)) as Partial<S>;
  const s = { ...(SPEC_SETTINGS[name] as S), ...given };
  if (!OPTIMIZERS.includes(s.optimizer)) {
    throw new ArgumentError(
      `${name}.optimizer must be one of ${OPTIMIZERS.join(", ")}, got ${JSON.stringify(s.optimizer)}`,
    );
  }
  if (given.iterations === undefined) s.iterations = defaultIterations(name, s.optimizer);
  checkNumber(`${name}.iterations`, s.iterations, { integer: true, min: 0 });
  checkNumber(`${name}.lambda`, s.lambda, { min: 0, max: MAX_PENALTY });
  checkNumber(`${name}.batchSize`, s.batchSize, { integer: true, min: 1 });
  if (s.learningRate !== undefined) checkNumber(`${name}.learningRate`, s.learningRate, { min: 0, minExclusive: true });
  if (s.schedule !== undefined) {
    if (!SCHEDULES.includes(s.schedule)) {
      throw new ArgumentError(
        `${name}.schedule must be one of ${SCHEDULES.join(", ")}, got ${JSON.stringify(s.schedule)}`,
      );
    }
    // Constant is the optimisers' default: left out, so that files without a schedule stay as they were.
    if (s.schedule === "constant") delete s.schedule;
  }
  return s;
}

/**
 * SPEC §6's settings with `over` applied, every value checked; unknown keys are rejected. A stage
 * given adam or sgd and no iterations runs `MINIBATCH_EPOCHS` epochs.
 */
export function resolveSettings(given: PartialSettings = {}): TrainSettings {
  checkKeys("settings", given, ["recipe", "layers", "autoencoder", "softmax", "fineTune", "seed"]);
  const recipe = checkRecipe(given.recipe);
  const over = withRecipe(RECIPES[recipe], given);
  const layers = over.layers ?? [...SPEC_SETTINGS.layers];
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new ArgumentError(`layers must list at least one hidden size, got ${JSON.stringify(layers)}`);
  }
  layers.forEach((h, i) => {
    checkNumber(`layers[${i}]`, h, { integer: true, min: 1 });
  });
  const autoencoder = stage<AutoencoderSettings>("autoencoder", over.autoencoder, [
    "beta",
    "rho",
    "corruption",
    "tiedWeights",
  ]);
  checkNumber("autoencoder.beta", autoencoder.beta, { min: 0, max: MAX_PENALTY });
  checkNumber("autoencoder.rho", autoencoder.rho, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  checkVariants(autoencoder);
  const fineTune = stage<FineTuneSettings>("fineTune", over.fineTune, ["weightDecay", "inputDropout", "dropout"]);
  checkRegularisers(fineTune);
  return {
    layers: [...layers],
    autoencoder,
    softmax: stage("softmax", over.softmax),
    fineTune,
    seed: checkNumber("seed", over.seed ?? SPEC_SETTINGS.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
    // The reference experiment's settings are recorded as they were before recipes existed.
    ...(recipe === "reference" ? {} : { recipe }),
  };
}

/** A recipe's name, checked (undefined: the reference experiment). */
function checkRecipe(recipe: unknown): RecipeName {
  if (recipe === undefined) return "reference";
  if (!RECIPE_NAMES.includes(recipe as RecipeName)) {
    throw new ArgumentError(`recipe must be one of ${RECIPE_NAMES.join(", ")}, got ${JSON.stringify(recipe)}`);
  }
  return recipe as RecipeName;
}

/**
 * A recipe's settings with `over`'s given values in their place, stage by stage (a value that is
 * undefined is not given). A stage whose optimiser `over` changes drops the recipe's iterations,
 * learning rate and schedule, which were meant for the recipe's optimiser: it then takes that
 * optimiser's defaults, unless `over` gives them too.
 */
export function withRecipe(recipe: PartialSettings, over: PartialSettings): PartialSettings {
  const merged: PartialSettings = { ...recipe, ...defined(over) };
  delete merged.recipe;
  for (const name of ["autoencoder", "softmax", "fineTune"] as const) {
    const base = { ...(recipe[name] ?? {}) } as Partial<AutoencoderSettings & FineTuneSettings>;
    const mine = defined(over[name] ?? {});
    if (mine.optimizer !== undefined && mine.optimizer !== (base.optimizer ?? SPEC_SETTINGS[name].optimizer)) {
      delete base.iterations;
      delete base.learningRate;
      delete base.schedule;
    }
    if (recipe[name] !== undefined || over[name] !== undefined)
      (merged as Record<string, unknown>)[name] = { ...base, ...mine };
  }
  return merged;
}

/** `o` without its undefined values. */
function defined<O extends object>(o: O): Partial<O> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<O>;
}

/** Checks fine-tuning's weight decay and dropouts, and leaves them out where they are off (0). */
function checkRegularisers(s: FineTuneSettings): void {
  if (s.weightDecay !== undefined) {
    checkNumber("fineTune.weightDecay", s.weightDecay, { min: 0, max: MAX_PENALTY });
    if (s.weightDecay === 0) delete s.weightDecay;
  }
  if (s.inputDropout !== undefined) {
    checkNumber("fineTune.inputDropout", s.inputDropout, { min: 0, max: 1, maxExclusive: true });
    if (s.inputDropout === 0) delete s.inputDropout;
  }
  if (s.dropout !== undefined) {
    checkNumber("fineTune.dropout", s.dropout, { min: 0, max: 1, maxExclusive: true });
    if (s.dropout === 0) delete s.dropout;
  }
}

/**
 * Checks the denoising and tied settings, and leaves them out where they are off (corruption 0,
 * tiedWeights false), so that the settings of a run without them, and the files that record
 * them, are those of a run before they existed.
 */
function checkVariants(s: AutoencoderSettings): void {
  if (s.corruption !== undefined) {
    checkNumber("autoencoder.corruption", s.corruption, { min: 0, max: 1, maxExclusive: true });
    if (s.corruption === 0) delete s.corruption;
  }
  if (s.tiedWeights !== undefined) {
    if (typeof s.tiedWeights !== "boolean") {
      throw new ArgumentError(`autoencoder.tiedWeights must be true or false, got ${JSON.stringify(s.tiedWeights)}`);
    }
    if (!s.tiedWeights) delete s.tiedWeights;
  }
}
