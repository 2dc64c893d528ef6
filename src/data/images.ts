import { ArgumentError } from "../errors.ts";
import type { GrayImage } from "../viz/tiles.ts";

/**
 * A grayscale picture as a model input of rows × cols values in [0, 1], MNIST-style: resized by
 * area averaging when its size differs, and inverted when its border is mostly light (MNIST
 * digits are light strokes on a dark background; most drawings are the opposite).
 */
export function imageToInput(image: GrayImage, rows: number, cols: number): Float32Array {
  return resizeArea(inkOf(image), image.width, image.height, cols, rows);
}

/**
 * A drawn digit prepared as MNIST's digits were (LeCun et al., 1998): the bounding box of the ink
 * scaled, keeping its aspect, to fit a box of 20/28 of the input, then placed so that its centre
 * of mass is at the centre of the rows × cols input. A picture with no ink gives zeros.
 */
export function digitToInput(image: GrayImage, rows = 28, cols = 28): Float32Array {
  const ink = inkOf(image);
  const w = image.width;
  let [left, top, right, bottom] = [w, image.height, -1, -1];
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < w; x++) {
      if ((ink[y * w + x] as number) > 0.1) {
        left = Math.min(left, x);
        right = Math.max(right, x);
        top = Math.min(top, y);
        bottom = Math.max(bottom, y);
      }
    }
  }
  const out = new Float32Array(rows * cols);
  if (right < 0) return out;
  const bw = right - left + 1;
  const bh = bottom - top + 1;
  const crop = new Float32Array(bw * bh);
  for (let y = 0; y < bh; y++) crop.set(ink.subarray((top + y) * w + left, (top + y) * w + left + bw), y * bw);
  const scale = Math.min((cols * 20) / 28 / bw, (rows * 20) / 28 / bh);
  const pw = Math.max(1, Math.round(bw * scale));
  const ph = Math.max(1, Math.round(bh * scale));
  const patch = resizeArea(crop, bw, bh, pw, ph);
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = 0; y < ph; y++) {
    for (let x = 0; x < pw; x++) {
      const v = patch[y * pw + x] as number;
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  const clamp = (v: number, hi: number) => Math.min(Math.max(v, 0), hi);
  // MNIST's centres of mass sit on pixel (14, 14) of 28 × 28, counting from 0: 14.5 in the
  // continuous coordinates used here (measured: 13.99 and 14.01 on average over its test images).
  const ox = clamp(Math.round(cols / 2 + 0.5 - mx / mass), cols - pw);
  const oy = clamp(Math.round(rows / 2 + 0.5 - my / mass), rows - ph);
  for (let y = 0; y < ph; y++) out.set(patch.subarray(y * pw, (y + 1) * pw), (oy + y) * cols + ox);
  return out;
}

/** The ink of each pixel in [0, 1]: gray values scaled, inverted when the border is mostly light. */
function inkOf(image: GrayImage): Float32Array {
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
  return Float32Array.from(image.data, (v) => (invert ? 255 - v : v) / 255);
}

/** Resizes a w × h image (row-major) to outW × outH by averaging over each output pixel's area. */
export function resizeArea(src: Float32Array, w: number, h: number, outW: number, outH: number): Float32Array {
  const out = new Float32Array(outW * outH);
  const sx = w / outW;
  const sy = h / outH;
  for (let r = 0; r < outH; r++) {
    for (let c = 0; c < outW; c++) {
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
          sum += wx * wy * (src[y * w + x] as number);
          weight += wx * wy;
        }
      }
      out[r * outW + c] = sum / weight;
    }
  }
  return out;
}
