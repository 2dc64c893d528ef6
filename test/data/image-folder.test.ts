import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, describe, it } from "node:test";
import jpeg from "jpeg-js";
import { PNG } from "pngjs";
import { decodeImageGray, imageFormat } from "../../src/data/decode-image.ts";
import { readMnist } from "../../src/data/files.ts";
import { readImageFolder } from "../../src/data/image-folder-file.ts";
import { digitToInput, imageToInput } from "../../src/data/images.ts";
import { ArgumentError, DataError } from "../../src/errors.ts";
import { decodePngGray } from "../../src/io/png.ts";
import type { GrayImage } from "../../src/viz/tiles.ts";

const root = mkdtempSync(join(tmpdir(), "stackae-image-folder-"));
after(() => rmSync(root, { recursive: true, force: true }));

/** An RGBA picture: each pixel's colour from `f(x, y)` as [r, g, b, a]. */
interface Rgba {
  width: number;
  height: number;
  data: Uint8Array;
}
function rgba(width: number, height: number, f: (x: number, y: number) => number[]): Rgba {
  const data = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set(f(x, y), 4 * (y * width + x));
  return { width, height, data };
}

function pngBytes(picture: Rgba): Uint8Array {
  const png = new PNG({ width: picture.width, height: picture.height });
  png.data.set(picture.data);
  return PNG.sync.write(png);
}

/** The gray value of an RGBA pixel as written out here: BT.601 luma, alpha over white. */
function luma(p: Rgba): GrayImage {
  const data = new Uint8Array(p.width * p.height);
  for (let i = 0; i < data.length; i++) {
    const [r, g, b, a] = [0, 1, 2, 3].map((k) => p.data[4 * i + k] as number) as [number, number, number, number];
    data[i] = Math.round(((0.299 * r + 0.587 * g + 0.114 * b) * a) / 255 + 255 - a);
  }
  return { width: p.width, height: p.height, data };
}

/** A dark picture with a light diagonal (not inverted by imageToInput), coloured by `seed`. */
function dark(width: number, height: number, seed: number): Rgba {
  return rgba(width, height, (x, y) => {
    const v = x === y ? 250 : (seed * 37 + x * 11 + y * 5) % 90;
    return [v, (v + seed) % 256, Math.max(0, v - seed), 255];
  });
}

/** The row as the library should store it: the picture prepared by `prepare`, ×255, rounded. */
function expected(gray: GrayImage, rows: number, cols: number, prepare = imageToInput): number[] {
  return Array.from(prepare(gray, rows, cols), (v) => Math.round(v * 255));
}

function write(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
}

/** A fresh folder under the temporary root. */
let folders = 0;
function folder(): string {
  const dir = join(root, `f${folders++}`);
  mkdirSync(dir);
  return dir;
}

function row(inputs: ArrayLike<number>, i: number, n: number): number[] {
  return Array.from(inputs).slice(i * n, (i + 1) * n);
}

