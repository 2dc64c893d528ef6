// `stackae encode`, run as a user would, on a small IDX folder and a saved model; its files read
// back by numpy (where python3 has it) and by decodeNpy, against the library's features.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { float32Text, labelsFileOf } from "../../src/cli/encode.ts";
import { MNIST_FILES, readMnist } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { readImageFolder } from "../../src/data/image-folder-file.ts";
import { saveModel } from "../../src/io/files.ts";
import { modelDataMetadata } from "../../src/io/model-data.ts";
import { decodeNpy } from "../../src/io/npy.ts";
import { createBackend } from "../../src/linalg/index.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { hiddenFeatures, modelLayout, type StackedModel } from "../../src/nn/model.ts";
import { stackFeatures } from "../../src/nn/stack.ts";
import { enableRelaxedSimd } from "../../src/platform/relaxed-simd.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-encode-"));

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// An IDX folder of 300 training and 200 test images, and a model 784 → 12 → 5 → softmax(10) of
// random weights: encode needs no trained model, only the computation.
const { train, test } = readMnist();
const data = join(dir, "data");
mkdirSync(data);
const tr = train.head(300);
const te = test.head(200);
writeFileSync(join(data, MNIST_FILES.trainImages), encodeIdx([300, 28, 28], tr.pixels));
writeFileSync(join(data, MNIST_FILES.trainLabels), encodeIdx([300], tr.labels));
writeFileSync(join(data, MNIST_FILES.testImages), encodeIdx([200, 28, 28], te.pixels));
writeFileSync(join(data, MNIST_FILES.testLabels), encodeIdx([200], te.labels));
const sizes = [784, 12, 5];
const rng = new Rng(4);
const shape = { sizes, classes: 10 };
const model = { ...shape, params: Float32Array.from({ length: modelLayout(shape).length }, () => 0.1 * rng.normal()) };
const modelFile = join(dir, "model.safetensors");
saveModel(modelFile, model);

/** The library's features of `inputs` at `layer`, through stackFeatures on the CLI's backend. */
async function libraryFeatures(inputs: Uint8Array | Float32Array, layer: number): Promise<Float32Array> {
  enableRelaxedSimd(); // as the CLI does
  const backend = await createBackend();
  try {
    const X = backend.zeros(inputs.length / 784, 784);
    if (inputs instanceof Uint8Array) for (let i = 0; i < inputs.length; i++) X.data[i] = (inputs[i] as number) / 255;
    else X.data.set(inputs);
    const theta = backend.fromValues(1, model.params.length, model.params);
    const F = stackFeatures(backend, modelLayout(model), theta, X, layer);
    return Float32Array.from(F.data);
  } finally {
    await backend.dispose();
  }
}

const hasNumpy = spawnSync("python3", ["-c", "import numpy"]).status === 0;

