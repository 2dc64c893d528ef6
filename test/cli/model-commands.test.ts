// eval's per-class scores and predict's class names and default preparation, run as a user would,
// on models of random weights saved with and without what a model records of its data.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";
import { crc32 } from "node:zlib";
import jpeg from "jpeg-js";
import { MNIST_FILES, readMnist } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { saveModel } from "../../src/io/files.ts";
import { modelDataMetadata } from "../../src/io/model-data.ts";
import { encodePng } from "../../src/io/png.ts";
import { Rng } from "../../src/linalg/rng.ts";
import { classificationReport } from "../../src/nn/metrics.ts";
import { modelLayout } from "../../src/nn/model.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-model-commands-"));

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const te = readMnist().test.head(300);
const data = join(dir, "data");
mkdirSync(data);
writeFileSync(join(data, MNIST_FILES.testImages), encodeIdx([300, 28, 28], te.pixels));
writeFileSync(join(data, MNIST_FILES.testLabels), encodeIdx([300], te.labels));
const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const shape = { sizes: [784, 16], classes: 10 };
const rng = new Rng(8);
const model = { ...shape, params: Float32Array.from({ length: modelLayout(shape).length }, () => 0.3 * rng.normal()) };
function saved(name: string, metadata: Record<string, string>): string {
  const file = join(dir, `${name}.safetensors`);
  saveModel(file, model, metadata);
  return file;
}
const plain = saved("plain", {});
const named = saved("named", modelDataMetadata({ classNames: NAMES }));
const digit = saved("digit", modelDataMetadata({ preparation: "digit" }));
const resize = saved("resize", modelDataMetadata({ preparation: "resize" }));

// A digit drawn small and off-centre, black on white, in a 120 × 120 picture.
const picture = new Uint8Array(120 * 120).fill(255);
for (let y = 0; y < 28; y++)
  for (let x = 0; x < 28; x++) picture[(70 + y) * 120 + 10 + x] = 255 - (te.pixels[y * 28 + x] as number);
const png = join(dir, "digit.png");
writeFileSync(png, encodePng({ width: 120, height: 120, data: picture }));

type Item = { file: string; index: number; predicted: number; name: string; probabilities: number[] };
const predictJson = (...args: string[]): Item[] => {
  const r = stackae("predict", ...args, "--json");
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
};

it("eval gives per-class precision, recall and F1 of its confusion matrix, by the model's class names", () => {
  const r = stackae("eval", named, "--data", data, "--json");
  assert.equal(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const report = classificationReport(out.confusion);
  assert.deepEqual(
    out.metrics.perClass,
    report.perClass.map((s, c) => ({ class: c, name: NAMES[c], ...s })),
  );
  assert.deepEqual(out.metrics.macroAverage, report.macroAverage);
  assert.deepEqual(out.metrics.weightedAverage, report.weightedAverage);
  assert.equal(report.accuracy, out.accuracy);
  const text = stackae("eval", named, "--data", data).stdout;
  assert.match(text, /\n +precision +recall +f1-score +support\n\n/);
  const seven = report.perClass[7];
  assert.ok(seven);
  assert.match(
    text,
    new RegExp(
      `\n +seven +${seven.precision.toFixed(4)} +${seven.recall.toFixed(4)} +${seven.f1.toFixed(4)} +${seven.support}\n`,
    ),
  );
  assert.match(text, /\n {4}accuracy +\d\.\d{4} +300\n {3}macro avg .*\nweighted avg .*\n$/);
  // A model without names: the classes by index.
  assert.match(stackae("eval", plain, "--data", data).stdout, /\n +7 +\d\.\d{4} /);
});

it("predict prints the model's class names; --json gives the class's index and name", () => {
  const idx = join(data, MNIST_FILES.testImages);
  const items = predictJson(named, idx);
  assert.equal(items.length, 300);
  for (const p of items) assert.equal(p.name, NAMES[p.predicted]);
  const lines = stackae("predict", named, idx).stdout.trimEnd().split("\n");
  assert.deepEqual(
    lines,
    items.map((p) => `${idx}[${p.index}]: ${NAMES[p.predicted]}`),
  );
  // Without names, the name is the index.
  for (const p of predictJson(plain, png)) assert.equal(p.name, String(p.predicted));
});

it("predict centres a picture by default for a model of MNIST-style digits, not for one of resized pictures", () => {
  const probabilities = (...args: string[]) => predictJson(...args).map((p) => p.probabilities);
  const centred = probabilities(plain, png, "--center");
  const uncentred = probabilities(plain, png, "--no-center");
  assert.notDeepEqual(centred, uncentred, "the two preparations give other inputs");
  // A model recording nothing, or "digit": centred; "resize": not; the flags override either.
  assert.deepEqual(probabilities(plain, png), centred);
  assert.deepEqual(probabilities(digit, png), centred);
  assert.deepEqual(probabilities(resize, png), uncentred);
  assert.deepEqual(probabilities(resize, png, "--center"), centred);
  assert.deepEqual(probabilities(digit, png, "--no-center"), uncentred);
});

it("predict refuses a picture declaring a huge size from its header, naming it (exit 3), and reads JPEG too", () => {
  // The issue's file: a PNG of a few dozen bytes whose header says 20000 × 20000 (it exhausted V8's heap).
  const bytes = new Uint8Array(encodePng({ width: 1, height: 1, data: new Uint8Array([0]) }));
  const view = new DataView(bytes.buffer);
  view.setUint32(16, 20000);
  view.setUint32(20, 20000);
  view.setUint32(29, crc32(bytes.subarray(12, 29)));
  const huge = join(dir, "huge.png");
  writeFileSync(huge, bytes);
  const r = stackae("predict", plain, huge);
  assert.equal(r.code, 3, r.stderr);
  assert.match(r.stderr, /^stackae: .*huge\.png: the PNG header says 20000 × 20000 pixels, more than stackae decodes/);
  const rgba = Buffer.alloc(120 * 120 * 4);
  for (let i = 0; i < picture.length; i++) rgba.fill(picture[i] as number, 4 * i, 4 * i + 4);
  const jpg = join(dir, "digit.jpg");
  writeFileSync(jpg, jpeg.encode({ width: 120, height: 120, data: rgba }, 95).data);
  assert.equal(predictJson(plain, jpg)[0]?.predicted, predictJson(plain, png)[0]?.predicted);
});
