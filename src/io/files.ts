// Writing and reading model and checkpoint files on disk (Node).
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import * as zlib from "node:zlib";
import { fileErrorReason, StackaeError } from "../errors.ts";
import type { StackedModel } from "../nn/model.ts";
import type { TrainCheckpoint } from "../train/checkpoint.ts";
import {
  CHECKPOINT_FORMAT,
  type CheckpointHeader,
  checkpointFromSafetensors,
  checkpointHeaderOf,
  encodeCheckpoint,
} from "./checkpoint-file.ts";
import { useCrc32 } from "./checksum.ts";
import { encodeModel, type ModelFile, modelFromSafetensors } from "./model-file.ts";
import {
  decodeSafetensors,
  decodeSafetensorsHeader,
  MAX_HEADER_BYTES,
  ModelFileError,
  type Safetensors,
  type SafetensorsHeader,
} from "./safetensors.ts";

// The checksums of the files read and written here by zlib's CRC-32, where Node has it (≥ 20.15).
const zlibCrc32 = (zlib as { crc32?: (data: Uint8Array) => number }).crc32;
if (zlibCrc32) useCrc32((bytes) => zlibCrc32(bytes));

/** A file that cannot be written. */
export class WriteError extends StackaeError {
  readonly file: string;
  constructor(file: string, message: string, options?: ErrorOptions) {
    super("ERR_WRITE", `${file}: ${message}`, options);
    this.file = file;
  }
}

/**
 * Writes bytes atomically: to a temporary file in the same folder, flushed to disk, then renamed
 * over `path`. A reader sees the old file or the new one, never a part of either. `bytes` may
 * come in parts, written one after the other.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array | Uint8Array[]): void {
  const tmp = temporaryName(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w");
    for (const part of Array.isArray(bytes) ? bytes : [bytes]) {
      let written = 0;
      while (written < part.length) written += writeSync(fd, part, written, part.length - written);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (cause) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    const why = fileErrorReason(cause, "its folder does not exist");
    throw new WriteError(path, `cannot be written (${why}); nothing was replaced`, { cause });
  }
  removeStaleTemporaries(path);
}

/**
 * Removes the temporary files that writes of `path` by processes now dead left beside it (a
 * process killed between writing its temporary file and renaming it). Those of live processes,
 * which may be writing now, stay; so does anything that cannot be removed: this is tidying, and
 * never fails. Returns the files removed.
 */
export function removeStaleTemporaries(path: string): string[] {
  const prefix = `.${basename(path)}.`;
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return removed;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(".tmp")) continue;
    const match = /^(\d+)\.(\d+)\.tmp$/.exec(name.slice(prefix.length));
    if (!match || !stale(Number(match[1]), Number(match[2]))) continue;
    try {
      rmSync(join(dirname(path), name));
      removed.push(join(dirname(path), name));
    } catch {
      // Another process tidied it first, or the folder takes no changes: leave it.
    }
  }
  return removed;
}

/**
 * Whether a temporary file made by process `pid` at `time` (ms) is left over: that process is
 * gone, or, where it is this one's PID (PID 1 in every container, say), it was made before this
 * process started.
 */
function stale(pid: number, time: number): boolean {
  if (pid === process.pid) return time < Date.now() - process.uptime() * 1000 - 1000;
  return !processAlive(pid);
}

/** Whether a process `pid` runs on this machine (one of another user's counts: EPERM). */
export function processAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Checks, before a long computation, that `path` can be written: its folder exists and takes a
 * new file, and it is not a folder itself. Nothing is left behind.
 */
export function checkWritable(path: string): void {
  const tmp = temporaryName(path);
  try {
    if (existsSync(path) && statSync(path).isDirectory()) throw Object.assign(new Error("EISDIR"), { code: "EISDIR" });
    closeSync(openSync(tmp, "wx"));
    rmSync(tmp, { force: true });
  } catch (cause) {
    const why = fileErrorReason(cause, "its folder does not exist");
    throw new WriteError(path, `cannot be written (${why}); choose another path`, { cause });
  }
}

/**
 * Makes `dir` and the folders missing above it, one at a time: Node's mkdirSync(dir, { recursive:
 * true }) never returns where mkdir fails with ENOENT under a folder that exists, as in /proc.
 * Throws the file system's error.
 */
