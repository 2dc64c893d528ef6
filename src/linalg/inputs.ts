// Examples into a backend matrix, the one convention every consumer shares: float values as
// they are, unsigned-byte pixels scaled to [0, 1]; and the check that they are finite.
import { DataError } from "../errors.ts";
import type { Backend } from "./backend.ts";
import type { FloatArray, Matrix } from "./matrix.ts";

/**
 * Examples as an m × n matrix in the backend's memory: float values are copied as they are,
 * unsigned-byte pixels are scaled to [0, 1] on the way in (no intermediate float copy).
 */
export function inputsToMatrix<T extends FloatArray>(
  backend: Backend<T>,
  m: number,
  n: number,
  inputs: FloatArray | Uint8Array,
): Matrix<T> {
  const X = backend.zeros(m, n);
  if (inputs instanceof Uint8Array) scalePixels(inputs, X.data);
  else X.data.set(inputs);
  return X;
}

/**
 * Throws DataError at the first NaN or infinite input, naming `what`, the example and the value's
 * place in it. Unsigned-byte pixels are always finite and are not scanned.
 */
export function checkFiniteInputs(inputs: FloatArray | Uint8Array, n: number, what = "inputs"): void {
  if (inputs instanceof Uint8Array) return;
  for (let i = 0; i < inputs.length; i++) {
    const v = inputs[i] as number;
    if (v - v !== 0) {
      throw new DataError(
        `${what} hold ${v} at example ${Math.floor(i / n)}, value ${i % n}: every input must be a finite number; clean or drop that example`,
      );
    }
  }
}

/** out[i] = pixels[i] / 255. */
export function scalePixels(pixels: Uint8Array, out: FloatArray): void {
  for (let i = 0; i < pixels.length; i++) out[i] = (pixels[i] as number) / 255;
}
