// Inputs as a model takes them: divided by the scale it records (io/model-data.ts).

/** The library's own scaling of bytes (inputsToMatrix: ÷ 255), which a model without a scale had. */
const PIXEL_SCALE = 255;

/**
 * `values` divided by the model's `inputScale` (undefined: bytes ÷ 255, floats as they are).
 * Bytes under the pixel scale are returned as they are, so that the library scales them as it
 * did for training: the same float32 inputs, bit for bit.
 */
export function scaledInputs(
  values: Uint8Array | Float32Array,
  inputScale: number | undefined,
): Uint8Array | Float32Array {
  const scale = inputScale ?? (values instanceof Uint8Array ? PIXEL_SCALE : 1);
  if ((values instanceof Uint8Array && scale === PIXEL_SCALE) || (values instanceof Float32Array && scale === 1))
    return values;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = (values[i] as number) / scale;
  return out;
}
