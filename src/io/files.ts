// Writing and reading model files on disk (Node).
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { fileErrorReason, StackaeError } from "../errors.ts";
import type { StackedModel } from "../nn/model.ts";
import { decodeModel, encodeModel, type ModelFile } from "./model-file.ts";
import { ModelFileError } from "./safetensors.ts";

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
 * over `path`. A reader sees the old file or the new one, never a part of either.
 */
export function writeFileAtomic(path: string, bytes: Uint8Array): void {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.${Date.now()}.tmp`);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, "w");
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
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
}

export function saveModel(path: string, model: StackedModel, metadata: Record<string, string> = {}): void {
  writeFileAtomic(path, encodeModel(model, metadata));
}

export function loadModel(path: string): ModelFile {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (cause) {
    const why = fileErrorReason(cause);
    throw new ModelFileError(path, why === "no such file" ? why : `cannot be read (${why})`, { cause });
  }
  return decodeModel(bytes, path);
}
