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