export function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let d = resolve(dir); !existsSync(d) && dirname(d) !== d; d = dirname(d)) missing.unshift(d);
  for (const d of missing) mkdirSync(d);
}

/** Makes the folder that `path` goes in, where it is missing, so that `path` can be written. */
export function makeFolderOf(path: string): void {
  try {
    makeFolders(dirname(path));
  } catch (cause) {
    const why = fileErrorReason(cause, "the folder above it takes no new folders");
    throw new WriteError(path, `cannot be written (its folder cannot be made: ${why}); choose another path`, { cause });
  }
}

/** A hidden file beside `path`, unique to this process and moment: `.NAME.PID.TIME.tmp`. */
export function temporaryName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
}

export function saveModel(path: string, model: StackedModel, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeModel(model, metadata));
}

export function loadModel(path: string): ModelFile {
  return modelFromSafetensors(readSafetensors(path), path);
}

/** Writes a training checkpoint atomically: the old checkpoint stays until the new one is whole. */
export function saveCheckpoint(path: string, checkpoint: TrainCheckpoint): void {
  writeFileAtomic(path, encodeCheckpoint(checkpoint));
}

export function loadCheckpoint(path: string): TrainCheckpoint {
  return checkpointFromSafetensors(readSafetensors(path), path);
}

/** A model or a checkpoint, whichever the file at `path` is (read and decoded once). */
export function loadModelOrCheckpoint(
  path: string,
): ({ kind: "model" } & ModelFile) | { kind: "checkpoint"; checkpoint: TrainCheckpoint } {
  const decoded = readSafetensors(path);
  return decoded.metadata.format === CHECKPOINT_FORMAT
    ? { kind: "checkpoint", checkpoint: checkpointFromSafetensors(decoded, path) }
    : { kind: "model", ...modelFromSafetensors(decoded, path) };
}

/**
 * A model, or a checkpoint without its tensors' values (what `stackae info` shows), with every
 * check but of those values: only a checkpoint's header is read, where its tensors can take
 * hundreds of MB (255 MB for the reference experiment's first autoencoder).
 */
export function loadModelOrCheckpointHeader(
  path: string,
): ({ kind: "model" } & ModelFile) | { kind: "checkpoint"; checkpoint: CheckpointHeader } {
  const header = readSafetensorsHeader(path);
  return header.metadata.format === CHECKPOINT_FORMAT
    ? { kind: "checkpoint", checkpoint: checkpointHeaderOf(header.metadata, header.tensors, path) }
    : { kind: "model", ...loadModel(path) };
}

/** The header of the safetensors file at `path`, read and checked without the data after it. */
function readSafetensorsHeader(path: string): SafetensorsHeader {
  const fd = fileOp(path, () => openSync(path, "r"));
  try {
    const size = fileOp(path, () => fstatSync(fd).size);
    let head = readBytes(fd, path, Math.min(8, size));
    if (size >= 8) {
      const n = new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true);
      // A length beyond the file or the limit is refused by decodeSafetensorsHeader, from these 8 bytes.
      if (n <= BigInt(Math.min(size - 8, MAX_HEADER_BYTES))) head = readBytes(fd, path, 8 + Number(n));
    }
    return decodeSafetensorsHeader(head, size, path);
  } finally {
    closeSync(fd);
  }
}

/** The first `length` bytes of the open file `fd`. */
function readBytes(fd: number, path: string, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let at = 0;
  while (at < length) {
    const read = fileOp(path, () => readSync(fd, bytes, at, length - at, at));
    if (read === 0) {
      throw new ModelFileError(
        path,
        `shrank to ${at} bytes while it was read: another program may be writing it; try again`,
      );
    }
    at += read;
  }
  return bytes;
}

/** Runs a file system call, turning its failure into a ModelFileError that names `path`. */
function fileOp<R>(path: string, op: () => R): R {
  try {
    return op();
  } catch (cause) {
    const why = fileErrorReason(cause);
    throw new ModelFileError(path, why === "no such file" ? why : `cannot be read (${why})`, { cause });
  }
}

/** The file at `path`, decoded: its tensors are views of the buffer it was read into, which no one else holds. */
function readSafetensors(path: string): Safetensors {
  return decodeSafetensors(readFile(path), path, { views: true });
}

function readFile(path: string): Uint8Array {
  return fileOp(path, () => readFileSync(path));
}
