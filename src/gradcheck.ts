import { checkNumber, ShapeError } from "./errors.ts";
import { JsBackend } from "./linalg/js-backend.ts";
import { Rng } from "./linalg/rng.ts";
import { createDenoisingAutoencoderCost } from "./nn/denoising-autoencoder.ts";
import { fixedDropout, fixedMask } from "./nn/masking-noise.ts";
import type { Objective } from "./nn/objective.ts";
import { createSoftmaxCost, initSoftmax } from "./nn/softmax.ts";
import { createSparseAutoencoderCost, initSparseAutoencoder } from "./nn/sparse-autoencoder.ts";
import { createStackCost } from "./nn/stack.ts";
import { createTiedAutoencoderCost, initTiedAutoencoder } from "./nn/tied-autoencoder.ts";

/**
 * The central-difference gradient of SPEC §5: gᵢ = (J(θ + εeᵢ) − J(θ − εeᵢ)) / 2ε, in float64.
 * `f` must not keep `x`; x is restored before returning.
 */
export function numericalGradient(f: (x: Float64Array) => number, x: Float64Array, epsilon = 1e-4): Float64Array {
  checkNumber("epsilon", epsilon, { min: 0, minExclusive: true });
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const xi = x[i] as number;
    x[i] = xi + epsilon;
    const plus = f(x);
    x[i] = xi - epsilon;
    const minus = f(x);
    x[i] = xi;
    g[i] = (plus - minus) / (2 * epsilon);
  }
  return g;
}

/** ‖a − b‖ / ‖a + b‖ (0 when both are zero). */
export function relativeDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new ShapeError(`relativeDifference: lengths ${a.length} and ${b.length} differ`);
  let diff = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const ai = a[i] as number;
    const bi = b[i] as number;
    diff += (ai - bi) ** 2;
    sum += (ai + bi) ** 2;
  }
  return sum === 0 ? Math.sqrt(diff) : Math.sqrt(diff / sum);
}

export interface GradientCheck {
  /** ‖g − ∇J‖ / ‖g + ∇J‖ with g the numerical gradient. */
  relativeDifference: number;
  analytic: Float64Array;
  numerical: Float64Array;
}

/** Compares an objective's analytic gradient at θ with the numerical one (SPEC §5). */
export function checkGradient(objective: Objective, theta: Float64Array, epsilon = 1e-4): GradientCheck {
  const analytic = new Float64Array(theta.length);
  objective.cost(theta, analytic);
  const scratch = new Float64Array(theta.length);
  const numerical = numericalGradient((x) => objective.cost(x, scratch), Float64Array.from(theta), epsilon);
  return { relativeDifference: relativeDifference(numerical, analytic), analytic, numerical };
}

/** The threshold of SPEC §5. */
export const GRADIENT_CHECK_TOLERANCE = 1e-9;

export interface NamedGradientCheck {
  name: string;
  parameters: number;
  relativeDifference: number;
}

/**
 * The standard checks, in float64 on small models with random data and parameters: a sparse
 * autoencoder 64 → 25 on 10 examples, softmax on 8 features and 4 classes (20 examples), the
 * fine-tuning cost of a stack 4 → 3 → 5 with 2 classes on 5 examples; then the autoencoder's
 * variants (docs/denoising.md) on the same shapes: tied weights, denoising with one fixed mask
 * (30 % of the inputs masked) untied, without sparsity (β = 0), and tied; then fine-tuning's
 * regularisers on the stack's shape: weight decay of every encoder, and dropout of 20 % of the
 * inputs with one fixed mask (the others scaled by 1/0.8), and dropout of 30 % of the hidden
 * units with fixed masks.
 */
