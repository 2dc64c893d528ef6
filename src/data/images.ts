import { ArgumentError } from "../errors.ts";
import type { GrayImage } from "../viz/tiles.ts";

/**
 * A grayscale picture as a model input of rows × cols values in [0, 1], MNIST-style: resized by
 * area averaging when its size differs, and inverted when its border is mostly light (MNIST
 * digits are light strokes on a dark background; most drawings are the opposite).
 */
export function imageToInput(image: GrayImage, rows: number, cols: number): Float32Array {
  if (image.width < 1 || image.height < 1)
    throw new ArgumentError(`an image needs at least one pixel, got ${image.width} × ${image.height}`);
  let border = 0;
  let count = 0;
  for (let x = 0; x < image.width; x++) {
    border += (image.data[x] as number) + (image.data[(image.height - 1) * image.width + x] as number);
    count += 2;
  }
  for (let y = 0; y < image.height; y++) {
    border += (image.data[y * image.width] as number) + (image.data[y * image.width + image.width - 1] as number);
    count += 2;
  }
  const invert = border / count > 127;
  const out = new Float32Array(rows * cols);
  const sx = image.width / cols;
  const sy = image.height / rows;
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      // Average over the source rectangle [c·sx, (c+1)·sx) × [r·sy, (r+1)·sy), weighting partial pixels.
      let sum = 0;
      let weight = 0;
      const x0 = c * sx;
      const x1 = (c + 1) * sx;
      const y0 = r * sy;
      const y1 = (r + 1) * sy;
      for (let y = Math.floor(y0); y < Math.ceil(y1); y++) {
        const wy = Math.min(y + 1, y1) - Math.max(y, y0);
        for (let x = Math.floor(x0); x < Math.ceil(x1); x++) {
          const wx = Math.min(x + 1, x1) - Math.max(x, x0);
          sum += wx * wy * (image.data[y * image.width + x] as number);
          weight += wx * wy;
        }
      }
      const v = sum / weight / 255;
      out[r * cols + c] = invert ? 1 - v : v;
    }
  }
  return out;
}
