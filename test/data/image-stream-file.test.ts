// A streamed image folder: listed as the in-memory reader lists it, each batch its pictures
// prepared as that reader prepares them (gray, resized, round(255 · value) bytes, ÷ 255), the
// test side read whole, whatever the chunking and the position in the epoch.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { PNG } from "pngjs";
import { readMnist } from "../../src/data/files.ts";
import { readImageFolder } from "../../src/data/image-folder-file.ts";
import { type ImageStreamOptions, openImageFolderStream, readImageTestSide } from "../../src/data/image-stream-file.ts";
import { scalePixels } from "../../src/linalg/inputs.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { checksumOf } from "../../src/train/checkpoint.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-image-stream-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** MNIST digits as PNG files by class, dark ink on light (inverted back when read), some of them 2 × wider. */
function digitFolder(root: string, count: number, from = 0): void {
  const digits = readMnist().train;
  for (let i = from; i < from + count; i++) {
    const wide = i % 3 === 0 ? 2 : 1;
    const png = new PNG({ width: 28 * wide, height: 28 });
    for (let p = 0; p < 28 * 28 * wide; p++) {
      const v =
        255 -
        (digits.pixels[i * 784 + Math.floor((p % (28 * wide)) / wide) + 28 * Math.floor(p / (28 * wide))] as number);
      png.data.set([v, v, (v * 3) % 256, 255], 4 * p);
    }
    const folder = join(root, `digit-${digits.labels[i]}`);
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, `${String(i).padStart(5, "0")}.png`), PNG.sync.write(png));
  }
}
digitFolder(join(dir, "split", "train"), 230);
digitFolder(join(dir, "split", "test"), 40, 230);
digitFolder(join(dir, "flat"), 150, 300);

async function epochMatches(
  path: string,
  options: ImageStreamOptions,
  position = 0,
  Float: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array,
) {
  const held = await readImageFolder(path, options.imageSize ? { imageSize: options.imageSize } : {});
  const stream = await openImageFolderStream(path, options);
  const m = stream.examples;
  const n = stream.inputSize;
  const bytes = (held.train.inputs as Uint8Array).subarray(0, m * n);
  const expected = new Float(m * n);
  scalePixels(bytes, expected);
  assert.deepEqual(
    [stream.classNames, stream.image, [...stream.labels]],
    [held.train.classNames, held.train.image, [...held.train.labels.subarray(0, m)]],
  );
  assert.equal(stream.checksum(11), checksumOf(11, [bytes]));
  const order = new Int32Array(m);
  stream.shuffle(order, new Rng(2));
  const batch = 16;
  const reader = stream.open(batch);
  try {
    reader.start(order, position);
    for (let b = position; b < m; b += batch) {
      const rows = order.subarray(b, Math.min(m, b + batch));
      const out = new Float(rows.length * n);
      reader.next(rows, out);
      rows.forEach((r, i) => {
        assert.deepEqual(out.subarray(i * n, (i + 1) * n), expected.subarray(r * n, (r + 1) * n), `picture ${r}`);
      });
    }
  } finally {
    reader.close();
  }
  const side = await readImageTestSide(stream);
  stream.close();
  return { held, side };
}

test("a streamed image folder's batches are the in-memory reader's pictures, chunked small, any position", async () => {
  const { held, side } = await epochMatches(join(dir, "split"), { chunkFiles: 7, shuffleBuffer: 20 });
  assert.deepEqual(side, { inputs: held.test?.inputs, labels: held.test?.labels });
  await epochMatches(join(dir, "split"), { chunkFiles: 50, shuffleBuffer: 1000 }, 33, Float64Array);
  const flat = await epochMatches(join(dir, "flat"), { chunkFiles: 9, shuffleBuffer: 10, limit: 101 });
  assert.equal(flat.side, null);
});

test("pictures made the size asked (--image-size), as in memory", async () => {
  await epochMatches(join(dir, "flat"), { chunkFiles: 13, shuffleBuffer: 30, imageSize: { width: 14, height: 10 } }, 3);
});
