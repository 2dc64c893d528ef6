// PNG and JPEG pictures to grayscale, from bytes: pngjs and jpeg-js do the decoding (issue #27
// asks for well-kept decoders); this file only turns their RGBA into luma. No file is read here.
import { decode as decodeJpeg } from "jpeg-js";
import { PNG } from "pngjs";
import { DataError } from "../errors.ts";
import type { GrayImage } from "../viz/tiles.ts";

/** The formats a picture's first bytes say it is in. */
export type ImageFormat = "png" | "jpeg";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
// SOI (FF D8) followed by the first marker's FF: every JPEG starts so (ITU T.81 §B.1.1.3).
const JPEG_SIGNATURE = [0xff, 0xd8, 0xff];

/** The format of a picture from its first bytes (not its name), or undefined for neither. */
export function imageFormat(bytes: Uint8Array): ImageFormat | undefined {
  const startsWith = (sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (startsWith(PNG_SIGNATURE)) return "png";
  if (startsWith(JPEG_SIGNATURE)) return "jpeg";
  return undefined;
}

/**
 * A PNG or JPEG picture as 8-bit gray: luma 0.299 R + 0.587 G + 0.114 B (ITU-R BT.601), the
 * transparent part composited over white, as src/io/png.ts's decodePngGray does for `predict`.
 * `file` names the picture in the DataError thrown when it cannot be decoded.
 */
export function decodeImageGray(bytes: Uint8Array, file: string): GrayImage {
  const format = imageFormat(bytes);
  if (format === undefined) {
    const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, "0")).join(" ");
    throw new DataError(
      `${file}: not a PNG or JPEG picture (it starts with bytes ${head || "(none: the file is empty)"}); ` +
        "remove it or replace it with a readable copy",
      file,
    );
  }
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    rgba = format === "png" ? decodePngRgba(bytes) : decodeJpeg(bytes, { useTArray: true, formatAsRGBA: true });
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new DataError(
      `${file}: a damaged ${format.toUpperCase()} picture (${why}); remove it or replace it with a readable copy`,
      file,
      { cause },
    );
  }
  return rgbaToGray(rgba.data, rgba.width, rgba.height);
}

function decodePngRgba(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  // pngjs reads a Node Buffer; this views the same memory without copying.
  const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  return { width: png.width, height: png.height, data: png.data };
}

/** RGBA (width·height·4 bytes) to gray, alpha over white. */
export function rgbaToGray(rgba: Uint8Array, width: number, height: number): GrayImage {
  const data = new Uint8Array(width * height);
  for (let i = 0; i < data.length; i++) {
    const r = rgba[4 * i] as number;
    const g = rgba[4 * i + 1] as number;
    const b = rgba[4 * i + 2] as number;
    const a = (rgba[4 * i + 3] as number) / 255;
    data[i] = Math.round((0.299 * r + 0.587 * g + 0.114 * b) * a + 255 * (1 - a));
  }
  return { width, height, data };
}
