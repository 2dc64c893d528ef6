// Masking noise (Vincent et al., 2008): the corruption of a denoising autoencoder's input. Each
// value of each example is set to 0 with probability P, independently, afresh at every draw.
import { ArgumentError, checkNumber, ShapeError } from "../errors.ts";
import type { FloatArray } from "../linalg/matrix.ts";
import type { Rng } from "../linalg/rng.ts";

/** Writes a corrupted copy X̃ of X (same length) into `out`. */
export interface Corruption {
  corrupt(X: FloatArray, out: FloatArray): void;
}

/** Checks a corruption level P, in [0, 1). */
export function checkCorruption(name: string, p: number): number {
  return checkNumber(name, p, { min: 0, max: 1, maxExclusive: true });
}

/**
 * Masking noise of level `p` drawn from `rng`: X̃ᵢⱼ = 0 with probability p, else Xᵢⱼ. A value
 * that is already 0 stays 0 whatever its mask: no number is drawn for it, so MNIST's 81 % zeros
 * cost nothing, and the draws depend only on the data and the generator's state (a resumed run
 * draws the same masks).
 */
export function maskingNoise(p: number, rng: Rng): Corruption {
  checkCorruption("corruption", p);
  // One 32-bit draw per value: it is masked when below p · 2³².
  const below = p * 2 ** 32;
  return {
    corrupt(X, out) {
      if (out.length !== X.length) throw new ShapeError(`corrupt: ${X.length} values into ${out.length}`);
      for (let i = 0; i < X.length; i++) {
        const x = X[i] as number;
        out[i] = x !== 0 && rng.nextUint32() < below ? 0 : x;
      }
    },
  };
}

/**
 * Dropout of the inputs (Srivastava et al., 2014), as PyTorch's nn.Dropout(p) in training: the
 * masking noise of `maskingNoise`, the values kept divided by 1 − p so that each keeps its
 * expected value, and a network trained on X̃ sees inputs of the same scale as X at test time.
 */
export function inputDropout(p: number, rng: Rng): Corruption {
  checkCorruption("inputDropout", p);
  const below = p * 2 ** 32;
  const keep = 1 / (1 - p);
  return {
    corrupt(X, out) {
      if (out.length !== X.length) throw new ShapeError(`corrupt: ${X.length} values into ${out.length}`);
      for (let i = 0; i < X.length; i++) {
        const x = X[i] as number;
        out[i] = x !== 0 && rng.nextUint32() < below ? 0 : x * keep;
      }
    },
  };
}

/**
 * One fixed mask (1 or true: keep, 0 or false: set to 0) applied at every draw, the values kept
 * times `scale` (inputDropout's 1/(1 − p)), for gradient checks: with it the cost is a
 * deterministic function of the parameters.
 */
export function fixedMask(keep: ArrayLike<number | boolean>, scale = 1): Corruption {
  if (keep.length === 0) throw new ArgumentError("fixedMask: the mask is empty");
  const mask = Uint8Array.from(Array.from(keep, (k) => (k ? 1 : 0)));
  return {
    corrupt(X, out) {
      if (X.length !== mask.length || out.length !== mask.length) {
        throw new ShapeError(`fixedMask: a mask of ${mask.length} values for data of ${X.length}`);
      }
      for (let i = 0; i < X.length; i++) out[i] = mask[i] ? (X[i] as number) * scale : 0;
    },
  };
}

/**
 * Dropout of hidden units (Srivastava et al., 2014): for each layer's activations, a mask of 0
 * (dropped) and 1/(1 − p) (kept) values, as PyTorch's nn.Dropout(p) multiplies them by in training.
 */
export interface DropoutMasks {
  /** Writes the mask of hidden layer `layer` (from 1), one value per activation, into `out`. */
  draw(layer: number, out: Float32Array): void;
}

/** Masks drawn from `rng`: each value dropped with probability p, one 32-bit draw a value. */
export function hiddenDropout(p: number, rng: Rng): DropoutMasks {
  checkCorruption("dropout", p);
  const below = p * 2 ** 32;
  const keep = 1 / (1 - p);
  return {
    draw(_layer, out) {
      for (let i = 0; i < out.length; i++) out[i] = rng.nextUint32() < below ? 0 : keep;
    },
  };
}

/** The same masks at every draw (layer l: masks[l − 1]), for gradient checks. */
export function fixedDropout(masks: readonly ArrayLike<number>[]): DropoutMasks {
  return {
    draw(layer, out) {
      const mask = masks[layer - 1];
      if (!mask || mask.length !== out.length) {
        throw new ShapeError(`fixedDropout: no mask of ${out.length} values for layer ${layer}`);
      }
      out.set(Array.from(mask));
    },
  };
}
