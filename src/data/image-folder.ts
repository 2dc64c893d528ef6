// A folder of pictures by class (issue #27, "Data sources" 3), the layout of torchvision's
// ImageFolder and Keras's image_dataset_from_directory: DIR/<class>/*.png|jpg|jpeg, or
// DIR/train/<class>/… and DIR/test/<class>/…. Platform-free: the file system comes in through
// FolderAccess (image-folder-file.ts gives Node's), so a browser can hand in its own.
import { ArgumentError, checkKeys, checkNumber, DataError, describe } from "../errors.ts";
import { decodeImageGray } from "./decode-image.ts";
import type { Examples } from "./examples.ts";
import { digitToInput, imageToInput } from "./images.ts";

/** One entry of a folder. */
export interface FolderEntry {
  name: string;
  /** A folder (a link to a folder counts as one). */
  isFolder: boolean;
}

/** What reading an image folder needs of a file system; both throw DataError naming the path. */
export interface FolderAccess {
  list(path: string): Promise<FolderEntry[]>;
  read(path: string): Promise<Uint8Array>;
}

export interface ImageFolderOptions {
  /** The size every picture is resized to (default: the first training picture's). */
  imageSize?: { width: number; height: number };
  /**
   * Prepare each picture as `predict --center` does (digitToInput: the ink boxed to 20/28 and
   * centred by mass, as MNIST's digits were) rather than as plain `predict` does (imageToInput:
   * resized). Default false.
   */
  center?: boolean;
}

/** An image folder read: the examples, and what was left out. */
export interface ImageFolder {
  /** All pictures when the folder has no train/ and test/; else those under train/. */
  train: Examples;
  /** The pictures under test/, with the same classNames as train. */
  test?: Examples;
  /** The picture behind each example, in row order. */
  files: { train: string[]; test?: string[] };
  /** Files not read: not .png/.jpg/.jpeg by name, hidden (a leading "."), or beside the class folders. */
  skipped: string[];
}

const OPTIONS = ["imageSize", "center"] as const;
const IMAGE_NAME = /\.(png|jpe?g)$/i;
/** What a folder should hold, for the error messages. */
const LAYOUT =
  "one folder per class with its pictures in it: DIR/<class>/*.png|jpg|jpeg, or DIR/train/<class>/… and DIR/test/<class>/…";
/** Files read ahead of the one being decoded, so that decoding does not wait on the disk. */
const READ_AHEAD = 8;
/** The largest inputs array allocated (a typed array's limit in V8 is 2^32 − 1 bytes on 64-bit). */
const MAX_BYTES = 2 ** 32 - 1;

/** Plain code-unit order, the same on every machine and locale (localeCompare is not). */
export const byName = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** A class folder's pictures, as paths, in sorted order. */
interface ClassFiles {
  name: string;
  files: string[];
}

/**
 * Reads the image folder `dir`. Class names are the class folders' names, sorted; a label is the
 * class's index in that list. With train/ and test/, the list is the union of both sides' folders,
 * so a class present on one side only keeps one index on both (the other side has no example of
 * it). Pictures are ordered by class, then by path; each is made gray, prepared as `predict`
 * prepares it (see `center`), and stored as round(255 · value) in a Uint8Array: one byte a value,
 * and the same 0…255 range as IDX pixels, so the same ÷255 scaling applies later.
 */