it("encode --out FILE.npy: the top layer's features (m × h float32) and FILE.labels.npy (int32), as numpy loads them", {
  skip: hasNumpy ? false : "python3 with numpy is not installed",
}, () => {
  const out = join(dir, "test.npy");
  const r = stackae("encode", modelFile, data, "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /200 × 5 features of hidden layer 2, labels \(200 int32\) in .*test\.labels\.npy/);
  const py = spawnSync(
    "python3",
    [
      "-c",
      "import json, sys, numpy as np; a = np.load(sys.argv[1]); y = np.load(sys.argv[2]); " +
        "print(json.dumps([a.shape, str(a.dtype), a[7].tolist(), y.shape, str(y.dtype), y.tolist()]))",
      out,
      join(dir, "test.labels.npy"),
    ],
    { encoding: "utf8" },
  );
  assert.equal(py.status, 0, py.stderr);
  const [aShape, aType, row7, yShape, yType, labels] = JSON.parse(py.stdout);
  assert.deepEqual([aShape, aType, yShape, yType], [[200, 5], "float32", [200], "int32"]);
  assert.deepEqual(labels, Array.from(te.labels));
  const { data: features } = decodeNpy(readFileSync(out));
  assert.deepEqual(row7, Array.from(features.subarray(7 * 5, 8 * 5)), "numpy reads the values written");
});

it("encode's features equal the library's to the last bit, at any layer, for every --set", async () => {
  const cases: [string[], Uint8Array, Uint8Array, number][] = [
    [[], te.pixels, te.labels, 2],
    [["--layer", "1", "--set", "train"], tr.pixels, tr.labels, 1],
    [["--set", "all"], new Uint8Array([...tr.pixels, ...te.pixels]), new Uint8Array([...tr.labels, ...te.labels]), 2],
  ];
  for (const [i, [flags, pixels, labels, layer]] of cases.entries()) {
    const out = join(dir, `case-${i}.npy`);
    const r = stackae("encode", modelFile, data, "--out", out, ...flags);
    assert.equal(r.code, 0, r.stderr);
    const { data: features, shape: got } = decodeNpy(readFileSync(out));
    const h = sizes[layer] as number;
    assert.deepEqual(got, [labels.length, h], flags.join(" "));
    assert.ok(features instanceof Float32Array);
    assert.deepEqual(features, await libraryFeatures(pixels, layer), flags.join(" "));
    assert.deepEqual(decodeNpy(readFileSync(out.replace(/\.npy$/, ".labels.npy"))).data, Int32Array.from(labels));
  }
});

it("encode --out FILE.csv: a header label,f1,…,fh and rows that read back as the same float32", async () => {
  const out = join(dir, "features.csv");
  const r = stackae("encode", modelFile, data, "--out", out, "--layer", "1");
  assert.equal(r.code, 0, r.stderr);
  const lines = readFileSync(out, "utf8").trimEnd().split("\n");
  assert.equal(lines[0], `label,${Array.from({ length: 12 }, (_, j) => `f${j + 1}`).join(",")}`);
  assert.equal(lines.length, 201);
  const features = await libraryFeatures(te.pixels, 1);
  for (const [i, line] of lines.slice(1).entries()) {
    const [label, ...cells] = line.split(",").map(Number);
    assert.equal(label, te.labels[i]);
    assert.deepEqual(cells.map(Math.fround), Array.from(features.subarray(i * 12, (i + 1) * 12)), `row ${i}`);
  }
});

it("encode of an IDX images file alone: no labels; a model's input scale is applied", async () => {
  const images = join(dir, "images-idx3-ubyte");
  writeFileSync(images, encodeIdx([200, 28, 28], te.pixels));
  const csv = join(dir, "unlabelled.csv");
  assert.equal(stackae("encode", modelFile, images, "--out", csv).code, 0);
  assert.match(readFileSync(csv, "utf8"), /^f1,f2,f3,f4,f5\n/);
  const npy = join(dir, "unlabelled.npy");
  assert.equal(stackae("encode", modelFile, images, "--out", npy).code, 0);
  assert.ok(!existsSync(join(dir, "unlabelled.labels.npy")));
  // A model that records inputs ÷ 100 (a CSV source's scale) is given pixels ÷ 100.
  const scaled = join(dir, "scaled.safetensors");
  saveModel(scaled, model, modelDataMetadata({ inputScale: 100 }));
  const out = join(dir, "scaled.npy");
  assert.equal(stackae("encode", scaled, images, "--out", out).code, 0);
  const inputs = Float32Array.from(te.pixels, (v) => v / 100);
  assert.deepEqual(decodeNpy(readFileSync(out)).data, await libraryFeatures(inputs, 2));
});

it("a model that records no scale (trained on pixels, ÷ 255) divides a CSV's values by 255 too, as eval does", async () => {
  // Kaggle's layout: the same 200 test images as integer cells 0–255, label first.
  const rows = ["label,".concat(Array.from({ length: 784 }, (_, i) => `p${i}`).join(","))];
  for (let i = 0; i < 200; i++) rows.push([te.labels[i], ...te.pixels.subarray(784 * i, 784 * (i + 1))].join(","));
  const csv = join(dir, "kaggle.csv");
  writeFileSync(csv, `${rows.join("\n")}\n`);
  const out = join(dir, "kaggle.npy");
  const r = stackae("encode", modelFile, csv, "--out", out);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(decodeNpy(readFileSync(out)).data, await libraryFeatures(te.pixels, 2));
});

it("encode refuses a bad --out, --layer or data size with a line naming it", () => {
  const bad = [
    [["--out", join(dir, "x.txt")], 2, /--out .*x\.txt: the features file must end in \.npy or \.csv/],
    [
      ["--out", join(dir, "x.npy"), "--layer", "3"],
      2,
      /--layer 3: .* has 2 hidden layers \(sizes 784 → 12 → 5\); give 1 to 2/,
    ],
    [["--out", join(dir, "x.npy"), "--layer", "0"], 2, /--layer/],
    [["--out", join(dir, "x.npy"), "--set", "validation"], 2, /train, test, all/],
  ] as const;
  for (const [flags, code, message] of bad) {
    const r = stackae("encode", modelFile, data, ...flags);
    assert.equal(r.code, code, r.stderr);
    assert.match(r.stderr, message);
  }
  const small = join(dir, "small-idx3-ubyte");
  writeFileSync(small, encodeIdx([2, 4, 4], new Uint8Array(32)));
  const r = stackae("encode", modelFile, small, "--out", join(dir, "x.npy"));
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /small-idx3-ubyte: examples have 16 values \(4 × 4\) but .* takes 784 inputs/);
});

