import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { readIdx } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { openIdxStream, readIdxImagesHeader } from "../../src/data/idx-stream-file.ts";
import { DataError } from "../../src/errors.ts";
import { scalePixels } from "../../src/linalg/inputs.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { checksum } from "../../src/train/checkpoint.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-stream-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const m = 1237;
const n = 12;
const rng = new Rng(5);
const pixels = Uint8Array.from({ length: m * n }, () => rng.int(256));
const labels = Uint8Array.from({ length: m }, () => rng.int(10));
const images = encodeIdx([m, 3, 4], pixels);
writeFileSync(join(dir, "images"), images);
writeFileSync(join(dir, "images.gz"), gzipSync(images));
writeFileSync(join(dir, "labels"), encodeIdx([m], labels));

/** Every batch of one epoch read through the stream, against the in-memory rows the order names. */
function epochMatches(
  path: string,
  options: Parameters<typeof openIdxStream>[2],
  position = 0,
  Float: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array,
) {
  const stream = openIdxStream(path, join(dir, "labels"), options);
  const count = stream.examples;
  const order = new Int32Array(count);
  stream.shuffle(order, new Rng(9));
  const batch = 50;
  const reader = stream.open(batch);
  const expected = new Float(count * n);
  scalePixels(readIdx(path, 3).data.subarray(0, count * n), expected);
  try {
    reader.start(order, position);
    for (let b = position; b < count; b += batch) {
      const rows = order.subarray(b, Math.min(count, b + batch));
      const out = new Float(rows.length * n);
      reader.next(rows, out);
      rows.forEach((r, i) => {
        assert.deepEqual(out.subarray(i * n, (i + 1) * n), expected.subarray(r * n, (r + 1) * n));
      });
    }
  } finally {
    reader.close();
  }
  return { stream, order };
}

test("a streamed IDX file's batches are the in-memory reader's rows, plain and gzipped, chunked small", () => {
  for (const file of ["images", "images.gz"]) {
    const { stream, order } = epochMatches(join(dir, file), { shuffleBuffer: 100, chunkBytes: 37 * n });
    assert.deepEqual(stream.labels, Int32Array.from(labels));
    assert.equal(new Set(order).size, m);
  }
});

test("float64 batches hold each byte ÷ 255 in float64, as scalePixels divides (the js backend's float64 matrices)", () => {
  epochMatches(join(dir, "images"), { shuffleBuffer: 100, chunkBytes: 37 * n }, 0, Float64Array);
});

test("an epoch read from the middle of its order (a resumed run), and a limit", () => {
  epochMatches(join(dir, "images"), { shuffleBuffer: 64, chunkBytes: 100 * n }, 450);
  epochMatches(join(dir, "images.gz"), { shuffleBuffer: 64, chunkBytes: 100 * n }, 999);
  const { stream } = epochMatches(join(dir, "images"), { limit: 700, chunkBytes: 64 * n });
  assert.equal(stream.examples, 700);
});

test("a second epoch on the same reader, after part of the first", () => {
  const stream = openIdxStream(join(dir, "images"), join(dir, "labels"), { shuffleBuffer: 10, chunkBytes: 20 * n });
  const reader = stream.open(100);
  const order = new Int32Array(m);
  const r = new Rng(1);
  try {
    for (let epoch = 0; epoch < 2; epoch++) {
      stream.shuffle(order, r);
      reader.start(order, 0);
      const out = new Float32Array(100 * n);
      reader.next(order.subarray(0, 100), out);
      assert.equal(out[0], Math.fround((pixels[(order[0] as number) * n] as number) / 255));
    }
    assert.throws(() => reader.next(order.subarray(0, 100), new Float32Array(100 * n)), /not the next/);
  } finally {
    reader.close();
  }
});

test("its checksum is the in-memory checkpoint's, plain and gzipped; a truncated gzip is a DataError", () => {
  const expected = checksum([Int32Array.from(labels), pixels]);
  for (const file of ["images", "images.gz"]) {
    const stream = openIdxStream(join(dir, file), join(dir, "labels"));
    const h = stream.checksum(labelsHash(stream.labels));
    assert.equal((h >>> 0).toString(16).padStart(8, "0"), expected);
  }
  writeFileSync(join(dir, "cut.gz"), gzipSync(images).subarray(0, 3000));
  const stream = openIdxStream(join(dir, "cut.gz"), join(dir, "labels"));
  assert.throws(
    () => stream.checksum(0),
    (e: Error) => e.name === "DataError" && /truncated|unexpected end/i.test(e.message),
  );
});

function labelsHash(a: Int32Array): number {
  let h = 0x811c9dc5;
  const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193);
  return h;
}

test("a pipe's header is a DataError (streaming reads at offsets), so the CLI loads it in memory instead", {
  skip: process.platform === "win32",
}, () => {
  const dir = mkdtempSync(join(tmpdir(), "stackae-fifo-"));
  try {
    const fifo = join(dir, "train-images-idx3-ubyte");
    execFileSync("mkfifo", [fifo]);
    // Held open for reading and writing, the pipe has a writer: opening it to read does not block.
    const writer = openSync(fifo, "r+");
    try {
      assert.throws(
        () => readIdxImagesHeader(fifo),
        (error: unknown) => error instanceof DataError && /a pipe, not a file/.test(error.message),
      );
    } finally {
      closeSync(writer);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
