// The image-folder source over Node's file system; the reading itself is in image-folder.ts.
import { readdir, readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { DataError, fileErrorReason } from "../errors.ts";
import {
  type FolderAccess,
  type FolderEntry,
  type ImageFolder,
  type ImageFolderOptions,
  readImageFolderFrom,
} from "./image-folder.ts";

/** Node's file system as image-folder.ts needs it; links are followed, as torchvision's ImageFolder does. */
export const nodeFolderAccess: FolderAccess = {
  async list(path: string): Promise<FolderEntry[]> {
    try {
      const entries = await readdir(path, { withFileTypes: true });
      return await Promise.all(
        entries.map(async (e) => ({
          name: e.name,
          isFolder: e.isDirectory() || (e.isSymbolicLink() && (await isFolder(join(path, e.name)))),
        })),
      );
    } catch (cause) {
      throw new DataError(`${path}: cannot be listed (${fileErrorReason(cause, "no such folder")})`, path, { cause });
    }
  },
  async read(path: string): Promise<Uint8Array> {
    try {
      return await readFile(path);
    } catch (cause) {
      throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
    }
  },
};

/** A link to nothing is not a folder (it is then skipped as a file that is not a picture, or fails to read). */
async function isFolder(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Reads the image folder `dir` (DIR/<class>/*.png|jpg|jpeg, or DIR/train/<class>/… and
 * DIR/test/<class>/…); see readImageFolderFrom for what is read and how.
 */
export function readImageFolder(dir: string, options: ImageFolderOptions = {}): Promise<ImageFolder> {
  return readImageFolderFrom(nodeFolderAccess, dir, options);
}