/** A model of random weights, as the one above, of other sizes. */
function randomModel(sizes: number[], classes: number, seed: number): StackedModel {
  const r = new Rng(seed);
  return {
    sizes,
    classes,
    params: Float32Array.from({ length: modelLayout({ sizes, classes }).length }, () => r.normal()),
  };
}

/** hiddenFeatures of `inputs` (bytes: ÷ 255 by the library) on the CLI's backend. */
async function featuresOf(m: StackedModel, inputs: Uint8Array | Float32Array, layer: number): Promise<Float32Array> {
  enableRelaxedSimd();
  const backend = await createBackend();
  try {
    return hiddenFeatures(backend, m, inputs, layer);
  } finally {
    await backend.dispose();
  }
}

it("encode of a CSV file: all its rows, labels matched to the model's class names, scaled as the model records", async () => {
  // 7 rows of 6 values and a label last; a model 6 → 4 → 3 of classes cat, dog, eel that records inputs ÷ 10.
  const classes = ["cat", "dog", "eel"];
  const rows = Array.from({ length: 7 }, (_, i) => Array.from({ length: 6 }, (_, j) => (i * 7 + j * 3) % 20));
  const labels = [2, 0, 1, 1, 0, 2, 0];
  const csv = join(dir, "table.csv");
  const lines = rows.map((row, i) => `${row.join(",")},${classes[labels[i] as number]}`);
  writeFileSync(csv, `a,b,c,d,e,f,kind\n${lines.join("\n")}\n`);
  const m = randomModel([6, 4, 3], 3, 11);
  const file = join(dir, "csv.safetensors");
  saveModel(file, m, modelDataMetadata({ classNames: classes, inputScale: 10 }));
  const inputs = Float32Array.from(rows.flat(), (v) => v / 10);
  for (const layer of [1, 2]) {
    const out = join(dir, `table-${layer}.npy`);
    const r = stackae("encode", file, csv, "--out", out, "--label-column", "last", "--layer", String(layer));
    assert.equal(r.code, 0, r.stderr);
    const { data: features, shape: got } = decodeNpy(readFileSync(out));
    assert.deepEqual(got, [7, m.sizes[layer]]);
    assert.deepEqual(features, await featuresOf(m, inputs, layer), `layer ${layer}`);
    assert.deepEqual(decodeNpy(readFileSync(labelsFileOf(out))).data, Int32Array.from(labels));
  }
  const out = join(dir, "table.csv-features.csv");
  assert.equal(stackae("encode", file, csv, "--out", out, "--label-column", "kind", "--set", "all").code, 0);
  const written = readFileSync(out, "utf8").trimEnd().split("\n");
  assert.equal(written[0], "label,f1,f2,f3");
  assert.deepEqual(
    written.slice(1).map((line) => Number(line.split(",")[0])),
    labels,
  );
  // One set: --set train or test is refused, naming the flag; --label-column is for CSV files only.
  const bad = stackae("encode", file, csv, "--out", join(dir, "x.npy"), "--set", "train");
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--set train: .*table\.csv is a CSV file, one set of examples with no train\/test split/);
  const idx = stackae("encode", modelFile, data, "--out", join(dir, "x.npy"), "--label-column", "last");
  assert.equal(idx.code, 2, idx.stderr);
  assert.match(idx.stderr, /--label-column is for CSV files only/);
});

