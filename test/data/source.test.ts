import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { encodeIdx } from "../../src/data/idx.ts";
import { fromArrays, indexNames, inputScaleOf, onClasses, renameClasses, scaleInputs } from "../../src/data/source.ts";
import { readSource, sourceKind } from "../../src/data/source-file.ts";
import { ArgumentError, DataError } from "../../src/errors.ts";
import { encodePng } from "../../src/io/png.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-source-"));

describe("fromArrays", () => {
  it("takes rows (number[][]), a flat typed array, or a flat number[] alike", () => {
    const rows = [
      [0, 0.5, 1],
      [1, 0.25, 0],
    ];
    const a = fromArrays(rows, [1, 0]);
    const b = fromArrays(Float64Array.from(rows.flat()), Int32Array.of(1, 0));
    const c = fromArrays(rows.flat(), [1, 0], { inputSize: 3 });
    for (const e of [a, b, c]) {
      assert.deepEqual(Array.from(e.inputs), [0, 0.5, 1, 1, 0.25, 0]);
      assert.ok(e.inputs instanceof Float32Array);
      assert.deepEqual(Array.from(e.labels), [1, 0]);
      assert.equal(e.inputSize, 3);
      assert.deepEqual(e.classNames, ["0", "1"]);
    }
    // Values become float32, as a CSV's do.
    assert.equal(fromArrays([[0.1], [0.2]], [0, 1]).inputs[0], Math.fround(0.1));
  });

  it("keeps bytes as pixels, and sorts string labels into class names", () => {
    const e = fromArrays(Uint8Array.of(0, 255, 9, 8), ["dog", "cat"], { image: { rows: 1, cols: 2 } });
    assert.ok(e.inputs instanceof Uint8Array);
    assert.deepEqual(e.classNames, ["cat", "dog"]);
    assert.deepEqual(Array.from(e.labels), [1, 0]);
    assert.deepEqual(e.image, { rows: 1, cols: 2 });
    const named = fromArrays([[1], [2], [3]], ["b", "a", "c"], { classNames: ["c", "b", "a"] });
    assert.deepEqual(Array.from(named.labels), [1, 2, 0]);
  });

  it("refuses shapes that disagree, and labels that are not classes", () => {
    assert.throws(() => fromArrays([1, 2, 3], [0, 1]), ArgumentError);
    assert.throws(() => fromArrays([[1, 2], [3]], [0, 1]), /row 1 holds 1 values, row 0 2/);
    assert.throws(() => fromArrays([[1], [2]], [0, -1]), /y\[1\] is -1/);
    assert.throws(() => fromArrays([[1], [2]], ["a", "z"], { classNames: ["a", "b"] }), /y\[1\] is "z"/);
    assert.throws(() => fromArrays([], []), /no labels/);
    assert.throws(() => fromArrays([[1]], [0], { size: 3 } as never), /unknown option "size"/);
  });
});

describe("input scale", () => {
  const floats = fromArrays(
    [
      [0, 3],
      [16, 2],
    ],
    [0, 1],
  );
  const bytes = fromArrays(Uint8Array.of(0, 3, 16, 2), [0, 1]);
  it("max is the largest value, pixels default to 255, none is 1", () => {
    assert.equal(inputScaleOf(floats, undefined), 16);
    assert.equal(inputScaleOf(floats, "max"), 16);
    assert.equal(inputScaleOf(bytes, undefined), 255);
    assert.equal(inputScaleOf(bytes, "max"), 16);
    assert.equal(inputScaleOf(floats, "none"), 1);
    assert.equal(inputScaleOf(floats, 4), 4);
    assert.equal(inputScaleOf(fromArrays([[0], [0]], [0, 1]), "max"), 1);
  });
  it("scales to float32 values, except pixels at 255, which stay bytes for the pipeline", () => {
    assert.equal(scaleInputs(bytes.inputs, 255), bytes.inputs);
    assert.equal(scaleInputs(floats.inputs, 1), floats.inputs, "floats at scale 1 pass as they are");
    assert.deepEqual(Array.from(scaleInputs(floats.inputs, 16)), [0, 3 / 16, 1, 2 / 16]);
    assert.deepEqual(Array.from(scaleInputs(bytes.inputs, 3)), [0, 1, Math.fround(16 / 3), Math.fround(2 / 3)]);
  });
});

describe("class names across sets", () => {
  it("maps a set's labels onto a training set's classes by name, and renames by index", () => {
    const test = fromArrays([[1], [2], [3]], ["seven", "one", "seven"]);
    const mapped = onClasses(test, ["one", "seven", "zero"], "test.csv");
    assert.deepEqual(Array.from(mapped.labels), [1, 0, 1]);
    assert.throws(() => onClasses(test, ["one", "two"], "test.csv"), /test\.csv: example 0 is of class "seven"/);
    assert.deepEqual(renameClasses(test, ["a", "b"], "--class-names").classNames, ["a", "b"]);
    assert.throws(
      () => renameClasses(test, ["a"], "--class-names"),
      /--class-names names 1 classes but the data has 2/,
    );
    assert.ok(indexNames(["0", "1"]) && !indexNames(["1", "0"]));
  });
});