export function standardGradientChecks(seed = 1): NamedGradientCheck[] {
  const backend = new JsBackend("float64");
  const rng = new Rng(seed);
  const random = (rows: number, cols: number) =>
    backend.fromValues(
      rows,
      cols,
      Array.from({ length: rows * cols }, () => rng.uniform()),
    );
  const results: NamedGradientCheck[] = [];
  const run = (name: string, objective: Objective, init: (theta: Float64Array) => void) => {
    const theta = new Float64Array(objective.layout.length);
    init(theta);
    const { relativeDifference } = checkGradient(objective, theta);
    results.push({ name, parameters: theta.length, relativeDifference });
    objective.dispose();
  };

  const ae = createSparseAutoencoderCost(backend, random(10, 64), { hidden: 25, lambda: 3e-3, beta: 3, rho: 0.1 });
  run("sparse autoencoder 64→25, 10 examples", ae, (t) => initSparseAutoencoder(ae.layout, t, rng));

  const labels8 = Array.from({ length: 20 }, () => rng.int(4));
  const sm = createSoftmaxCost(backend, random(20, 8), labels8, { classes: 4, lambda: 1e-4 });
  run("softmax 8 features, 4 classes, 20 examples", sm, (t) => initSoftmax(t, rng));

  const stack = createStackCost(backend, random(5, 4), [0, 1, 1, 0, 1], { sizes: [4, 3, 5], classes: 2, lambda: 1e-4 });
  // Weights of order 1 so that every layer's gradient is far from zero.
  run("fine-tuning 4→3→5→softmax(2), 5 examples", stack, (t) => {
    for (let i = 0; i < t.length; i++) t[i] = rng.uniformIn(-1, 1);
  });

  const aeOptions = { hidden: 25, lambda: 3e-3, beta: 3, rho: 0.1 };
  const tied = createTiedAutoencoderCost(backend, random(10, 64), aeOptions);
  run("tied autoencoder 64→25, 10 examples", tied, (t) => initTiedAutoencoder(tied.layout, t, rng));
  const mask = () => fixedMask(Array.from({ length: 10 * 64 }, () => rng.uniform() >= 0.3));
  const variants: [string, Partial<typeof aeOptions>, boolean][] = [
    ["denoising autoencoder 64→25, corruption 0.3 (fixed mask), 10 examples", {}, false],
    ["denoising autoencoder 64→25, β = 0, corruption 0.3 (fixed mask), 10 examples", { beta: 0 }, false],
    ["tied denoising autoencoder 64→25, corruption 0.3 (fixed mask), 10 examples", {}, true],
  ];
  for (const [name, over, tiedWeights] of variants) {
    const X = random(10, 64);
    const dae = createDenoisingAutoencoderCost(backend, X, {
      ...aeOptions,
      ...over,
      corruption: mask(),
      tiedWeights,
    });
    const init = tiedWeights ? initTiedAutoencoder : initSparseAutoencoder;
    run(name, dae, (t) => init(dae.layout, t, rng));
  }

  const order1 = (t: Float64Array) => {
    for (let i = 0; i < t.length; i++) t[i] = rng.uniformIn(-1, 1);
  };
  const stackOptions = { sizes: [4, 3, 5], classes: 2, lambda: 1e-4 };
  const decayed = createStackCost(backend, random(5, 4), [0, 1, 1, 0, 1], { ...stackOptions, weightDecay: 1e-2 });
  run("fine-tuning 4→3→5→softmax(2), weight decay 0.01 on every encoder, 5 examples", decayed, order1);
  const dropped = createStackCost(backend, random(5, 4), [0, 1, 1, 0, 1], {
    ...stackOptions,
    weightDecay: 1e-2,
    corruption: fixedMask(
      Array.from({ length: 5 * 4 }, () => rng.uniform() >= 0.2),
      1 / 0.8,
    ),
  });
  run("fine-tuning 4→3→5→softmax(2), input dropout 0.2 (fixed mask) and weight decay, 5 examples", dropped, order1);
  const masks = [5 * 3, 5 * 5].map((n) => Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7)));
  const thinned = createStackCost(backend, random(5, 4), [0, 1, 1, 0, 1], {
    ...stackOptions,
    dropout: fixedDropout(masks),
  });
  run("fine-tuning 4→3→5→softmax(2), dropout 0.3 of the hidden units (fixed masks), 5 examples", thinned, order1);
  return results;
}