it("encode of an image folder: its pictures made the model's size, its test/ side by default, --set all both", async () => {
  // train/ and test/ with classes 0 and 1, 8 × 8 PNG pictures; a model 16 (4 × 4) → 5 that records "resize".
  const folder = join(dir, "pictures");
  const r = new Rng(21);
  for (const side of ["train", "test"]) {
    for (const c of ["0", "1"]) {
      mkdirSync(join(folder, side, c), { recursive: true });
      for (let k = 0; k < 3; k++) {
        const png = new PNG({ width: 8, height: 8 });
        for (let p = 0; p < 64; p++) {
          const v = Math.floor(r.uniform() * (c === "0" ? 100 : 256));
          png.data.set([v, v, v, 255], 4 * p);
        }
        writeFileSync(join(folder, side, c, `${k}.png`), PNG.sync.write(png));
      }
    }
  }
  const m = randomModel([16, 5], 2, 12);
  const file = join(dir, "images.safetensors");
  saveModel(file, m, modelDataMetadata({ preparation: "resize" }));
  const read = await readImageFolder(folder, { imageSize: { width: 4, height: 4 } });
  const test = read.test as NonNullable<typeof read.test>;
  const cases: [string[], Uint8Array, Int32Array][] = [
    [[], test.inputs as Uint8Array, Int32Array.from(test.labels)],
    [["--set", "train"], read.train.inputs as Uint8Array, Int32Array.from(read.train.labels)],
    [
      ["--set", "all"],
      new Uint8Array([...read.train.inputs, ...test.inputs]),
      Int32Array.from([...read.train.labels, ...test.labels]),
    ],
  ];
  for (const [i, [flags, pixels, labels]] of cases.entries()) {
    const out = join(dir, `pictures-${i}.npy`);
    const run = stackae("encode", file, folder, "--out", out, ...flags);
    assert.equal(run.code, 0, run.stderr);
    const { data: features, shape: got } = decodeNpy(readFileSync(out));
    assert.deepEqual(got, [labels.length, 5], flags.join(" "));
    assert.deepEqual(features, await featuresOf(m, pixels, 1), flags.join(" "));
    assert.deepEqual(decodeNpy(readFileSync(labelsFileOf(out))).data, labels, flags.join(" "));
  }
  // A folder without train/ and test/ is one set: all its pictures, by default.
  const one = join(folder, "train");
  const out = join(dir, "one.npy");
  assert.equal(stackae("encode", file, one, "--out", out).code, 0);
  assert.deepEqual(decodeNpy(readFileSync(out)).data, await featuresOf(m, read.train.inputs as Uint8Array, 1));
  const bad = stackae("encode", file, one, "--out", out, "--set", "test");
  assert.equal(bad.code, 2, bad.stderr);
  assert.match(bad.stderr, /--set test: .* is an image folder without train\/ and test\//);
});

it("float32Text is the shortest decimal that reads back as the same float32", () => {
  const rng = new Rng(9);
  // Sigmoid outputs: (0, 1), some far below 1e-15 (written by toPrecision), some large and negative.
  for (let i = 0; i < 4000; i++) {
    const v = Math.fround((i % 3 === 0 ? -1e6 : 1) * rng.uniform() ** (i % 2 === 0 ? 8 : 60));
    const text = float32Text(v);
    assert.equal(Math.fround(Number(text)), v, text);
    assert.ok(v === 0 || text.length <= String(v).length, `${text} vs ${v}`);
  }
  assert.equal(float32Text(Math.fround(0.1)), "0.1");
  assert.equal(float32Text(0.5), "0.5");
  assert.equal(float32Text(0), "0");
  assert.equal(float32Text(-0), "-0");
});
