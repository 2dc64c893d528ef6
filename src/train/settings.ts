import { ArgumentError, checkKeys, checkNumber } from "../errors.ts";

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
}

export interface AutoencoderSettings extends StageSettings {
  /** Sparsity weight β. */
  beta: number;
  /** Sparsity target ρ. */
  rho: number;
}

export interface TrainSettings {
  /** Hidden units of each autoencoder, bottom first. */
  layers: number[];
  autoencoder: AutoencoderSettings;
  softmax: StageSettings;
  fineTune: StageSettings;
  seed: number;
}

/** The reference experiment, SPEC §6. */
export const SPEC_SETTINGS: TrainSettings = {
  layers: [200, 200],
  autoencoder: { optimizer: "lbfgs", iterations: 400, lambda: 3e-3, beta: 3, rho: 0.1, batchSize: 256 },
  softmax: { optimizer: "lbfgs", iterations: 100, lambda: 1e-4, batchSize: 256 },
  fineTune: { optimizer: "lbfgs", iterations: 400, lambda: 1e-4, batchSize: 256 },
  seed: 1,
};

export type PartialSettings = {
  layers?: number[];
  autoencoder?: Partial<AutoencoderSettings>;
  softmax?: Partial<StageSettings>;
  fineTune?: Partial<StageSettings>;
  seed?: number;
};

const STAGE_KEYS = ["optimizer", "iterations", "lambda", "batchSize", "learningRate"];

function stage<S extends StageSettings>(name: string, base: S, over: Partial<S> | undefined, extra: string[] = []): S {
  checkKeys(name, over ?? {}, [...STAGE_KEYS, ...extra]);
  const s = { ...base, ...Object.fromEntries(Object.entries(over ?? {}).filter(([, v]) => v !== undefined)) } as S;
  if (!OPTIMIZERS.includes(s.optimizer)) {
    throw new ArgumentError(
      `${name}.optimizer must be one of ${OPTIMIZERS.join(", ")}, got ${JSON.stringify(s.optimizer)}`,
    );
  }
  checkNumber(`${name}.iterations`, s.iterations, { integer: true, min: 0 });
  checkNumber(`${name}.lambda`, s.lambda, { min: 0 });
  checkNumber(`${name}.batchSize`, s.batchSize, { integer: true, min: 1 });
  if (s.learningRate !== undefined) checkNumber(`${name}.learningRate`, s.learningRate, { min: 0, minExclusive: true });
  return s;
}

/** SPEC §6's settings with `over` applied, every value checked; unknown keys are rejected. */
export function resolveSettings(over: PartialSettings = {}): TrainSettings {
  checkKeys("settings", over, ["layers", "autoencoder", "softmax", "fineTune", "seed"]);
  const layers = over.layers ?? [...SPEC_SETTINGS.layers];
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new ArgumentError(`layers must list at least one hidden size, got ${JSON.stringify(layers)}`);
  }
  layers.forEach((h, i) => {
    checkNumber(`layers[${i}]`, h, { integer: true, min: 1 });
  });
  const autoencoder = stage("autoencoder", SPEC_SETTINGS.autoencoder, over.autoencoder, ["beta", "rho"]);
  checkNumber("autoencoder.beta", autoencoder.beta, { min: 0 });
  checkNumber("autoencoder.rho", autoencoder.rho, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  return {
    layers: [...layers],
    autoencoder,
    softmax: stage("softmax", SPEC_SETTINGS.softmax, over.softmax),
    fineTune: stage("fineTune", SPEC_SETTINGS.fineTune, over.fineTune),
    seed: checkNumber("seed", over.seed ?? SPEC_SETTINGS.seed, { integer: true, min: 0, max: 2 ** 32 - 1 }),
  };
}
