// The IDX format of the MNIST files (SPEC §9): a big-endian header — two zero bytes, a type
// byte, the number of dimensions, then each dimension as a 32-bit integer — then the values.
// stackae reads unsigned-byte files (type 0x08): magic 2051 for images (3 dims), 2049 for labels.
import { DataError } from "../errors.ts";

export interface IdxArray {
  /** The dimensions from the header, e.g. [60000, 28, 28]. */
  dims: number[];
  /** The values, unsigned bytes, row-major. */
  data: Uint8Array;
}

const TYPE_NAMES: Record<number, string> = {
  8: "unsigned byte",
  9: "signed byte",
  11: "int16",
  12: "int32",
  13: "float32",
  14: "float64",
};

/** True when the bytes start like a gzip stream (1f 8b), whatever the file is called. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an uncompressed IDX file. `name` is used in error messages. Checks the magic number,
 * that `expectDims` (when given) matches the number of dimensions, and that the header's
 * dimensions account for exactly the file's length. The data is a view of `bytes`, not a copy.
 */
export function parseIdx(bytes: Uint8Array, name: string, expectDims?: number): IdxArray {
  if (bytes.length < 4) {
    throw new DataError(
      `${name}: ${bytes.length} bytes is too short for an IDX file (its header alone is at least 8 bytes)`,
      name,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  const type = bytes[2] as number;
  const ndim = bytes[3] as number;
  if (bytes[0] !== 0 || bytes[1] !== 0 || !(type in TYPE_NAMES) || ndim === 0) {
    throw new DataError(
      `${name}: not an IDX file (magic number 0x${magic.toString(16).padStart(8, "0")}; expected 0x00000803 = 2051 for images or 0x00000801 = 2049 for labels)`,
      name,
    );
  }
  if (type !== 0x08) {
    throw new DataError(
      `${name}: holds ${TYPE_NAMES[type]} values (IDX type 0x${type.toString(16)}); stackae reads unsigned-byte IDX files (type 0x08)`,
      name,
    );
  }
  if (expectDims !== undefined && ndim !== expectDims) {
    const expected = expectDims === 3 ? "2051 (images: count × rows × cols)" : `${0x800 + expectDims}`;
    throw new DataError(`${name}: magic number ${magic} has ${ndim} dimension(s); expected ${expected}`, name);
  }
  const headerBytes = 4 + 4 * ndim;
  if (bytes.length < headerBytes) {
    throw new DataError(
      `${name}: truncated header: ${ndim} dimensions need ${headerBytes} bytes, the file has ${bytes.length}`,
      name,
    );
  }
  const dims: number[] = [];
  let count = 1;
  for (let i = 0; i < ndim; i++) {
    const d = view.getUint32(4 + 4 * i, false);
    dims.push(d);
    count *= d;
  }
  if (dims.slice(1).includes(0)) {
    throw new DataError(
      `${name}: the header says ${dims.join(" × ")}: items of no values; each dimension after the count must be at least 1 (an images file's rows and columns)`,
      name,
    );
  }
  const expected = headerBytes + count;
  if (bytes.length !== expected) {
    throw new DataError(
      `${name}: the header says ${dims.join(" × ")} = ${count} values (${expected} bytes with the header), but the file has ${bytes.length} bytes${bytes.length < expected ? ": it is truncated" : ""}`,
      name,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Encodes an unsigned-byte IDX file (used by tests and by tools that write data sets). */
export function encodeIdx(dims: readonly number[], data: Uint8Array): Uint8Array {
  const count = dims.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new DataError(`encodeIdx: dimensions ${dims.join(" × ")} need ${count} values, got ${data.length}`);
  const out = new Uint8Array(4 + 4 * dims.length + data.length);
  const view = new DataView(out.buffer);
  out[2] = 0x08;
  out[3] = dims.length;
  for (const [i, d] of dims.entries()) view.setUint32(4 + 4 * i, d, false);
  out.set(data, 4 + 4 * dims.length);
  return out;
}
