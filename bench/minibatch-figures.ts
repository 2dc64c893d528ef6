// What the minibatch benchmark reads from each run: the time to a test accuracy, and the ratios
// of stackae's times to a peer's. Pure functions of the runs' JSON, unit-tested in test/bench/.

/** The test accuracy after one epoch of fine-tuning (stackae) or of training (a peer). */
export interface EpochPoint {
  /** Counted from 1. */
  epoch: number;
  /** Seconds of training from the start to the end of this epoch, the test evaluations left out. */
  seconds: number;
  accuracy: number;
}

/** What bench/minibatch-stackae.ts and each peer print: one run of the recipe's network. */
export interface MinibatchRun {
  label: string;
  threads: number;
  epochs: EpochPoint[];
  /** Training from start to end, the test evaluations left out; a peer's is its last epoch's seconds. */
  totalSeconds: number;
  peakMemoryMiB: number | null;
  /** stackae: the test accuracy of the pretrained stack, before fine-tuning. */
  accuracyBeforeFineTuning?: number;
  /** stackae: each stage's seconds, as its report gives them. */
  stages?: { name: string; seconds: number }[];
  /** stackae: the epochs of each stage (the softmax's L-BFGS iterations). */
  epochsPerStage?: { autoencoder: number; softmaxLbfgsIterations: number; fineTune: number };
  /** How the run's threads were pinned, in words. */
  pinning?: string;
}

/** Test accuracies the benchmark reports the time to reach. */
export const THRESHOLDS = [0.975, 0.98] as const;

/**
 * Seconds of training until the end of the first epoch whose test accuracy reached `threshold`;
 * null when no epoch did. The test set is evaluated only at epochs' ends, so this is an upper
 * bound of the moment the accuracy was first reached.
 */
export function timeToAccuracy(epochs: readonly EpochPoint[], threshold: number): number | null {
  const hit = epochs.find((e) => e.accuracy >= threshold);
  return hit === undefined ? null : hit.seconds;
}

/** The test accuracy after the last epoch; null for a run without epochs. */
export function finalAccuracy(run: MinibatchRun): number | null {
  return run.epochs.at(-1)?.accuracy ?? null;
}

/** a ÷ b, null when either is missing. */
export function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a / b;
}

/** The row of the minibatch table for one run: times to each threshold, final accuracy, total. */
export interface RunFigures {
  label: string;
  /** Seconds to 97.5 % and to 98 %, in THRESHOLDS' order (null: not reached). */
  timeTo: (number | null)[];
  finalAccuracy: number | null;
  totalSeconds: number;
  peakMemoryMiB: number | null;
}

export function runFigures(run: MinibatchRun): RunFigures {
  return {
    label: run.label,
    timeTo: THRESHOLDS.map((t) => timeToAccuracy(run.epochs, t)),
    finalAccuracy: finalAccuracy(run),
    totalSeconds: run.totalSeconds,
    peakMemoryMiB: run.peakMemoryMiB,
  };
}

/**
 * Whether `ours` reached 98 % ahead of `peer`: true when the peer reached it later; when the peer
 * never did, true only if the peer trained at least as long as ours took (else its run says
 * nothing of whether it would have: null). False when ours never did.
 */
export function aheadOf(ours: RunFigures, peer: RunFigures): boolean | null {
  const mine = ours.timeTo[1] ?? null;
  const theirs = peer.timeTo[1] ?? null;
  if (mine === null) return false;
  if (theirs !== null) return mine < theirs;
  return peer.totalSeconds >= mine ? true : null;
}

/** The stack's network and data, for counting its products' work. */
export interface NetworkShape {
  /** Training examples, inputs per example, hidden units of each layer, classes. */
  m: number;
  n: number;
  hidden: readonly [number, number];
  classes: number;
  /** Fraction of the inputs that are non-zero (MNIST: 0.19): the products with X may skip the rest. */
  density: number;
}

/** The faster recipe's network and schedule. */
export interface RecipeShape extends NetworkShape {
  /** Epochs of each autoencoder; L-BFGS iterations of the softmax (each at least one evaluation). */
  autoencoderEpochs: number;
  softmaxIterations: number;
}

/**
 * Floating-point operations per training example of one evaluation of each stage's cost,
 * counted as low as they can be: 2·rows·inner·outer a product, those with X over its non-zeros
 * only. `features`: the softmax's inputs, once, through both encoders.
 */
export function productFlopsPerExample(s: NetworkShape) {
  const [h1, h2] = s.hidden;
  const x = s.n * s.density;
  return {
    // Encode and ∇W1 over X's non-zeros; decode, ∇W2 and Δ3·W2 dense.
    autoencoder1: 2 * h1 * (2 * x + 3 * s.n),
    autoencoder2: 2 * h2 * 5 * h1,
    features: 2 * (x * h1 + h1 * h2),
    softmax: 2 * 2 * h2 * s.classes,
    // Forward and back through n-h1-h2-classes, the two products with X over its non-zeros.
    fineTune: 2 * (2 * x * h1 + 3 * h1 * h2 + 3 * h2 * s.classes),
  };
}

/**
 * Floating-point operations of the recipe's products up to the end of fine-tuning epoch
 * `fineTuneEpochs` (productFlopsPerExample's count), the softmax at one evaluation per iteration.
 * Element-wise passes, optimiser steps and gathers are left out: the products alone, at a rate
 * no product beats, give a floor under the recipe's time.
 */
export function recipeProductFlops(r: RecipeShape, fineTuneEpochs: number): number {
  const f = productFlopsPerExample(r);
  const pretraining = r.autoencoderEpochs * (f.autoencoder1 + f.autoencoder2);
  return r.m * (pretraining + f.features + r.softmaxIterations * f.softmax + fineTuneEpochs * f.fineTune);
}
