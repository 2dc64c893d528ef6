// The safetensors format: an 8-byte little-endian header length N, N bytes of JSON
// { name: { dtype, shape, data_offsets: [begin, end] }, "__metadata__": { key: string } },
// then the tensor bytes, little-endian, offsets relative to the end of the header.
// Every field of a file is checked before it is trusted: lengths are bounded before anything
// is allocated, offsets must lie in range, in order, without overlap or gaps.
import { visit } from "jsonc-parser";
import { StackaeError } from "../errors.ts";

/** A model file that is not valid safetensors, or not a stackae model. */
export class ModelFileError extends StackaeError {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super("ERR_MODEL_FILE", `${file}: ${message}`, options);
    this.file = file;
  }
}

/** The dtypes stackae writes and reads, with their sizes in bytes. */
const DTYPE_BYTES: Record<string, number> = { F32: 4, F64: 8, I32: 4 };
const KNOWN_DTYPES = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"];

/** Headers larger than this are refused before anything is allocated. */
export const MAX_HEADER_BYTES = 16 * 1024 * 1024;

export type TensorData = Float32Array | Float64Array | Int32Array;

export interface Tensor {
  dtype: "F32" | "F64" | "I32";
  shape: number[];
  data: TensorData;
}

/** The dtype of a typed array, and a tensor of it (a vector unless `shape` is given). */
export function tensor(data: TensorData, shape: number[] = [data.length]): Tensor {
  const dtype = data instanceof Float32Array ? "F32" : data instanceof Float64Array ? "F64" : "I32";
  return { dtype, shape, data };
}

export interface Safetensors {
  tensors: Map<string, Tensor>;
  metadata: Record<string, string>;
}

/** Encodes tensors (in the order given) and string metadata. The data start is 8-byte aligned. */
export function encodeSafetensors(tensors: [string, Tensor][], metadata: Record<string, string> = {}): Uint8Array {
  return concatBytes(safetensorsParts(tensors, metadata));
}

/** The parts one after the other in one new array. */
export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, p) => sum + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The bytes of a safetensors file as consecutive parts: the header, then each tensor's data
 * (on little-endian machines a view of the tensor, not a copy), for writing without one big buffer.
 */
