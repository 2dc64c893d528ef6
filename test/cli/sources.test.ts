// The data sources of `train` and `eval` (issue #27), run as a user would: a CSV in sklearn's
// load_digits layout, an image folder of MNIST's digits as PNGs, splits, and what the model records.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { MNIST_FILES, readMnist } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { stratifiedSplit } from "../../src/data/split.ts";
import { loadModel } from "../../src/io/files.ts";
import { encodePng } from "../../src/io/png.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { accuracy, predict } from "../../src/nn/model.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-sources-"));

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const quick = ["--ae-iters", "15", "--softmax-iters", "30", "--finetune-iters", "15", "--quiet"];

/** Examples a stratified fraction holds out: round(n · f) of each class, at least one (split.ts's rule). */
function heldOut(labels: ArrayLike<number>, fraction: number): number {
  const counts = new Map<number, number>();
  for (let i = 0; i < labels.length; i++) counts.set(labels[i] as number, (counts.get(labels[i] as number) ?? 0) + 1);
  let held = 0;
  for (const n of counts.values()) held += n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * fraction)));
  return held;
}

const { train } = readMnist();
const M = 1500;

// 1. sklearn's load_digits layout: 64 columns of 0–16, the label last, no header. Made from MNIST:
//    the middle 24 × 24 pixels in 3 × 3 blocks, each block's mean in 0–16, rounded.
const rows: string[] = [];
const digitLabels = Array.from(train.labels.subarray(0, M));
let sixteens = 0;
for (let i = 0; i < M; i++) {
  const cells: number[] = [];
  for (let r = 0; r < 8; r++) {
    for (let c = 0; c < 8; c++) {
      let sum = 0;
      for (let y = 0; y < 3; y++)
        for (let x = 0; x < 3; x++) sum += train.pixels[i * 784 + (2 + 3 * r + y) * 28 + 2 + 3 * c + x] as number;
      cells.push(Math.round((sum / 9 / 255) * 16));
    }
  }
  if (cells.includes(16)) sixteens++;
  rows.push(`${cells.join(",")},${digitLabels[i]}`);
}
const digitsCsv = join(dir, "digits.csv.gz");
writeFileSync(digitsCsv, gzipSync(`${rows.join("\n")}\n`));
const trainCsv = join(dir, "digits-train.csv");
const testCsv = join(dir, "digits-test.csv");
writeFileSync(trainCsv, `${rows.slice(0, 1200).join("\n")}\n`);
writeFileSync(testCsv, `${rows.slice(1200).join("\n")}\n`);

// 2. MNIST's first 300 digits as PNGs in class folders zero … nine.
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const P = 300;
const pictures = join(dir, "pictures");
for (let i = 0; i < P; i++) {
  const folder = join(pictures, NAMES[train.labels[i] as number] as string);
  mkdirSync(folder, { recursive: true });
  const data = train.pixels.slice(i * 784, (i + 1) * 784);
  writeFileSync(join(folder, `${String(i).padStart(4, "0")}.png`), encodePng({ width: 28, height: 28, data }));
}

// 3. A small IDX folder.
const idx = join(dir, "idx");
mkdirSync(idx);
const tr = train.head(1000);
const te = readMnist().test.head(300);
writeFileSync(join(idx, MNIST_FILES.trainImages), encodeIdx([1000, 28, 28], tr.pixels));
writeFileSync(join(idx, MNIST_FILES.trainLabels), encodeIdx([1000], tr.labels));
writeFileSync(join(idx, MNIST_FILES.testImages), encodeIdx([300, 28, 28], te.pixels));
writeFileSync(join(idx, MNIST_FILES.testLabels), encodeIdx([300], te.labels));

