// PNG and JPEG pictures to grayscale, from bytes: pngjs and jpeg-js do the decoding (issue #27
// asks for well-kept decoders), after the size the header declares is checked (issue #30: the
// decoders allocate for it, whatever the file holds); this file turns their RGBA into luma. No
// file is read here.
import { Unzlib } from "fflate";
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

/** Channels of each PNG colour type (PNG §11.2.2): gray, RGB, palette, gray + alpha, RGBA. */
const PNG_CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
/** Adam7's passes (PNG §8.2): first column and row, then steps across and down. */
const ADAM7 = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
];

/**
 * Refuses a picture whose header declares more pixels than MAX_IMAGE_PIXELS, or more than its
 * data holds. pngjs and jpeg-js allocate for the declared size first (a 67-byte PNG declaring
 * 20000 × 20000 took gigabytes), and pngjs takes a PNG whose data ends early, filling the rest
 * from memory it never wrote: so a PNG's data is inflated here, counted and dropped (fflate,
 * stopping at the size needed), before pngjs decodes it. A JPEG codes each 8 × 8 block of its
 * largest component in at least one bit (its DC difference; 4 blocks of the full size where
 * components are subsampled oddly, to be safe). A header whose size cannot be read is left to
 * the decoder.
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
  const short = (what: string) =>
    new DataError(
      `${file}: ${what}, too few for ${width} × ${height} pixels: it is truncated or damaged; replace it with a readable copy`,
      file,
    );
  if (format === "png") {
    const need = pngDataBytes(bytes, width, height);
    const found = inflatedUpTo(pngData(bytes), need);
    if (found < need) throw short(`the PNG's pixel data inflates to ${found} bytes of the ${need} its header needs`);
  } else {
    const least = (Math.ceil(width / 8) * Math.ceil(height / 8)) / 8 / 4;
    if (bytes.length < least)
      throw short(`the JPEG file holds ${bytes.length} bytes (at least ${Math.ceil(least)} needed)`);
  }
}

/** The bytes a PNG's pixel data inflates to: each row of each (Adam7) pass with its filter byte. */
function pngDataBytes(bytes: Uint8Array, width: number, height: number): number {
  const bits = (bytes[24] ?? 8) * (PNG_CHANNELS[bytes[25] ?? 0] ?? 1);
  const rows = (w: number, h: number) => (w > 0 && h > 0 ? h * (1 + Math.ceil((w * bits) / 8)) : 0);
  if (bytes[28] !== 1) return rows(width, height);
  return ADAM7.reduce(
    (sum, [x0, y0, dx, dy]) =>
      sum +
      rows(Math.ceil((width - (x0 as number)) / (dx as number)), Math.ceil((height - (y0 as number)) / (dy as number))),
    0,
  );
}

/** The data of a PNG's IDAT chunks, in order, as far as the chunk lengths hold. */
function pngData(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const parts: Uint8Array[] = [];
  for (let at = 8; at + 12 <= bytes.length; ) {
    const length = view.getUint32(at);
    if (at + 12 + length > bytes.length) break;
    if (view.getUint32(at + 4) === 0x49444154) parts.push(bytes.subarray(at + 8, at + 8 + length)); // "IDAT"
    at += 12 + length;
  }
  return parts;
}

/** How many bytes the zlib stream in `parts` inflates to, counting no further than `need`. */
function inflatedUpTo(parts: Uint8Array[], need: number): number {
  let found = 0;
  const enough = new Error("enough");
  const inflater = new Unzlib((chunk) => {
    found += chunk.length;
    if (found >= need) throw enough;
  });
  try {
    for (const part of parts) inflater.push(part);
    inflater.push(new Uint8Array(0), true);
  } catch {
    // Enough, or a damaged stream: what it gave until then is counted.
  }
  return Math.min(found, need);
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
