// NumPy's .npy format, version 1.0 (numpy.lib.format, NEP 1): the magic "\x93NUMPY", the
// version bytes 1 0, a little-endian uint16 header length H, H bytes of a Python dict literal
// {'descr': '<f4', 'fortran_order': False, 'shape': (m, n), } padded with spaces and ended by a
// newline so that the data starts at a multiple of 64 bytes, then the data, C order.
// Written by hand: the format is this small, and npm's npy packages (npyjs: "Parse npy files
// in JS") read it rather than write it.
import { ArgumentError, StackaeError } from "../errors.ts";

/** The arrays written, and their NumPy type strings. */
export type NpyArray = Float32Array | Int32Array | Uint8Array;

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
/** numpy.lib.format.ARRAY_ALIGN: the data's offset is a multiple of this. */
const ALIGN = 64;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function descrOf(data: NpyArray): string {
  if (data instanceof Float32Array) return "<f4";
  if (data instanceof Int32Array) return "<i4";
  return "|u1"; // one byte: no byte order
}

/** A shape as Python writes a tuple: (), (5,), (2, 3). */
function pythonTuple(shape: readonly number[]): string {
  return shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(", ")})`;
}

/**
 * `data` (C order, row-major) as the bytes of a .npy file of the given shape, which
 * `numpy.load` reads as an array of that shape and dtype float32, int32 or uint8.
 */
export function encodeNpy(data: NpyArray, shape: readonly number[]): Uint8Array {
  if (!(data instanceof Float32Array || data instanceof Int32Array || data instanceof Uint8Array))
    throw new ArgumentError(`encodeNpy: data must be a Float32Array, Int32Array or Uint8Array`);
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0)
      throw new ArgumentError(`encodeNpy: shape ${JSON.stringify(shape)} must be whole numbers ≥ 0, got ${d}`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new ArgumentError(`encodeNpy: shape ${pythonTuple(shape)} holds ${count} values, data has ${data.length}`);
  const dict = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${pythonTuple(shape)}, }`;
  // Magic (6) + version (2) + length (2) + dict + padding + "\n" is a multiple of ALIGN.
  const headerLength = Math.ceil((10 + dict.length + 1) / ALIGN) * ALIGN - 10;
  if (headerLength > 0xffff) throw new ArgumentError(`encodeNpy: shape ${pythonTuple(shape)} is too long a header`);
  const header = `${dict.padEnd(headerLength - 1, " ")}\n`;
  const out = new Uint8Array(10 + headerLength + data.byteLength);
  out.set(MAGIC, 0);
  out[6] = 1;
  out[7] = 0;
  out[8] = headerLength & 0xff;
  out[9] = headerLength >> 8;
  for (let i = 0; i < headerLength; i++) out[10 + i] = header.charCodeAt(i); // ASCII only
  writeLittleEndian(data, out, 10 + headerLength);
  return out;
}

function writeLittleEndian(data: NpyArray, out: Uint8Array, offset: number): void {
  if (LITTLE_ENDIAN || data instanceof Uint8Array) {
    out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), offset);
    return;
  }
  const view = new DataView(out.buffer, out.byteOffset + offset);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(4 * i, data[i] as number, true);
    else view.setInt32(4 * i, data[i] as number, true);
  }
}

/**
 * The array in .npy bytes of version 1.0 or 2.0, C order, dtype float32, int32 or uint8
 * (what encodeNpy writes); other files are refused, naming `file`.
 */
export function decodeNpy(bytes: Uint8Array, file = "the .npy data"): { data: NpyArray; shape: number[] } {
  const fail = (why: string) => new StackaeError("ERR_DATA", `${file}: ${why}`);
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw fail("not a .npy file (no \\x93NUMPY magic)");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const major = bytes[6] as number;
  if (major !== 1 && major !== 2) throw fail(`.npy version ${major}.${bytes[7]} is not read (1.0 and 2.0 are)`);
  const start = major === 1 ? 10 : 12;
  const length = major === 1 ? view.getUint16(8, true) : view.getUint32(8, true);
  if (start + length > bytes.length) throw fail(`the header of ${length} bytes runs past the end of the file`);
  const header = String.fromCharCode(...bytes.subarray(start, start + length));
  const descr = /'descr':\s*'([^']*)'/.exec(header)?.[1];
  const fortran = /'fortran_order':\s*(True|False)/.exec(header)?.[1];
  const shapeText = /'shape':\s*\(([^)]*)\)/.exec(header)?.[1];
  if (descr === undefined || fortran === undefined || shapeText === undefined)
    throw fail(`the header ${JSON.stringify(header.trim())} lacks descr, fortran_order or shape`);
  if (fortran === "True") throw fail("Fortran-order arrays are not read; save with C order");
  const shape = shapeText
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "")
    .map(Number);
  const count = shape.reduce((a, b) => a * b, 1);
  const type = { "<f4": Float32Array, "<i4": Int32Array, "|u1": Uint8Array, "<u1": Uint8Array }[descr];
  if (type === undefined) throw fail(`dtype ${descr} is not read (<f4, <i4 and |u1 are)`);
  const body = bytes.subarray(start + length);
  if (body.length !== count * type.BYTES_PER_ELEMENT)
    throw fail(
      `shape ${pythonTuple(shape)} of ${descr} needs ${count * type.BYTES_PER_ELEMENT} bytes, found ${body.length}`,
    );
  const data = new type(count);
  const bodyView = new DataView(body.buffer, body.byteOffset, body.byteLength);
  for (let i = 0; i < count; i++) {
    if (data instanceof Float32Array) data[i] = bodyView.getFloat32(4 * i, true);
    else if (data instanceof Int32Array) data[i] = bodyView.getInt32(4 * i, true);
    else data[i] = body[i] as number;
  }
  return { data, shape };
}