describe("sourceKind and readSource", () => {
  const idx = join(dir, "idx");
  mkdirSync(idx);
  const pixels = Uint8Array.from({ length: 4 * 4 }, (_, i) => i * 10);
  writeFileSync(join(idx, "train-images-idx3-ubyte"), encodeIdx([4, 2, 2], pixels));
  writeFileSync(join(idx, "train-labels-idx1-ubyte"), encodeIdx([4], Uint8Array.of(0, 1, 2, 1)));
  writeFileSync(join(idx, "t10k-images-idx3-ubyte.gz"), gzipSync(encodeIdx([2, 2, 2], pixels.subarray(0, 8))));
  writeFileSync(join(idx, "t10k-labels-idx1-ubyte"), encodeIdx([2], Uint8Array.of(1, 0)));
  const csv = join(dir, "plain.csv");
  writeFileSync(csv, "1,2,a\n3,4,b\n5,6,a\n");
  const gz = join(dir, "no-extension");
  writeFileSync(gz, gzipSync("x1,x2,label\n1,2,0\n3,4,1\n"));
  const images = join(dir, "images");
  for (const [name, v] of [
    ["dark", 0],
    ["light", 200],
  ] as const) {
    mkdirSync(join(images, name), { recursive: true });
    const data = new Uint8Array(9);
    data[4] = v;
    const png = encodePng({ width: 3, height: 3, data });
    writeFileSync(join(images, name, "a.png"), png);
  }

  it("tells an IDX folder, a CSV by name or content, and a folder of pictures apart", () => {
    assert.equal(sourceKind(idx), "idx");
    assert.equal(sourceKind(csv), "csv");
    assert.equal(sourceKind(gz), "csv");
    assert.equal(sourceKind(images), "images");
    assert.throws(() => sourceKind(join(idx, "train-images-idx3-ubyte")), /is an IDX file; give the folder/);
    assert.throws(
      () => sourceKind(join(dir, "nowhere")),
      (e: unknown) => e instanceof DataError && /no such folder/.test(e.message),
    );
  });

  it("reads each into examples: IDX with its test set, CSV and pictures whole", async () => {
    const i = await readSource(idx);
    assert.equal(i.kind, "idx");
    assert.deepEqual(Array.from(i.train.inputs), Array.from(pixels));
    assert.deepEqual(Array.from(i.test?.labels ?? []), [1, 0]);
    assert.deepEqual(i.train.classNames, ["0", "1", "2"]);
    const c = await readSource(csv, { labelColumn: "last" });
    assert.deepEqual(c.train.classNames, ["a", "b"]);
    assert.deepEqual(Array.from(c.train.inputs), [1, 2, 3, 4, 5, 6]);
    assert.equal(c.test, undefined);
    const g = await readSource(gz);
    assert.deepEqual(Array.from(g.train.labels), [0, 1]);
    const p = await readSource(images, { imageSize: { width: 2, height: 2 } });
    assert.equal(p.kind, "images");
    assert.deepEqual(p.train.classNames, ["dark", "light"]);
    assert.deepEqual(Array.from(p.train.labels), [0, 1]);
    assert.deepEqual(p.train.image, { rows: 2, cols: 2 });
    assert.deepEqual(Array.from(p.train.inputs.subarray(0, 4)), [0, 0, 0, 0]);
  });
});

it("readSource takes an IDX label that leaves classes empty only when the class names say there are that many", async () => {
  const d = mkdtempSync(join(tmpdir(), "stackae-gap-"));
  const px = new Uint8Array(3 * 4).fill(9);
  writeFileSync(join(d, "train-images-idx3-ubyte"), encodeIdx([3, 2, 2], px));
  writeFileSync(join(d, "train-labels-idx1-ubyte"), encodeIdx([3], Uint8Array.of(0, 1, 255)));
  writeFileSync(join(d, "t10k-images-idx3-ubyte"), encodeIdx([3, 2, 2], px));
  writeFileSync(join(d, "t10k-labels-idx1-ubyte"), encodeIdx([3], Uint8Array.of(0, 1, 1)));
  await assert.rejects(readSource(d), /train-labels-idx1-ubyte: label 255 \(1 of its 3 labels\) makes 256 classes/);
  const names = Array.from({ length: 256 }, (_, i) => `c${i}`);
  assert.equal((await readSource(d, { classNames: names })).train.classNames.length, 256);
});
