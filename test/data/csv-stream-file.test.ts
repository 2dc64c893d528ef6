// A streamed CSV: its first pass decides what the in-memory reader decides (header, labels,
// classes, scale, errors), and every batch is the in-memory rows, scaled as loadTrainingData
// scales them, whatever the chunking, plain or gzipped, from any position of an epoch.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { gzipSync } from "node:zlib";
import { readCsv } from "../../src/data/csv-file.ts";
import { type CsvStreamOptions, csvHeldEstimate, openCsvStream } from "../../src/data/csv-stream-file.ts";
import { inputScaleOf, scaleInputs } from "../../src/data/source.ts";
import { DataError } from "../../src/errors.ts";
import { scalePixels } from "../../src/linalg/inputs.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { checksumOf } from "../../src/train/checkpoint.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-csv-stream-"));
after(() => rmSync(dir, { recursive: true, force: true }));

const rng = new Rng(3);
const names = ["ant", "bee", "cow"];
/** A header, quoted cells, CRLF ends, blank lines, a BOM, decimals and negatives, no newline at the end. */
function floatCsv(m: number): string {
  const lines = ['\ufeff"x,1",x2,class,x3,x4'];
  for (let i = 0; i < m; i++) {
    const v = () => (rng.int(5) === 0 ? String(rng.int(300)) : (rng.uniform() * 20 - 5).toFixed(rng.int(6)));
    const label = names[rng.int(3)] as string;
    lines.push(`${v()},"${v()}",${i % 7 === 0 ? `"${label}"` : label},${v()},  ${v()}`);
    if (i % 50 === 0) lines.push("");
  }
  return lines.join("\r\n");
}
/** No header, integer labels first, values 0…255. */
function byteCsv(m: number): string {
  const lines: string[] = [];
  for (let i = 0; i < m; i++) lines.push([rng.int(4), ...Array.from({ length: 9 }, () => rng.int(256))].join(","));
  return `${lines.join("\n")}\n`;
}
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  writeFileSync(join(dir, `${name}.gz`), gzipSync(text));
};
write("floats.csv", floatCsv(611));
write("bytes.csv", byteCsv(1003));

/** Reads one epoch of `path` streamed, from `position`, and checks every batch against the in-memory rows. */
async function epochMatches(
  path: string,
  options: CsvStreamOptions,
  position = 0,
  Float: Float32ArrayConstructor | Float64ArrayConstructor = Float32Array,
) {
  const held = await readCsv(path, options.labelColumn !== undefined ? { labelColumn: options.labelColumn } : {});
  const stream = await openCsvStream(path, options);
  const m = stream.examples;
  const n = stream.inputSize;
  const train = { ...held, inputs: held.inputs.subarray(0, m * n), labels: held.labels.subarray(0, m) };
  const scale = inputScaleOf(train, options.inputScale);
  const scaled = scaleInputs(train.inputs, scale);
  // The pipeline's matrix: bytes ÷ 255 (scalePixels), float32 values as they are.
  const expected = new Float(m * n);
  if (scaled instanceof Uint8Array) scalePixels(scaled, expected);
  else expected.set(scaled);
  assert.deepEqual(
    [stream.classNames, stream.header, stream.labelColumn, stream.inputScale, [...stream.labels]],
    [held.classNames, held.header, held.labelColumn, scale, [...train.labels]],
  );
  assert.equal(stream.checksum(7), checksumOf(7, [scaled]));
  const order = new Int32Array(m);
  stream.shuffle(order, new Rng(9));
  assert.deepEqual(
    [...order].sort((a, b) => a - b),
    Array.from({ length: m }, (_, i) => i),
  );
  const batch = 32;
  const reader = stream.open(batch);
  try {
    reader.start(order, position);
    for (let b = position; b < m; b += batch) {
      const rows = order.subarray(b, Math.min(m, b + batch));
      const out = new Float(rows.length * n);
      reader.next(rows, out);
      rows.forEach((r, i) => {
        assert.deepEqual(out.subarray(i * n, (i + 1) * n), expected.subarray(r * n, (r + 1) * n), `row ${r}`);
      });
    }
  } finally {
    reader.close();
    stream.close();
  }
  return order;
}

