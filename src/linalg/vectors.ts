// The vector kernels that an optimiser may take from a backend (`Backend.vectors`), their plain
// JavaScript forms, and the argument checks that decide between the two. They live with the
// kernels, not with the optimisers, so that the backends need nothing from src/optim/.
import type { FloatArray } from "./matrix.ts";

/** Dot product and axpy over plain arrays of x's precision, for an optimiser's own vector work. */
export interface VectorOps {
  dot(x: FloatArray, y: FloatArray): number;
  /** y += alpha · x */
  axpy(alpha: number, x: FloatArray, y: FloatArray): void;
  /**
   * Σ|x| in float64, its terms added in any order (so its last bits may differ from a sum in
   * order): NaN or ±∞ where some element is. The minibatch optimisers' check of each gradient.
   */
  sumAbs?(x: FloatArray): number;
  /**
   * A zeroed float32 vector of n elements where `dot` and `axpy` run fastest (in a backend's own
   * memory), for the optimiser's working vectors and history. An optimiser that takes vectors
   * here hands each back with `release` before it returns; arrays it reported in a progress
   * state are valid until then.
   */
  zeros?(n: number): Float32Array;
  /** As `zeros`, a float64 vector: for moments that an optimiser keeps in float64 (Adam's). */
  zeros64?(n: number): Float64Array;
  release?(v: Float32Array | Float64Array): void;
  /**
   * d = −H·g by L-BFGS's two-loop recursion over the pairs S[i], Y[i] (oldest first) with
   * ρᵢ = 1/(yᵢᵀsᵢ) and the initial scaling hDiag, in one call: the arithmetic of `dot` and
   * `axpy` in the recursion's order, up to the order in which partial sums are added. Returns
   * false, leaving d as it was, where it cannot take these arrays (the optimiser then runs the
   * recursion with `dot` and `axpy`).
   */
  twoLoop?(
    g: FloatArray,
    S: readonly FloatArray[],
    Y: readonly FloatArray[],
    rho: readonly number[],
    hDiag: number,
    d: FloatArray,
  ): boolean;
  /**
   * Adam's step over every element, in float64 as `adam` computes it, bit for bit:
   * m ← β1·m + (1 − β1)·g, v ← β2·v + (1 − β2)·g², x ← x − stepPerM·m / (√(v·perV) + ε).
   * Returns false, leaving every array as it was, where it cannot take these arrays (the
   * optimiser then runs its own loop).
   */
  adamStep?(x: FloatArray, g: FloatArray, m: Float64Array, v: Float64Array, step: AdamCoefficients): boolean;
  /**
   * SGD's step over every element, as `sgd` computes it, bit for bit: v ← μ·v − η·g (computed in
   * float64, stored in v's precision), x ← x + v, or with Nesterov x ← x + μ·v − η·g, with the
   * float64 v. Returns false, leaving every array as it was, where it cannot take these arrays.
   */
  sgdStep?(x: FloatArray, g: FloatArray, v: FloatArray, step: SgdCoefficients): boolean;
}

/** The scalars of one Adam step: the betas and ε, and the bias corrections folded into two factors. */
export interface AdamCoefficients {
  beta1: number;
  beta2: number;
  epsilon: number;
  /** η / (1 − β1ᵗ) */
  stepPerM: number;
  /** 1 / (1 − β2ᵗ) */
  perV: number;
}

/** The scalars of one SGD step: the momentum μ, the learning rate η, and Nesterov's form or not. */
export interface SgdCoefficients {
  momentum: number;
  rate: number;
  nesterov: boolean;
}

/** Σ xᵢ·yᵢ, accumulated in float64 whatever the arrays' precision. */
export function dot(x: FloatArray, y: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) * (y[i] as number);
  return s;
}

/** y += alpha · x */
export function axpy(alpha: number, x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) y[i] = (y[i] as number) + alpha * (x[i] as number);
}

/** Σ|xᵢ|, accumulated in float64 in order. */
export function sumAbs(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i] as number);
  return s;
}

/**
 * A backend's vector kernels over the arrays it can take (`takes`: float32, `takes64`: float64;
 * the wasm backend's only where they are in its memory). Lengths are checked before any call.
 */
export interface VectorKernels {
  takes(v: FloatArray): v is Float32Array;
  takes64(v: FloatArray): v is Float64Array;
  dot(x: Float32Array, y: Float32Array): number;
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  sumAbs(x: Float32Array): number;
  twoLoop(
    g: Float32Array,
    S: readonly Float32Array[],
    Y: readonly Float32Array[],
    rho: readonly number[],
    hDiag: number,
    d: Float32Array,
  ): void;
  adamStep(x: Float32Array, g: Float32Array, m: Float64Array, v: Float64Array, step: AdamCoefficients): void;
  sgdStep(x: Float32Array, g: Float32Array, v: Float32Array, step: SgdCoefficients): void;
}

/**
 * VectorOps over a backend's kernels: each call runs its kernel where the kernel takes every
 * array, of matching lengths; otherwise dot, axpy and sumAbs run in JavaScript, and the steps
 * and the recursion return false for the optimiser to run its own loops.
 */
export function kernelVectorOps(k: VectorKernels): VectorOps {
  return {
    dot: (x, y) => (k.takes(x) && k.takes(y) ? k.dot(x, y) : dot(x, y)),
    sumAbs: (x) => (k.takes(x) ? k.sumAbs(x) : sumAbs(x)),
    axpy: (alpha, x, y) => {
      if (k.takes(x) && k.takes(y)) k.axpy(alpha, x, y);
      else axpy(alpha, x, y);
    },
    twoLoop: (g, S, Y, rho, hDiag, d) => {
      const n = g.length;
      const mine = (v: FloatArray): v is Float32Array => k.takes(v) && v.length === n;
      const pairs = (V: readonly FloatArray[]): V is readonly Float32Array[] => V.every(mine);
      if (!(mine(g) && mine(d) && pairs(S) && pairs(Y) && Y.length === S.length && rho.length === S.length)) {
        return false;
      }
      k.twoLoop(g, S, Y, rho, hDiag, d);
      return true;
    },
    adamStep: (x, g, m, v, c) => {
      const n = x.length;
      if (!(k.takes(x) && k.takes(g) && k.takes64(m) && k.takes64(v))) return false;
      if (!(g.length === n && m.length === n && v.length === n)) return false;
      k.adamStep(x, g, m, v, c);
      return true;
    },
    sgdStep: (x, g, v, c) => {
      const n = x.length;
      if (!(k.takes(x) && k.takes(g) && k.takes(v) && g.length === n && v.length === n)) return false;
      k.sgdStep(x, g, v, c);
      return true;
    },
  };
}
