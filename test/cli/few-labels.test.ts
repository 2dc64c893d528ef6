// `stackae few-labels` run as a user would, on small data: an IDX folder (with --unlabeled and
// --report), and a CSV file, which has no test set of its own.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { MNIST_FILES, readMnist } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-few-labels-"));

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const { train, test } = readMnist();
const data = join(dir, "data");
mkdirSync(data);
const tr = train.head(700);
const te = test.head(200);
writeFileSync(join(data, MNIST_FILES.trainImages), encodeIdx([700, 28, 28], tr.pixels));
writeFileSync(join(data, MNIST_FILES.trainLabels), encodeIdx([700], tr.labels));
writeFileSync(join(data, MNIST_FILES.testImages), encodeIdx([200, 28, 28], te.pixels));
writeFileSync(join(data, MNIST_FILES.testLabels), encodeIdx([200], te.labels));
const unlabeled = join(dir, "unlabeled-idx3-ubyte");
writeFileSync(unlabeled, encodeIdx([400, 28, 28], train.head(1100).pixels.subarray(700 * 784)));
const small = ["--layers", "10", "--ae-iters", "1", "--softmax-iters", "20", "--finetune-iters", "3", "--seeds", "2"];

describe("stackae few-labels", () => {
  it("--json on an IDX folder with --unlabeled, --tied-weights and --report: the table, the same in DIR/few-labels.json, drawn in DIR/report.html", () => {
    const report = join(dir, "report");
    const r = stackae(
      "few-labels",
      "--data",
      data,
      "--unlabeled",
      unlabeled,
      "--labels",
      "20,300",
      ...small,
      "--json",
      "--quiet",
      "--tied-weights",
      "--report",
      report,
    );
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(
      out.rows.map((row: { labels: number }) => row.labels),
      [20, 300],
    );
    assert.equal(out.pretraining.examples, 400, "pretrained on the --unlabeled images");
    assert.equal(out.unlabeledImages, 400);
    assert.equal(out.testImages, 200);
    assert.equal(out.rows[0].validation, 0);
    assert.equal(out.rows[1].validation, 60);
    assert.equal(out.settings.autoencoder.optimizer, "adam", "the experiment's default optimisers");
    assert.equal(out.settings.softmax.optimizer, "lbfgs");
    assert.equal(out.settings.autoencoder.tiedWeights, true, "train's setting flags apply");
    for (const row of out.rows) {
      for (const m of ["pretrained", "backprop", "softmax"]) {
        assert.equal(row.methods[m].accuracies.length, 2);
        assert.ok(row.methods[m].mean >= 0 && row.methods[m].mean <= 1);
      }
    }
    const saved = JSON.parse(readFileSync(join(report, "few-labels.json"), "utf8"));
    assert.deepEqual(saved.rows, out.rows);
    const page = readFileSync(join(report, "report.html"), "utf8");
    assert.match(page, /pretrained \+ fine-tuned/);
    assert.match(page, /<svg/);
  });

  it("a CSV file (its test set held out), with --corruption: lines of the table, and a note where N is too small", () => {
    // Three classes of 6-value rows around three centres.
    const lines = ["label,a,b,c,d,e,f"];
    for (let i = 0; i < 300; i++) {
      const c = i % 3;
      const v = Array.from({ length: 6 }, (_, j) =>
        (((j + c) % 3 === 0 ? 0.8 : 0.1) + ((i * (j + 7)) % 10) / 50).toFixed(3),
      );
      lines.push(`${c},${v.join(",")}`);
    }
    const csv = join(dir, "blobs.csv");
    writeFileSync(csv, `${lines.join("\n")}\n`);
    const r = stackae("few-labels", "--data", csv, "--labels", "9,150", ...small, "--corruption", "0.2");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /labels\s+pretrained \+ fine-tuned\s+backprop only\s+softmax on inputs/);
    assert.match(r.stdout, /\n\s+9\s+\d+\.\d\d ± \d+\.\d\d %/);
    assert.match(r.stdout, /9: no early stopping/);
    assert.match(r.stdout, /150: early stopping on 30 of the 150/);
    assert.match(r.stderr, /labels 9, seed 1: pretrained/);
  });

  it("refuses more labels than the training set has", () => {
    const r = stackae("few-labels", "--data", data, "--labels", "5000", ...small);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /labels: \d+ labelled examples cannot be drawn/);
  });
});
