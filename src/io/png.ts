// PNG in and out, through pngjs.
import { PNG } from "pngjs";
import { StackaeError } from "../errors.ts";
import type { GrayImage } from "../viz/tiles.ts";

export function encodePng(image: GrayImage): Uint8Array {
  const png = new PNG({ width: image.width, height: image.height });
  for (let i = 0; i < image.data.length; i++) {
    const v = image.data[i] as number;
    png.data[4 * i] = v;
    png.data[4 * i + 1] = v;
    png.data[4 * i + 2] = v;
    png.data[4 * i + 3] = 255;
  }
  return PNG.sync.write(png);
}

/** Decodes a PNG to grayscale (luma of RGB, composited over white where transparent). */
export function decodePngGray(bytes: Uint8Array, file: string): GrayImage {
  let png: PNG;
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (cause) {
    throw new StackaeError("ERR_DATA", `${file}: not a readable PNG image (${(cause as Error).message})`, { cause });
  }
  const data = new Uint8Array(png.width * png.height);
  for (let i = 0; i < data.length; i++) {
    const r = png.data[4 * i] as number;
    const g = png.data[4 * i + 1] as number;
    const b = png.data[4 * i + 2] as number;
    const a = (png.data[4 * i + 3] as number) / 255;
    data[i] = Math.round((0.299 * r + 0.587 * g + 0.114 * b) * a + 255 * (1 - a));
  }
  return { width: png.width, height: png.height, data };
}