describe("train and eval on each data source", () => {
  it("a load_digits-style CSV.gz trains with --label-column last --test-fraction 0.25; the model records its scale", () => {
    const model = join(dir, "digits.safetensors");
    const r = stackae(
      "train",
      ...["--data", digitsCsv, "--label-column", "last", "--test-fraction", "0.25", "--layers", "64"],
      ...[...quick, "--json", "--out", model],
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.ok(s.accuracyAfterFineTuning > 0.5, `accuracy ${s.accuracyAfterFineTuning}`);
    assert.deepEqual(s.classes, ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]);
    // Per-class metrics: the supports are the test set's class counts, and the weighted recall
    // (Σ support · recall / Σ support) is the accuracy.
    const perClass = s.metrics.perClass as { name: string; recall: number; support: number }[];
    assert.deepEqual(
      perClass.map((c) => c.name),
      s.classes,
    );
    const total = perClass.reduce((t, c) => t + c.support, 0);
    assert.equal(total, s.data.testImages);
    const recalled = perClass.reduce((t, c) => t + c.recall * c.support, 0);
    assert.ok(Math.abs(recalled / total - s.accuracyAfterFineTuning) < 1e-12);
    const held = heldOut(digitLabels, 0.25);
    assert.equal(s.data.testImages, held);
    assert.equal(s.data.trainImages, M - held);
    assert.equal(s.data.kind, "csv");
    assert.deepEqual(s.data.imageSize, [8, 8]);
    // The training set's largest value: 16, which more than a quarter of the rows hold.
    assert.ok(sixteens > M / 4, `${sixteens} rows hold a 16`);
    assert.equal(s.data.inputScale, 16);
    const { metadata } = loadModel(model);
    assert.equal(metadata.inputScale, "16");
    assert.equal(metadata.classNames, undefined, "integer labels need no names");
    assert.equal(metadata.preparation, undefined);
    // eval reads every row of a CSV as test data.
    const e = stackae("eval", model, "--data", digitsCsv, "--label-column", "last", "--json");
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).testImages, M);
    const other = stackae("eval", model, "--data", idx);
    assert.equal(other.code, 3);
    assert.match(
      other.stderr,
      /idx: test images have 784 pixels \(28 × 28\) but .*digits\.safetensors takes 64 inputs/,
    );
  });

  it("--test takes the test set from another CSV; eval on it, scaled as the model records, gives train's accuracy", () => {
    const model = join(dir, "digits-16.safetensors");
    const flags = ["--label-column", "last", "--layers", "16", ...quick, "--json", "--out", model];
    const r = stackae("train", "--data", trainCsv, "--test", testCsv, ...flags);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.data.trainImages, 1200);
    assert.equal(s.data.testImages, M - 1200);
    const e = stackae("eval", model, "--data", testCsv, "--label-column", "last", "--json");
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).accuracy, s.accuracyAfterFineTuning);
  });

  it("an image folder of PNGs (zero … nine) trains with --test-fraction 0.2; the model records the names", () => {
    const model = join(dir, "pictures.safetensors");
    const r = stackae(
      "train",
      "--data",
      pictures,
      "--test-fraction",
      "0.2",
      "--layers",
      "16",
      ...quick,
      "--json",
      "--out",
      model,
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    const sorted = [...NAMES].sort();
    assert.deepEqual(s.classes, sorted);
    // Folder names sorted: a picture's label is its digit's name's rank.
    const ranks = Array.from(train.labels.subarray(0, P), (y) => sorted.indexOf(NAMES[y] as string));
    assert.equal(s.data.testImages, heldOut(ranks, 0.2));
    assert.equal(s.data.kind, "images");
    assert.ok(s.accuracyAfterFineTuning > 0.3, `accuracy ${s.accuracyAfterFineTuning}`);
    const { metadata } = loadModel(model);
    assert.deepEqual(JSON.parse(metadata.classNames as string), sorted);
    assert.equal(metadata.preparation, "resize");
    assert.equal(metadata.inputScale, undefined, "pictures are ÷ 255, as IDX files");
    const e = stackae("eval", model, "--data", pictures, "--json");
    assert.equal(e.code, 0, e.stderr);
    assert.equal(JSON.parse(e.stdout).testImages, P);
    // predict names a picture by its folder's name, the same class predict --json gives by index.
    const seven = join(pictures, "seven", "0015.png");
    assert.equal(train.labels[15], 7);
    const p = stackae("predict", model, seven);
    const pj = stackae("predict", model, seven, "--json");
    assert.equal(p.code, 0, p.stderr);
    const item = JSON.parse(pj.stdout)[0];
    assert.equal(item.name, sorted[item.predicted]);
    assert.equal(p.stdout.trim(), `${seven}: ${item.name}`);
  });

  it("an IDX folder without new flags: the model records nothing new; --validation-fraction holds out of training", () => {
    const model = join(dir, "idx.safetensors");
    const r = stackae("train", "--data", idx, "--layers", "16", ...quick, "--json", "--out", model);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.data.validationImages, null);
    const { metadata } = loadModel(model);
    for (const key of ["classNames", "inputScale", "preparation"]) assert.equal(metadata[key], undefined, key);
    const named = join(dir, "idx-named.safetensors");
    const v = stackae(
      "train",
      ...["--data", idx, "--validation-fraction", "0.1", "--class-names", NAMES.join(","), "--layers", "16"],
      ...[...quick, "--json", "--out", named],
    );
    assert.equal(v.code, 0, v.stderr);
    const sv = JSON.parse(v.stdout);
    assert.deepEqual(sv.classes, NAMES);
    assert.deepEqual(JSON.parse(loadModel(named).metadata.classNames as string), NAMES);
    assert.equal(loadModel(named).metadata.inputScale, undefined);
    const held = heldOut(tr.labels, 0.1);
    assert.equal(sv.data.validationImages, held);
    assert.equal(sv.data.trainImages, 1000 - held);
    assert.equal(sv.data.testImages, 300);
  });

  it("--unlabeled takes an image folder; --test-fraction is refused where the source has a test set", () => {
    const r = stackae("train", "--data", idx, "--unlabeled", pictures, "--layers", "16", ...quick, "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout).data.unlabeledImages, P);
    const f = stackae("train", "--data", idx, "--test-fraction", "0.2", "--quiet");
    assert.equal(f.code, 2);
    assert.match(f.stderr, /--test-fraction: .*idx has a test set of its own/);
    const column = stackae("train", "--data", idx, "--label-column", "last", "--quiet");
    assert.equal(column.code, 2);
    assert.match(column.stderr, /--label-column is for CSV files only; .*idx is an IDX folder/);
    const bad = stackae("train", "--data", digitsCsv, "--input-scale", "zero", "--quiet");
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--input-scale/);
  });

  it("--validation-fraction 0.1 --early-stopping 5 stops adam fine-tuning early and keeps the best, as the saved model shows", () => {
    const model = join(dir, "early.safetensors");
    const r = stackae(
      "train",
      ...["--data", idx, "--layers", "24", "--ae-iters", "2", "--softmax-iters", "30", "--quiet", "--json"],
      ...["--finetune-optimizer", "adam", "--finetune-iters", "60", "--batch-size", "50", "--learning-rate", "0.01"],
      ...["--validation-fraction", "0.1", "--early-stopping", "5", "--out", model],
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    const fine = s.validation["fine-tuning"];
    assert.match(s.stopped["fine-tuning"], /did not improve for 5 evaluations/);
    assert.ok(s.iterations["fine-tuning"] < 60 * Math.ceil(900 / 50), "stopped before its last epoch");
    assert.deepEqual(fine.kept, fine.best);
    // The validation part, drawn as the CLI draws it, and the saved model's accuracy on it.
    const held = stratifiedSplit(Int32Array.from(tr.labels), 0.1, 1).held;
    assert.equal(s.data.validationImages, held.length);
    const pixels = new Uint8Array(held.length * 784);
    const labels = new Int32Array(held.length);
    held.forEach((row, i) => {
      pixels.set(tr.pixels.subarray(row * 784, (row + 1) * 784), i * 784);
      labels[i] = tr.labels[row] as number;
    });
    const saved = loadModel(model);
    const recomputed = accuracy(predict(new JsBackend("float32"), saved.model, pixels), labels);
    assert.equal(recomputed, fine.best.accuracy);
    assert.equal(Number(saved.metadata.validationAccuracy), fine.best.accuracy);
  });
});