async function rejectsData(dir: string, pattern: RegExp, options = {}): Promise<void> {
  await assert.rejects(readImageFolder(dir, options), (e: unknown) => {
    assert.ok(e instanceof DataError, `a DataError, got ${e}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("decodeImageGray", () => {
  it("gives a PNG the same gray as decodePngGray (which predict uses), transparency over white", () => {
    const picture = rgba(5, 4, (x, y) => [x * 60, y * 80, (x + y) * 30, (x * 64 + y * 17) % 256]);
    const bytes = pngBytes(picture);
    const gray = decodeImageGray(bytes, "p.png");
    assert.deepEqual(gray, decodePngGray(bytes, "p.png"));
    assert.deepEqual(Array.from(gray.data), Array.from(luma(picture).data));
  });

  it("decodes a JPEG by jpeg-js close to the pixels encoded, and tells formats by content", () => {
    const picture = rgba(16, 16, (x) => [x * 16, x * 16, x * 16, 255]);
    const bytes = new Uint8Array(jpeg.encode({ ...picture, data: Buffer.from(picture.data) }, 100).data);
    assert.equal(imageFormat(bytes), "jpeg");
    const gray = decodeImageGray(bytes, "p.jpg");
    const err = gray.data.reduce((m, v, i) => Math.max(m, Math.abs(v - (luma(picture).data[i] as number))), 0);
    assert.ok(err <= 4, `quality-100 JPEG within 4 levels, got ${err}`);
    assert.equal(imageFormat(new Uint8Array([1, 2, 3])), undefined);
  });

  it("names the file, the bytes found and the remedy for a file that is no picture", () => {
    assert.throws(() => decodeImageGray(new TextEncoder().encode("hello"), "x/a.png"), {
      name: "DataError",
      message: /^x\/a\.png: not a PNG or JPEG picture \(it starts with bytes 68 65 6c 6c 6f\); remove it/,
    });
    assert.throws(() => decodeImageGray(new Uint8Array(0), "e.jpg"), /the file is empty/);
  });
});

describe("readImageFolder: DIR/<class>/*", async () => {
  const dir = folder();
  // Classes written out of order and in mixed case: sorted by code unit, "Bird" < "cat" < "dog".
  const pics = {
    "dog/2.png": dark(6, 4, 1),
    "dog/10.png": dark(6, 4, 2), // "10.png" < "2.png" as names
    "dog/extra/0.png": dark(6, 4, 3), // nested folders are read too, in path order
    "cat/a.PNG": dark(12, 8, 4), // twice the size: 2 × 2 blocks averaged
    "Bird/light.png": rgba(6, 4, (x, y) => (x === 2 && y > 0 ? [0, 0, 0, 255] : [255, 255, 255, 255])),
  };
  for (const [name, p] of Object.entries(pics)) write(join(dir, name), pngBytes(p));
  const jpegPicture = dark(6, 4, 5);
  const jpegBytes = new Uint8Array(jpeg.encode({ ...jpegPicture, data: Buffer.from(jpegPicture.data) }, 90).data);
  write(join(dir, "cat/b.JPEG"), jpegBytes);
  write(join(dir, "cat/c.jpg"), jpegBytes);
  write(join(dir, "cat/notes.txt"), "not a picture");
  write(join(dir, "cat/.DS_Store"), "hidden");
  write(join(dir, "README.md"), "beside the classes");
  mkdirSync(join(dir, ".ipynb_checkpoints"));
  const result = await readImageFolder(dir);

  it("takes the sorted folder names as classes and orders pictures by class, then path", () => {
    const { train } = result;
    assert.deepEqual(train.classNames, ["Bird", "cat", "dog"]);
    assert.equal(result.test, undefined);
    assert.deepEqual(
      result.files.train.map((f) => f.slice(dir.length + 1)),
      ["Bird/light.png", "cat/a.PNG", "cat/b.JPEG", "cat/c.jpg", "dog/10.png", "dog/2.png", "dog/extra/0.png"],
    );
    assert.deepEqual(Array.from(train.labels), [0, 1, 1, 1, 2, 2, 2]);
    assert.deepEqual(train.image, { rows: 4, cols: 6 });
    assert.equal(train.inputSize, 24);
    assert.ok(train.inputs instanceof Uint8Array);
    assert.equal(train.inputs.length, 7 * 24);
  });

  it("lists what it skipped: other files, hidden entries, files beside the class folders", () => {
    assert.deepEqual(
      result.skipped.map((f) => f.slice(dir.length + 1)),
      [".ipynb_checkpoints/", "README.md", "cat/.DS_Store", "cat/notes.txt"],
    );
  });

  it("stores each picture as imageToInput prepares it for predict, ×255 rounded", () => {
    const { inputs } = result.train;
    assert.deepEqual(row(inputs, 5, 24), expected(luma(pics["dog/2.png"]), 4, 6));
    // A picture of the first one's size comes through unchanged: the gray values themselves.
    assert.deepEqual(row(inputs, 4, 24), Array.from(luma(pics["dog/10.png"]).data));
    assert.deepEqual(row(inputs, 6, 24), expected(luma(pics["dog/extra/0.png"]), 4, 6));
    const jpegGray = luma({ ...jpeg.decode(jpegBytes, { useTArray: true }) });
    assert.deepEqual(row(inputs, 2, 24), expected(jpegGray, 4, 6));
    assert.deepEqual(row(inputs, 3, 24), row(inputs, 2, 24));
  });

  it("resizes a larger picture by area: each value the mean of a 2 × 2 block", () => {
    const big = luma(pics["cat/a.PNG"]);
    const got = row(result.train.inputs, 1, 24);
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 6; c++) {
        const at = (y: number, x: number) => big.data[y * 12 + x] as number;
        const mean = (at(2 * r, 2 * c) + at(2 * r, 2 * c + 1) + at(2 * r + 1, 2 * c) + at(2 * r + 1, 2 * c + 1)) / 4;
        assert.ok(
          Math.abs((got[r * 6 + c] as number) - mean) <= 0.5 + 1e-4,
          `(${r}, ${c}): ${got[r * 6 + c]} ≠ ${mean}`,
        );
      }
    }
  });

  it("inverts a picture with a light border, as predict does (dark strokes become ink)", () => {
    const got = row(result.train.inputs, 0, 24);
    const want = Array.from({ length: 24 }, (_, i) => (i % 6 === 2 && i >= 6 ? 255 : 0));
    assert.deepEqual(got, want);
  });

  it("resizes to imageSize, or prepares as predict --center (digitToInput) with center", async () => {
    const sized = await readImageFolder(dir, { imageSize: { width: 3, height: 5 } });
    assert.deepEqual(sized.train.image, { rows: 5, cols: 3 });
    assert.deepEqual(row(sized.train.inputs, 1, 15), expected(luma(pics["cat/a.PNG"]), 5, 3));
    const centred = await readImageFolder(dir, { center: true, imageSize: { width: 28, height: 28 } });
    assert.deepEqual(row(centred.train.inputs, 0, 784), expected(luma(pics["Bird/light.png"]), 28, 28, digitToInput));
    assert.deepEqual(row(centred.train.inputs, 6, 784), expected(luma(pics["dog/extra/0.png"]), 28, 28, digitToInput));
  });

  it("rejects unknown options and sizes that are not positive integers", async () => {
    await assert.rejects(readImageFolder(dir, { size: 3 } as never), ArgumentError);
    await assert.rejects(readImageFolder(dir, { imageSize: { width: 0, height: 3 } }), /imageSize\.width/);
    await assert.rejects(readImageFolder(dir, { imageSize: "28x28" } as never), /imageSize must be/);
    await assert.rejects(readImageFolder(dir, { center: "yes" } as never), /center must be true or false/);
  });
});

describe("readImageFolder: DIR/train/<class> and DIR/test/<class>", async () => {
  const dir = folder();
  write(join(dir, "train/a/1.png"), pngBytes(dark(4, 4, 1)));
  write(join(dir, "train/b/1.png"), pngBytes(dark(4, 4, 2)));
  write(join(dir, "test/a/1.png"), pngBytes(dark(8, 8, 3)));
  write(join(dir, "test/c/1.png"), pngBytes(dark(4, 4, 4)));
  write(join(dir, "val/a/1.png"), pngBytes(dark(4, 4, 5)));
  const result = await readImageFolder(dir);

  it("gives both sets one class list, the union of both sides' folders", () => {
    assert.deepEqual(result.train.classNames, ["a", "b", "c"]);
    assert.deepEqual(result.test?.classNames, ["a", "b", "c"]);
    assert.deepEqual(Array.from(result.train.labels), [0, 1]);
    assert.deepEqual(Array.from(result.test?.labels ?? []), [0, 2]);
    assert.equal(result.files.test?.[1], join(dir, "test/c/1.png"));
    assert.deepEqual(result.skipped, [join(dir, "val/")]);
  });

  it("resizes the test pictures to the first training picture's size", () => {
    assert.deepEqual(result.test?.image, { rows: 4, cols: 4 });
    assert.deepEqual(row(result.test?.inputs ?? [], 0, 16), expected(luma(dark(8, 8, 3)), 4, 4));
  });

  it("refuses train/ without test/, naming both ways out", async () => {
    const half = folder();
    write(join(half, "train/a/1.png"), pngBytes(dark(4, 4, 1)));
    write(join(half, "train/b/1.png"), pngBytes(dark(4, 4, 1)));
    await rejectsData(half, /has a train\/ folder but no test\/ folder; give both .* or give .*train itself/);
  });
});

describe("readImageFolder: what a folder cannot be", () => {
  it("an unreadable or damaged picture is a DataError naming it", async () => {
    const dir = folder();
    write(join(dir, "a/1.png"), pngBytes(dark(4, 4, 1)));
    const truncated = pngBytes(dark(4, 4, 2));
    write(join(dir, "b/1.png"), truncated.subarray(0, truncated.length - 30));
    await rejectsData(
      dir,
      /b\/1\.png: the PNG's pixel data inflates to 0 bytes of the 68 .*truncated or damaged; replace it/,
    );
    write(join(dir, "b/1.png"), pngBytes(dark(4, 4, 2)));
    write(join(dir, "b/2.jpg"), "GIF89a, not a JPEG");
    await rejectsData(dir, /b\/2\.jpg: not a PNG or JPEG picture \(it starts with bytes 47 49 46 38/);
    write(join(dir, "b/2.jpg"), new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 16, 1, 2, 3]));
    await rejectsData(dir, /b\/2\.jpg: a damaged JPEG picture/);
  });

  it("a missing folder, an empty one, pictures without class folders, one class, an empty class", async () => {
    await rejectsData(join(root, "nowhere"), /nowhere: cannot be listed \(no such folder\)/);
    const empty = folder();
    await rejectsData(empty, /the folder is empty; an image folder holds one folder per class/);
    const loose = folder();
    write(join(loose, "1.png"), pngBytes(dark(4, 4, 1)));
    write(join(loose, "2.png"), pngBytes(dark(4, 4, 1)));
    await rejectsData(loose, /holds 2 pictures but no class folders; put each class's pictures in a folder named/);
    const one = folder();
    write(join(one, "cat/1.png"), pngBytes(dark(4, 4, 1)));
    await rejectsData(one, /only one class folder, "cat"; a classifier needs two or more/);
    const hollow = folder();
    write(join(hollow, "cat/1.png"), pngBytes(dark(4, 4, 1)));
    write(join(hollow, "dog/readme.txt"), "no pictures here");
    await rejectsData(hollow, /dog: the class folder "dog" holds no \.png, \.jpg or \.jpeg pictures/);
  });

  it("follows a link to a class folder, as torchvision does", async () => {
    const dir = folder();
    write(join(dir, "a/1.png"), pngBytes(dark(4, 4, 1)));
    write(join(root, "elsewhere/1.png"), pngBytes(dark(4, 4, 2)));
    symlinkSync(join(root, "elsewhere"), join(dir, "b"));
    const { train } = await readImageFolder(dir);
    assert.deepEqual(train.classNames, ["a", "b"]);
    assert.deepEqual(row(train.inputs, 1, 16), expected(luma(dark(4, 4, 2)), 4, 4));
  });
});

describe("readImageFolder: MNIST's digits written out as PNGs under folders zero … nine", async () => {
  const names = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
  const { test: mnist } = readMnist();
  const dir = folder();
  const count = 200;
  const order: number[] = [];
  for (let i = 0; i < count; i++) {
    const pixels = mnist.pixels.subarray(i * 784, (i + 1) * 784);
    const digit = rgba(28, 28, (x, y) => {
      const v = pixels[y * 28 + x] as number;
      return [v, v, v, 255];
    });
    write(join(dir, names[mnist.labels[i] as number] as string, `${String(i).padStart(5, "0")}.png`), pngBytes(digit));
  }
  // The order read: by class name (eight, five, four, …), then by file name, i.e. by index.
  const sorted = [...names].sort();
  for (const name of sorted)
    for (let i = 0; i < count; i++) if (names[mnist.labels[i] as number] === name) order.push(i);
  const { train } = await readImageFolder(dir);

  it("reads back exactly the IDX pixels, each labelled with its folder's index in the sorted names", () => {
    assert.deepEqual(train.classNames, sorted);
    assert.deepEqual(train.image, { rows: 28, cols: 28 });
    order.forEach((i, k) => {
      assert.deepEqual(row(train.inputs, k, 784), Array.from(mnist.pixels.subarray(i * 784, (i + 1) * 784)), `#${i}`);
      assert.equal(train.classNames[train.labels[k] as number], names[mnist.labels[i] as number]);
    });
  });
});