export function safetensorsParts(tensors: [string, Tensor][], metadata: Record<string, string> = {}): Uint8Array[] {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  for (const [name, t] of tensors) {
    const bytes = t.data.byteLength;
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length || DTYPE_BYTES[t.dtype] !== t.data.BYTES_PER_ELEMENT) {
      throw new StackaeError(
        "ERR_SHAPE",
        `tensor ${name}: shape [${t.shape}] and dtype ${t.dtype} do not fit ${t.data.length} values`,
      );
    }
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((8 + new TextEncoder().encode(json).length) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const head = new Uint8Array(8 + headerBytes.length);
  new DataView(head.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  head.set(headerBytes, 8);
  return [head, ...tensors.map(([, t]) => littleEndianBytes(t.data))];
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function littleEndianBytes(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(bytes.length);
  const view = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) {
    if (data instanceof Float32Array) view.setFloat32(i * 4, data[i] as number, true);
    else if (data instanceof Float64Array) view.setFloat64(i * 8, data[i] as number, true);
    else view.setInt32(i * 4, data[i] as number, true);
  }
  return out;
}

/** A tensor as the header describes it: dtype, shape and its bytes' range within the data. */
export interface TensorEntry {
  dtype: Tensor["dtype"];
  shape: number[];
  /** Offsets from the start of the data (the end of the header). */
  begin: number;
  end: number;
}

/** The header of a safetensors file, checked against the file's length. */
export interface SafetensorsHeader {
  tensors: Map<string, TensorEntry>;
  metadata: Record<string, string>;
  /** Where the tensors' data begins in the file: 8 + the header's length. */
  dataStart: number;
}

/**
 * Decodes and checks the header of a safetensors file of `fileLength` bytes; `head` holds the
 * file's first bytes: 8, or the whole header where those 8 give a length that fits the file.
 * Every check of `decodeSafetensors` but for the data itself is made here: offsets in range, in
 * order, without overlap or gaps, covering the data, and shapes that fit dtypes stackae reads.
 */
export function decodeSafetensorsHeader(head: Uint8Array, fileLength: number, file: string): SafetensorsHeader {
  const bad = (message: string) => new ModelFileError(file, message);
  const { header, dataStart } = headerJson(head, fileLength, file);
  const dataLength = fileLength - dataStart;
  let metadata: Record<string, string> = {};
  const entries: NamedEntry[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === "__metadata__") metadata = metadataOf(value, bad);
    else entries.push(entryOf(name, value, dataLength, bad));
  }
  entries.sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of entries) {
    if (e.begin !== expected) {
      throw bad(
        `tensor ${e.name}: data_offsets begin at ${e.begin} where ${expected} was expected (tensors overlap or leave a gap)`,
      );
    }
    expected = e.end;
  }
  if (expected !== dataLength) throw bad(`the tensors cover ${expected} of the ${dataLength} data bytes`);
  const tensors = new Map<string, TensorEntry>();
  for (const { name, dtype, shape, begin, end } of entries) {
    const size = DTYPE_BYTES[dtype];
    if (size === undefined)
      throw bad(`tensor ${name}: dtype ${dtype} is valid safetensors, but stackae reads only F32, F64 and I32`);
    const count = shape.reduce((a, b) => a * b, 1);
    if (count * size !== end - begin) {
      throw bad(
        `tensor ${name}: shape [${shape}] of ${dtype} needs ${count * size} bytes, its offsets span ${end - begin}`,
      );
    }
    tensors.set(name, { dtype: dtype as Tensor["dtype"], shape, begin, end });
  }
  return { tensors, metadata, dataStart };
}

/** A header's tensor entry before its dtype is known to be one stackae reads. */
interface NamedEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** The header's JSON object, its length checked against the file's, and where the data begins. */
function headerJson(
  head: Uint8Array,
  fileLength: number,
  file: string,
): { header: Record<string, unknown>; dataStart: number } {
  const bad = (message: string) => new ModelFileError(file, message);
  if (fileLength < 8)
    throw bad(`${fileLength} bytes is too short for a safetensors file (it starts with an 8-byte header length)`);
  const n = new DataView(head.buffer, head.byteOffset, head.byteLength).getBigUint64(0, true);
  if (n > BigInt(fileLength - 8)) {
    throw bad(
      `the header length ${n} runs past the end of the file (${fileLength} bytes): not a safetensors file, or truncated`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES)) throw bad(`the header length ${n} exceeds the limit of ${MAX_HEADER_BYTES} bytes`);
  const headerLength = Number(n);
  if (head.length < 8 + headerLength) {
    throw new RangeError(
      `decodeSafetensorsHeader needs the file's first ${8 + headerLength} bytes, got ${head.length}`,
    );
  }
  let header: unknown;
  let text = "";
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(head.subarray(8, 8 + headerLength));
    header = JSON.parse(text);
  } catch (cause) {
    throw new ModelFileError(
      file,
      `the header is not valid JSON (${(cause as Error).message}): not a safetensors file`,
      { cause },
    );
  }
  if (typeof header !== "object" || header === null || Array.isArray(header))
    throw bad("the header is not a JSON object");
  const twice = duplicateKey(text);
  if (twice !== undefined) {
    throw bad(
      `the header holds the key ${JSON.stringify(twice.key)} twice${twice.path}; the safetensors format forbids duplicate keys (a reader would keep one or the other): the file is damaged or forged`,
    );
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + headerLength };
}

/**
 * The first key that an object of the JSON `text` holds twice (compared unescaped), and where:
 * JSON.parse keeps the last silently. `text` is valid JSON (JSON.parse accepted it); jsonc-parser's
 * scanner walks it without building a tree.
 */
