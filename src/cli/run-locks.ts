// The files a `train` run writes for hours, locked for its whole length: a second run given the
// same --checkpoint or --out is refused instead of both writing one file.
import { resolve } from "node:path";
import { ArgumentError } from "../errors.ts";
import { checkWritable, makeFolderOf } from "../io/files.ts";
import { type FileLock, lockFile } from "../io/lock-file.ts";

/**
 * Locks the run's checkpoint (--checkpoint, or --resume's file, which it goes on writing) and its
 * model (--out). Their folders are checked first, so that a path that cannot be written is said
 * as such. Release them when the run ends; process.exit releases them too.
 */
export function lockRunFiles(files: { checkpoint: string | null; out?: string | undefined }): FileLock[] {
  const { checkpoint, out } = files;
  if (checkpoint !== null && out !== undefined && resolve(checkpoint) === resolve(out)) {
    throw new ArgumentError(
      `--out and the checkpoint are the same file, ${out}: the model would replace the run's state`,
    );
  }
  if (out !== undefined) makeFolderOf(out);
  const locks: FileLock[] = [];
  try {
    for (const file of [checkpoint, out]) {
      if (file === null || file === undefined) continue;
      checkWritable(file);
      locks.push(lockFile(file, ["stackae", ...process.argv.slice(2)].join(" ")));
    }
  } catch (error) {
    for (const l of locks) l.release();
    throw error;
  }
  return locks;
}
