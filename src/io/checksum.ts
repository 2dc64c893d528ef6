// Checksums of model and checkpoint files: a CRC-32 of each tensor's bytes and of each metadata
// value, kept as JSON in the metadata key "checksums" (docs/model-format.md), so that a file
// damaged on disk or in transit is refused on read instead of silently giving another model.
// CRC-32 as zlib and Python's zlib.crc32 compute it: any safetensors reader can check a file.
import CRC32 from "crc-32";
import { ModelFileError, type Tensor, type TensorData } from "./safetensors.ts";

/**
 * A file whose header is sound but one of whose tensors is not: its data does not match its
 * checksum, or holds values the file cannot hold (a checkpoint's parameters that are not finite,
 * say). A reader of the header alone, as `stackae info`, does not see it.
 */
export class TensorValuesError extends ModelFileError {
  /** The tensor, by its name in the file. */
  readonly tensor: string;
  constructor(file: string, tensor: string, message: string) {
    super(file, message);
    this.tensor = tensor;
  }
}

/** The metadata key that holds the checksums. */
export const CHECKSUMS_KEY = "checksums";

/** What the key holds: CRC-32s as 8 lowercase hex digits, by tensor name and by metadata key. */
export interface Checksums {
  tensors: Record<string, string>;
  metadata: Record<string, string>;
}

type Crc32 = (bytes: Uint8Array) => number;

/** The JavaScript CRC-32 (crc-32), unsigned: what browsers use. */
export const crc32Js: Crc32 = (bytes) => CRC32.buf(bytes) >>> 0;

let implementation: Crc32 = crc32Js;

/**
 * Installs a faster function of the same values. files.ts, Node's reader and writer of these
 * files, installs zlib.crc32 (Node ≥ 20.15): 0.06–0.08 s of CPU on a 255 MB checkpoint, where
 * the JavaScript takes 0.3–0.4 s. The library's core imports no Node module (for browsers).
 */
export function useCrc32(fn: Crc32): void {
  implementation = fn;
}

/** CRC-32 (ISO-HDLC, as zlib's) of `bytes`, unsigned. */
export const crc32: Crc32 = (bytes) => implementation(bytes);

const hex = (crc: number) => crc.toString(16).padStart(8, "0");

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The bytes of a tensor's data as the file holds them, little-endian. */
function fileBytes(data: TensorData): Uint8Array {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (LITTLE_ENDIAN) return bytes;
  const out = new Uint8Array(bytes.length);
  const size = data.BYTES_PER_ELEMENT;
  for (let i = 0; i < bytes.length; i += size)
    for (let j = 0; j < size; j++) out[i + j] = bytes[i + size - 1 - j] as number;
  return out;
}

/** The checksum of one tensor's data, as the key holds it. */
export function tensorChecksum(data: TensorData): string {
  return hex(crc32(fileBytes(data)));
}

/** The checksum of one metadata value: of its UTF-8 bytes. */
function metadataChecksum(value: string): string {
  return hex(crc32(new TextEncoder().encode(value)));
}

/**
 * `metadata` with the key "checksums" added (any given one is replaced): a checksum of every
 * tensor in `tensors` and of every other metadata value.
 */
export function withChecksums(
  tensors: readonly [string, Tensor][],
  metadata: Record<string, string>,
): Record<string, string> {
  const { [CHECKSUMS_KEY]: _, ...rest } = metadata;
  const sums: Checksums = {
    tensors: Object.fromEntries(tensors.map(([name, t]) => [name, tensorChecksum(t.data)])),
    metadata: Object.fromEntries(Object.entries(rest).map(([k, v]) => [k, metadataChecksum(v)])),
  };
  return { ...rest, [CHECKSUMS_KEY]: JSON.stringify(sums) };
}

/**
 * Reads the key "checksums" of a file whose tensors are `names`, and checks the metadata against
 * it. Returns the tensors' checksums, to check once their data is read; null where the file has
 * none (written before stackae kept them, or by another tool), which is read as it is.
 */
export function checkMetadataChecksums(
  metadata: Record<string, string>,
  names: Iterable<string>,
  file: string,
): Map<string, string> | null {
  const text = metadata[CHECKSUMS_KEY];
  if (text === undefined) return null;
  const sums = parseChecksums(text, file);
  const bad = (message: string) => new ModelFileError(file, message);
  const listed = new Set(Object.keys(sums.metadata));
  for (const [key, value] of Object.entries(metadata)) {
    if (key === CHECKSUMS_KEY) continue;
    const expected = sums.metadata[key];
    if (expected === undefined)
      throw bad(
        `metadata "${key}" has no checksum in metadata "${CHECKSUMS_KEY}": the file was altered after it was written`,
      );
    if (metadataChecksum(value) !== expected) {
      throw bad(
        `metadata "${key}" does not match its checksum (${expected}): the file changed after it was written (damaged on disk or in transit); use another copy`,
      );
    }
    listed.delete(key);
  }
  for (const key of listed)
    throw bad(`metadata "${key}" is missing, but "${CHECKSUMS_KEY}" lists it: the file is damaged`);
  const tensors = new Map(Object.entries(sums.tensors));
  const held = new Set(names);
  for (const name of held) {
    if (!tensors.has(name))
      throw bad(
        `tensor ${name} has no checksum in metadata "${CHECKSUMS_KEY}": the file was altered after it was written`,
      );
  }
  for (const name of tensors.keys()) {
    if (!held.has(name))
      throw bad(`tensor ${name} is missing, but metadata "${CHECKSUMS_KEY}" lists it: the file is damaged`);
  }
  return tensors;
}

/** Checks each tensor's data against its checksum, as checkMetadataChecksums returned them. */
export function checkTensorChecksums(
  tensors: ReadonlyMap<string, Pick<Tensor, "data">>,
  sums: ReadonlyMap<string, string>,
  file: string,
): void {
  for (const [name, t] of tensors) {
    const expected = sums.get(name);
    if (expected === undefined) continue;
    const actual = tensorChecksum(t.data);
    if (actual !== expected) {
      throw new TensorValuesError(
        file,
        name,
        `tensor ${name} does not match its checksum (CRC-32 ${actual}, written ${expected}): the file changed after it was written (damaged on disk or in transit); use another copy`,
      );
    }
  }
}

/** The key's JSON: { tensors: { name: crc }, metadata: { key: crc } }, every CRC 8 hex digits. */
function parseChecksums(text: string, file: string): Checksums {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = null;
  }
  const crcs = (v: unknown): v is Record<string, string> =>
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((c) => typeof c === "string" && /^[0-9a-f]{8}$/.test(c));
  const o = value as Partial<Checksums> | null;
  if (typeof o !== "object" || o === null || !crcs(o.tensors) || !crcs(o.metadata)) {
    throw new ModelFileError(
      file,
      `metadata "${CHECKSUMS_KEY}" must be a JSON object {"tensors": {...}, "metadata": {...}} of 8-hex-digit CRC-32s, got ${JSON.stringify(text.slice(0, 80))}: the file is damaged`,
    );
  }
  return { tensors: o.tensors, metadata: o.metadata };
}