function duplicateKey(text: string): { key: string; path: string } | undefined {
  const open: Set<string>[] = [];
  let found: { key: string; path: string } | undefined;
  visit(text, {
    onObjectBegin: () => {
      open.push(new Set());
      return found === undefined;
    },
    onObjectProperty: (key, _offset, _length, _line, _char, pathOf) => {
      const keys = open[open.length - 1] as Set<string>;
      if (found === undefined && keys.has(key)) {
        const path = pathOf();
        found = { key, path: path.length === 0 ? "" : ` (in ${path.join(".")})` };
      }
      keys.add(key);
    },
    onObjectEnd: () => void open.pop(),
  });
  return found;
}

/** The header's `__metadata__`: an object of strings. */
function metadataOf(value: unknown, bad: (message: string) => ModelFileError): Record<string, string> {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    throw bad("__metadata__ must be an object of strings");
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== "string") throw bad(`__metadata__.${k} must be a string, got ${typeof v}`);
    metadata[k] = v;
  }
  return metadata;
}

/** One tensor's entry: a known dtype, a shape, and offsets within the `dataLength` data bytes. */
function entryOf(
  name: string,
  value: unknown,
  dataLength: number,
  bad: (message: string) => ModelFileError,
): NamedEntry {
  const e = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
  if (typeof e !== "object" || e === null) throw bad(`tensor ${name}: its entry is not an object`);
  if (typeof e.dtype !== "string" || !KNOWN_DTYPES.includes(e.dtype))
    throw bad(`tensor ${name}: unknown dtype ${JSON.stringify(e.dtype)}`);
  if (!Array.isArray(e.shape) || !e.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad(`tensor ${name}: shape must be a list of non-negative integers, got ${JSON.stringify(e.shape)}`);
  }
  const offsets = e.data_offsets;
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw bad(`tensor ${name}: data_offsets must be [begin, end], got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end || end > dataLength) {
    throw bad(`tensor ${name}: data_offsets [${begin}, ${end}] lie outside the ${dataLength} data bytes`);
  }
  return { name, dtype: e.dtype, shape: e.shape as number[], begin, end };
}

/**
 * Decodes and checks a safetensors file; `file` names it in errors. Tensor data is copied out,
 * unless `views` is set: then each tensor whose data is aligned to its element size in `bytes` is
 * a view of it (on little-endian machines), which saves a copy of the file where the caller owns
 * `bytes` and lets it go (a checkpoint of the reference experiment holds 255 MB).
 */
export function decodeSafetensors(bytes: Uint8Array, file: string, { views = false } = {}): Safetensors {
  const header = decodeSafetensorsHeader(bytes, bytes.length, file);
  const tensors = new Map<string, Tensor>();
  for (const [name, e] of header.tensors) {
    const count = e.shape.reduce((a, b) => a * b, 1);
    // `bytes` may be a Node Buffer, whose slice() is a view into a shared pool rather than a copy,
    // hence the explicit offsets.
    const at = bytes.byteOffset + header.dataStart + e.begin;
    const type = e.dtype === "F32" ? Float32Array : e.dtype === "F64" ? Float64Array : Int32Array;
    if (views && LITTLE_ENDIAN && at % type.BYTES_PER_ELEMENT === 0 && bytes.buffer instanceof ArrayBuffer) {
      tensors.set(name, { dtype: e.dtype, shape: e.shape, data: new type(bytes.buffer, at, count) });
      continue;
    }
    const data = new type(count);
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(new Uint8Array(bytes.buffer, at, e.end - e.begin));
    } else {
      const dv = new DataView(bytes.buffer, at, e.end - e.begin);
      for (let i = 0; i < count; i++) {
        data[i] =
          e.dtype === "F32"
            ? dv.getFloat32(i * 4, true)
            : e.dtype === "F64"
              ? dv.getFloat64(i * 8, true)
              : dv.getInt32(i * 4, true);
      }
    }
    tensors.set(name, { dtype: e.dtype, shape: e.shape, data });
  }
  return { tensors, metadata: header.metadata };
}
