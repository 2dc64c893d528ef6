// PNG and JPEG pictures to grayscale, from bytes: pngjs and jpeg-js do the decoding (issue #27
// asks for well-kept decoders), after the size the header declares is checked (issue #30: the
// decoders allocate for it, whatever the file holds); this file turns their RGBA into luma. No
// file is read here.
import { imageSize } from "image-size";
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
 * Pictures of more pixels than this are refused before decoding: 64 megapixels (8000 × 8000),
 * above what cameras give (phones: 12 to 50), and what decodes in about 1 GB: pngjs and jpeg-js
 * hold 4 bytes of RGBA a pixel, jpeg-js its components besides, and the gray and ink 5 more.
 */
export const MAX_IMAGE_PIXELS = 64_000_000;

/** Most bytes one byte of deflate data inflates to (RFC 1951's longest match, 258 bytes, in 2 bits): zlib's 1032:1. */
const DEFLATE_MAX_RATIO = 1032;
/** Channels of each PNG colour type (PNG §11.2.2): gray, RGB, palette, gray + alpha, RGBA. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

/**
 * Refuses a picture whose header declares more pixels than MAX_IMAGE_PIXELS, or more than its
 * bytes can hold: a PNG's rows inflate from at most 1032 times the file's bytes; a JPEG codes each
 * 8 × 8 block of its largest component in at least one bit (its DC difference; 4 blocks of the
 * full size where components are subsampled oddly, to be safe). pngjs pads a short PNG with zeros
 * and jpeg-js decodes a short JPEG, each after allocating for the declared size: a 67-byte file
 * declaring 20000 × 20000 took gigabytes. A header whose size cannot be read is left to the decoder.
 */
function checkDeclaredSize(bytes: Uint8Array, format: ImageFormat, file: string): void {
  let width: number;
  let height: number;
  try {
    ({ width, height } = imageSize(bytes));
  } catch {
    return;
  }
  const name = format.toUpperCase();
  const says = `${file}: the ${name} header says ${width} × ${height} pixels`;
  if (width < 1 || height < 1)
    throw new DataError(`${says}: a picture has at least one pixel each way; it is damaged`, file);
  if (width * height > MAX_IMAGE_PIXELS) {
    throw new DataError(
      `${says}, more than stackae decodes (${MAX_IMAGE_PIXELS} pixels, e.g. 8000 × 8000): scale the picture down (a model's inputs are small)`,
      file,
    );
  }
  let least: number;
  if (format === "png") {
    const bits = (bytes[24] ?? 8) * (PNG_CHANNELS[bytes[25] ?? 0] ?? 1);
    least = (height * (1 + Math.ceil((width * bits) / 8))) / DEFLATE_MAX_RATIO;
  } else {
    least = (Math.ceil(width / 8) * Math.ceil(height / 8)) / 8 / 4;
  }
  if (bytes.length < least) {
    throw new DataError(
      `${file}: the ${name} file holds ${bytes.length} bytes, too few for ${width} × ${height} pixels (at least ${Math.ceil(least)}): it is truncated or damaged; replace it with a readable copy`,
      file,
    );
  }
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
  checkDeclaredSize(bytes, format, file);
  let rgba: { width: number; height: number; data: Uint8Array };
  try {
    rgba = format === "png" ? decodePngRgba(bytes) : decodeJpeg(bytes, JPEG_OPTIONS);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    if (/maxResolutionInMP|maxMemoryUsageInMB/.test(why)) {
      throw new DataError(
        `${file}: the JPEG picture is larger than stackae decodes (${why}; the limit is ${MAX_IMAGE_PIXELS} pixels): scale it down`,
        file,
        { cause },
      );
    }
    throw new DataError(
      `${file}: a damaged ${format.toUpperCase()} picture (${why}); remove it or replace it with a readable copy`,
      file,
      { cause },
    );
  }
  return rgbaToGray(rgba.data, rgba.width, rgba.height);
}

/**
 * jpeg-js checks these itself as it reads the frame header, where the size was not read above.
 * Its memory count covers its components' buffers and the RGBA: about 13 bytes a pixel at most.
 */
const JPEG_OPTIONS = {
  useTArray: true,
  formatAsRGBA: true,
  maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
  maxMemoryUsageInMB: Math.ceil((MAX_IMAGE_PIXELS * 13) / 2 ** 20),
} as const;

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