test("a streamed CSV's batches are the in-memory rows, scaled alike, plain and gzipped, chunked small", async () => {
  for (const file of ["floats.csv", "floats.csv.gz", "bytes.csv", "bytes.csv.gz"]) {
    const path = join(dir, file);
    await epochMatches(path, { chunkBytes: 300, shuffleBuffer: 40 });
    await epochMatches(path, { chunkBytes: 1000, shuffleBuffer: 5000 }, 77, Float64Array);
  }
});

test("--input-scale and --train-limit as in memory: the scale over the rows kept, the classes the file's", async () => {
  const path = join(dir, "floats.csv");
  await epochMatches(path, { chunkBytes: 500, shuffleBuffer: 30, limit: 123 });
  await epochMatches(path, { chunkBytes: 500, shuffleBuffer: 30, inputScale: "none", labelColumn: "class" });
  await epochMatches(join(dir, "bytes.csv.gz"), { chunkBytes: 500, inputScale: 255, limit: 999 }, 5, Float64Array);
  await epochMatches(join(dir, "bytes.csv"), { chunkBytes: 200, inputScale: 100 });
});

test("a gzipped CSV's chunks come in file order; a plain one's shuffled", async () => {
  const plain = await openCsvStream(join(dir, "bytes.csv"), { chunkBytes: 2000, shuffleBuffer: 1 });
  const gzip = await openCsvStream(join(dir, "bytes.csv.gz"), { chunkBytes: 2000, shuffleBuffer: 1 });
  const order = (s: typeof plain) => {
    const o = new Int32Array(s.examples);
    s.shuffle(o, new Rng(1));
    return [...o];
  };
  // A buffer of one example: each row comes within a chunk or two (~60 rows) of its place in
  // the chunks' order, which is the file's for gzip.
  const near = (o: number[]) => o.every((r, p) => Math.abs(r - p) < 200);
  assert.ok(near(order(gzip)));
  assert.ok(!near(order(plain)));
  assert.deepEqual(
    order(plain).sort((a, b) => a - b),
    Array.from({ length: plain.examples }, (_, i) => i),
  );
});

test("the first pass stops at the in-memory reader's errors, with its file, line and column", async () => {
  const bad = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    return join(dir, name);
  };
  const long = byteCsv(400);
  for (const path of [
    bad("value.csv", `${long}3,1,2,x,4,5,6,7,8,9\n`),
    bad("short.csv", `${long}3,1,2\n${long}`),
    bad("one-class.csv", "label,a\n1,2\n1,3\n"),
    bad("gaps.csv", "9,2\n1,3\n"),
    bad("empty.csv", ""),
  ]) {
    const held = await readCsv(path).then(
      () => assert.fail(`${path} read`),
      (e: Error) => e,
    );
    assert.ok(held instanceof DataError);
    await assert.rejects(
      openCsvStream(path, { chunkBytes: 100 }),
      (e: Error) => e instanceof DataError && e.message === held.message,
    );
  }
});

test("csvHeldEstimate guesses the rows and what holding them takes", () => {
  const e = csvHeldEstimate(join(dir, "bytes.csv"));
  assert.ok(Math.abs(e.rows - 1003) < 50, `${e.rows} rows`);
  assert.deepEqual([e.values, e.held], [9, e.rows * 9 * 5]);
  const f = csvHeldEstimate(join(dir, "floats.csv.gz"));
  assert.ok(Math.abs(f.rows - 611) < 40, `${f.rows} rows`);
  assert.deepEqual([f.values, f.held], [4, f.rows * 4 * 12]);
});
