// PNG in and out, through pngjs.
import { PNG } from "pngjs";
import { StackaeError } from "../errors.ts";
import type { GrayImage } from "../viz/tiles.ts";

export function encodePng(image: GrayImage): Uint8Array {
  // 8-bit grayscale, a quarter of RGBA's size: the HTML report inlines these.
  const gray = { colorType: 0, inputColorType: 0, inputHasAlpha: false } as const;
  const png = new PNG({ width: image.width, height: image.height, ...gray });
  png.data = Buffer.from(image.data.buffer, image.data.byteOffset, image.data.byteLength);
  return PNG.sync.write(png, gray);
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