export async function readImageFolderFrom(
  access: FolderAccess,
  dir: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolder> {
  const listing = await listImageFolder(access, dir, options);
  const { classNames, image, paths, labels, skipped } = listing;
  const examples: Examples[] = [];
  for (let s = 0; s < paths.length; s++) {
    const inputs = await readPictures(access, paths[s] as string[], image, listing.prepare);
    examples.push({ inputs, labels: labels[s] as Int32Array, inputSize: image.rows * image.cols, classNames, image });
  }
  const [train, test] = examples as [Examples, Examples | undefined];
  const files = test ? { train: paths[0] as string[], test: paths[1] as string[] } : { train: paths[0] as string[] };
  return test ? { train, test, files, skipped } : { train, files, skipped };
}

/** An image folder listed, its pictures not read (but the first, for the size): what readImageFolderFrom and a stream read. */
export interface ImageFolderListing {
  classNames: string[];
  /** The size every picture is made. */
  image: { rows: number; cols: number };
  /** Each side's pictures (train, and test where there is one) in row order, and their labels. */
  paths: string[][];
  labels: Int32Array[];
  skipped: string[];
  /** How a decoded picture becomes the input (preparePicture applies it). */
  prepare: typeof imageToInput;
}

/** Lists the image folder `dir` as readImageFolderFrom reads it (see there); decodes the first picture only. */
export async function listImageFolder(
  access: FolderAccess,
  dir: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolderListing> {
  checkOptions(options);
  const skipped: string[] = [];
  const sides = await findSides(access, dir, skipped);
  const listed: ClassFiles[][] = [];
  for (const side of sides) listed.push(await listClasses(access, side, skipped));
  const classNames = [...new Set(listed.flat().map((c) => c.name))].sort(byName);
  // listClasses has made sure of one class folder or more on each side.
  if (classNames.length === 1) {
    throw new DataError(
      `${dir}: has only one class folder, ${JSON.stringify(classNames[0])}; a classifier needs two or more: ` +
        `${LAYOUT} (if you gave one class's folder, give the folder above it)`,
      dir,
    );
  }
  const index = new Map(classNames.map((name, i) => [name, i]));
  const paths = listed.map((side) => side.flatMap((c) => c.files));
  const labels = listed.map((side) => Int32Array.from(side.flatMap((c) => c.files.map(() => index.get(c.name) ?? -1))));
  const size = options.imageSize ?? (await firstSize(access, paths[0]?.[0] as string));
  const prepare = options.center === true ? digitToInput : imageToInput;
  return { classNames, image: { rows: size.height, cols: size.width }, paths, labels, skipped, prepare };
}

function checkOptions(options: ImageFolderOptions): void {
  checkKeys("readImageFolder", options, OPTIONS);
  if (options.imageSize !== undefined) {
    const size = options.imageSize as unknown;
    if (typeof size !== "object" || size === null)
      throw new ArgumentError(`readImageFolder: imageSize must be { width, height }, got ${describe(size)}`);
    checkKeys("readImageFolder: imageSize", size, ["width", "height"]);
    checkNumber("readImageFolder: imageSize.width", options.imageSize.width, { min: 1, integer: true });
    checkNumber("readImageFolder: imageSize.height", options.imageSize.height, { min: 1, integer: true });
  }
  if (options.center !== undefined && typeof options.center !== "boolean")
    throw new ArgumentError(`readImageFolder: center must be true or false, got ${describe(options.center)}`);
}

/** The size of the first training picture, which all are resized to unless imageSize is given. */
async function firstSize(access: FolderAccess, path: string): Promise<{ width: number; height: number }> {
  const { width, height } = decodeImageGray(await access.read(path), path);
  return { width, height };
}

/** The folders holding class folders: [dir], or [dir/train, dir/test] when both exist. */
async function findSides(access: FolderAccess, dir: string, skipped: string[]): Promise<string[]> {
  const entries = await access.list(dir);
  if (entries.length === 0) throw new DataError(`${dir}: the folder is empty; an image folder holds ${LAYOUT}`, dir);
  const folders = new Set(entries.filter((e) => e.isFolder).map((e) => e.name));
  const hasTrain = folders.has("train");
  const hasTest = folders.has("test");
  if (!hasTrain && !hasTest) return [dir];
  if (hasTrain !== hasTest) {
    const [has, lacks] = hasTrain ? ["train", "test"] : ["test", "train"];
    throw new DataError(
      `${dir}: has a ${has}/ folder but no ${lacks}/ folder; give both (${join(dir, "train")}/<class>/… and ` +
        `${join(dir, "test")}/<class>/…), or give ${join(dir, has)} itself as the folder of classes`,
      dir,
    );
  }
  // Anything beside train/ and test/ (a README, a val/ folder) is left out and said so.
  for (const e of [...entries].sort((a, b) => byName(a.name, b.name)))
    if (e.name !== "train" && e.name !== "test") skipped.push(join(dir, e.name) + (e.isFolder ? "/" : ""));
  return [join(dir, "train"), join(dir, "test")];
}

/** The class folders of `root` and their pictures (found at any depth, as torchvision and Keras do). */
async function listClasses(access: FolderAccess, root: string, skipped: string[]): Promise<ClassFiles[]> {
  const entries = (await access.list(root)).sort((a, b) => byName(a.name, b.name));
  const classes: ClassFiles[] = [];
  let loose = 0;
  for (const e of entries) {
    const path = join(root, e.name);
    if (!e.isFolder || e.name.startsWith(".")) {
      skipped.push(path + (e.isFolder ? "/" : ""));
      if (!e.isFolder && IMAGE_NAME.test(e.name)) loose++;
      continue;
    }
    const files: string[] = [];
    await walk(access, path, "", files, skipped);
    if (files.length === 0) {
      throw new DataError(
        `${path}: the class folder ${JSON.stringify(e.name)} holds no .png, .jpg or .jpeg pictures; ` +
          `add some or remove the folder; an image folder holds ${LAYOUT}`,
        path,
      );
    }
    classes.push({ name: e.name, files: files.sort(byName).map((f) => join(path, f)) });
  }
  if (classes.length === 0) {
    const found = loose > 0 ? `${loose} pictures but no class folders` : "no class folders";
    throw new DataError(
      `${root}: holds ${found}; put each class's pictures in a folder named after the class ` +
        `(${join(root, "<class>")}/*.png), two classes or more`,
      root,
    );
  }
  return classes;
}

/** Collects the pictures under `folder/rel` as paths relative to `folder`; the rest goes to `skipped`. */
async function walk(access: FolderAccess, folder: string, rel: string, files: string[], skipped: string[]) {
  const entries = (await access.list(rel === "" ? folder : join(folder, rel))).sort((a, b) => byName(a.name, b.name));
  for (const e of entries) {
    const child = rel === "" ? e.name : `${rel}/${e.name}`;
    if (e.name.startsWith(".")) skipped.push(join(folder, child) + (e.isFolder ? "/" : ""));
    else if (e.isFolder) await walk(access, folder, child, files, skipped);
    else if (IMAGE_NAME.test(e.name)) files.push(child);
    else skipped.push(join(folder, child));
  }
}

/** The picture `bytes` (of `path`) decoded, made gray, prepared, into out[at, at + rows · cols) as round(255 · value). */
export function preparePicture(
  bytes: Uint8Array,
  path: string,
  image: { rows: number; cols: number },
  prepare: typeof imageToInput,
  out: Uint8Array,
  at: number,
): void {
  const values = prepare(decodeImageGray(bytes, path), image.rows, image.cols);
  for (let j = 0; j < values.length; j++) out[at + j] = Math.round((values[j] as number) * 255);
}

/** The pictures at `paths`, each decoded and prepared, as a paths.length × (rows · cols) array. */
export async function readPictures(
  access: FolderAccess,
  paths: string[],
  image: { rows: number; cols: number },
  prepare: typeof imageToInput,
): Promise<Uint8Array> {
  const n = image.rows * image.cols;
  if (paths.length * n > MAX_BYTES) {
    throw new DataError(
      `${paths.length} pictures of ${image.cols} × ${image.rows} need ${paths.length * n} bytes, more than ` +
        `${MAX_BYTES} can be held; choose a smaller imageSize`,
    );
  }
  const inputs = new Uint8Array(paths.length * n);
  const pending: Promise<Uint8Array>[] = [];
  for (let i = 0; i < paths.length; i++) {
    while (pending.length <= READ_AHEAD && i + pending.length < paths.length) {
      const read = access.read(paths[i + pending.length] as string);
      // Handled when its turn comes; until then a failed read must not count as unhandled.
      read.catch(() => {});
      pending.push(read);
    }
    preparePicture(await pending.shift()!, paths[i] as string, image, prepare, inputs, i * n);
  }
  return inputs;
}

/** `dir/name`, without doubling a trailing slash. */
function join(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
