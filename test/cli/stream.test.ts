// `train --stream` as a user runs it: L-BFGS refused, streaming chosen by the memory budget, a
// run resumed mid-epoch from its checkpoint saving the uninterrupted run's model file, and peak
// memory that does not grow with the training set.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { PNG } from "pngjs";
import { encodeIdx } from "../../src/data/idx.ts";
import { Rng } from "../../src/linalg/rng.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stackae-cli-stream-"));
after(() => rmSync(dir, { recursive: true, force: true }));
// A fixed young generation: V8 grows it with the garbage a run makes (more steps, more garbage),
// which would measure the collector's appetite rather than what the data holds.
const node = ["--max-semi-space-size=1", "--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts")];

/** An IDX folder of `m` generated 28 × 28 training images (a bar whose place is the class), and 500 test images. */
function folder(name: string, m: number): string {
  const out = join(dir, name);
  mkdirSync(out);
  write(out, "train", m, m);
  write(out, "t10k", 500, 1);
  return out;
}

function write(out: string, set: string, m: number, seed: number): void {
  const rng = new Rng(seed);
  const pixels = new Uint8Array(m * 784);
  const labels = new Uint8Array(m);
  for (let i = 0; i < m; i++) {
    const k = rng.int(10);
    labels[i] = k;
    for (let j = 0; j < 784; j++) pixels[i * 784 + j] = rng.int(64) + (Math.abs((j % 28) - 2 - 2.5 * k) < 2 ? 180 : 0);
  }
  writeFileSync(join(out, `${set}-images-idx3-ubyte`), encodeIdx([m, 28, 28], pixels));
  writeFileSync(join(out, `${set}-labels-idx1-ubyte`), encodeIdx([m], labels));
}

/** Runs stackae; its exit code, output, and the peak resident memory of the whole process (bytes). */
function stackae(...args: string[]) {
  const r = spawnSync("/usr/bin/time", ["-v", process.execPath, ...node, ...args], { cwd: dir, encoding: "utf8" });
  const kb = /Maximum resident set size \(kbytes\): (\d+)/.exec(r.stderr)?.[1];
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, peak: Number(kb) * 1024 };
}

const small = folder("small", 4000);
const QUICK = ["--layers", "16", "--ae-iters", "1", "--softmax-iters", "1", "--finetune-iters", "1", "--threads", "1"];

describe("train --stream", () => {
  it("refuses an L-BFGS stage with exit code 2, naming the minibatch optimisers", () => {
    const r = stackae("train", "--data", small, "--stream", "--softmax-optimizer", "lbfgs", ...QUICK, "--quiet");
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /the softmax is set to L-BFGS.*--optimizer adam, or sgd/);
  });

  it("streams on its own when the data would pass --memory-budget, every stage with adam", () => {
    const r = stackae("train", "--data", small, "--memory-budget", "1M", ...QUICK, "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /streaming .*train-images-idx3-ubyte: its 4000 images would take 15 MiB in memory, over the memory budget of 1 MiB/,
    );
    const summary = JSON.parse(r.stdout);
    assert.deepEqual(
      [summary.settings.autoencoder.optimizer, summary.settings.softmax.optimizer, summary.settings.fineTune.optimizer],
      ["adam", "adam", "adam"],
    );
    // One epoch a stage: above chance (10 %) is what it shows, that the streamed run learned.
    assert.ok(summary.accuracyAfterFineTuning > 0.2, `accuracy ${summary.accuracyAfterFineTuning}`);
  });

  it("resumed from a checkpoint taken mid-epoch, saves the uninterrupted run's model, byte for byte", () => {
    const run = ["train", "--data", small, "--stream", "--shuffle-buffer", "500", ...QUICK, "--ae-iters", "2"];
    const whole = stackae(
      ...run,
      "--out",
      "whole.safetensors",
      "--checkpoint",
      "c.safetensors",
      "--checkpoint-every",
      "5",
      "--quiet",
    );
    assert.equal(whole.code, 0, whole.stderr);
    // The file holds the run's last checkpoint: fine-tuning's step 15 of 16 (4000 ÷ 256), mid-epoch.
    const resumed = stackae(
      "train",
      "--resume",
      "c.safetensors",
      "--data",
      small,
      "--stream",
      "--shuffle-buffer",
      "500",
      "--out",
      "resumed.safetensors",
      "--threads",
      "1",
      "--quiet",
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(readFileSync(join(dir, "resumed.safetensors")), readFileSync(join(dir, "whole.safetensors")));
  });

  it("peaks at about the same memory on a training set 16 times larger", (t) => {
    // Both larger than the shuffle buffer and a chunk (1,000 + 5,349 examples), which they fill.
    const base = folder("base", 8000);
    const large = folder("large", 128000);
    const args = [...QUICK, "--shuffle-buffer", "1000", "--quiet"];
    const a = stackae("train", "--data", base, "--stream", ...args);
    const b = stackae("train", "--data", large, "--stream", ...args);
    const held = stackae("train", "--data", large, "--optimizer", "adam", ...args);
    for (const r of [a, b, held]) assert.equal(r.code, 0, r.stderr);
    const dataGrowth = (128000 - 8000) * 784;
    const mib = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;
    const seen = `streamed ${mib(a.peak)} → ${mib(b.peak)}, held ${mib(held.peak)}; the file grew ${mib(dataGrowth)}`;
    t.diagnostic(seen);
    // Held in memory the larger set costs at least its bytes and their floats (5 bytes a pixel);
    // streamed, the growth is its labels and the epochs' orders (12 bytes an example), and the
    // garbage collector's timing: 1–22 MiB seen, whatever the set's size. Holding even the file's
    // bytes alone would grow it by the whole 89.7 MiB, so half of that still tells the two apart.
    assert.ok(held.peak - b.peak > 2 * dataGrowth, seen);
    assert.ok(b.peak - a.peak < 0.5 * dataGrowth, seen);
  });
});

/** A CSV of `m` rows like folder()'s images (label first, then 784 values, mostly "0"), with a header when asked. */
function csv(name: string, m: number, seed: number, header = true): string {
  const rng = new Rng(seed);
  const lines = header ? [`label,${Array.from({ length: 784 }, (_, j) => `p${j}`).join(",")}`] : [];
  for (let i = 0; i < m; i++) {
    const k = rng.int(10);
    const row = new Array<number>(785);
    row[0] = k;
    for (let j = 0; j < 784; j++) row[j + 1] = Math.abs((j % 28) - 2 - 2.5 * k) < 2 ? 180 + rng.int(64) : 0;
    lines.push(row.join(","));
  }
  const path = join(dir, name);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

describe("train --stream on a CSV file", () => {
  const train = csv("train.csv", 3000, 3);
  const test = csv("test.csv", 300, 4);

  it("needs --test (a CSV has no test set of its own), with exit code 2 and what to do", () => {
    const r = stackae("train", "--data", train, "--stream", ...QUICK, "--quiet");
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /a CSV has no test set of its own: give one with --test FILE/);
    const f = stackae("train", "--data", train, "--stream", "--test-fraction", "0.1", ...QUICK, "--quiet");
    assert.equal(f.code, 2, f.stderr);
    assert.match(f.stderr, /--test-fraction cannot be used with a streamed CSV yet/);
  });

  it("streams on its own past --memory-budget, and learns", () => {
    const r = stackae("train", "--data", train, "--test", test, "--memory-budget", "1M", ...QUICK, "--json");
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stderr,
      /streaming .*train\.csv: its about \d+ rows would take \d+ MiB in memory, over the memory budget of 1 MiB/,
    );
    const summary = JSON.parse(r.stdout);
    assert.equal(summary.settings.fineTune.optimizer, "adam");
    assert.ok(summary.accuracyAfterFineTuning > 0.2, `accuracy ${summary.accuracyAfterFineTuning}`);
  });

  it("resumed from a checkpoint taken mid-epoch, saves the uninterrupted run's model, byte for byte", () => {
    const run = ["train", "--data", train, "--test", test, "--stream", "--shuffle-buffer", "500"];
    const whole = stackae(
      ...run,
      ...QUICK,
      "--out",
      "csv-whole.safetensors",
      "--checkpoint",
      "csv-c.safetensors",
      "--checkpoint-every",
      "5",
      "--quiet",
    );
    assert.equal(whole.code, 0, whole.stderr);
    // The last checkpoint: fine-tuning's step 10 of 12 (3000 ÷ 256), mid-epoch.
    const resumed = stackae(
      ...run,
      "--resume",
      "csv-c.safetensors",
      "--out",
      "csv-resumed.safetensors",
      "--threads",
      "1",
      "--quiet",
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(
      readFileSync(join(dir, "csv-resumed.safetensors")),
      readFileSync(join(dir, "csv-whole.safetensors")),
    );
  });

  it("peaks at about the same memory on a CSV 8 times longer", (t) => {
    const base = csv("base.csv", 4000, 5);
    const large = csv("large.csv", 32000, 6);
    const args = ["--test", test, ...QUICK, "--shuffle-buffer", "1000", "--quiet"];
    const a = stackae("train", "--data", base, "--stream", ...args);
    const b = stackae("train", "--data", large, "--stream", ...args);
    const held = stackae("train", "--data", large, "--optimizer", "adam", ...args);
    for (const r of [a, b, held]) assert.equal(r.code, 0, r.stderr);
    const dataGrowth = (32000 - 4000) * 784;
    const mib = (x: number) => `${(x / 2 ** 20).toFixed(1)} MiB`;
    const seen = `streamed ${mib(a.peak)} → ${mib(b.peak)}, held ${mib(held.peak)}; the values grew ${mib(dataGrowth)}`;
    t.diagnostic(seen);
    // Held, the larger set costs its bytes and their floats (5 bytes a value); streamed, its labels
    // and the epochs' orders, and the first pass's label ids (some 20 bytes a row), and the
    // collector's timing (up to 22 MiB seen, in CI on Node 24): so the streamed growth is weighed
    // against the held run's, not against the values' 20.9 MiB alone.
    assert.ok(held.peak - b.peak > 2 * dataGrowth, seen);
    assert.ok(b.peak - a.peak < 0.5 * (held.peak - a.peak), seen);
  });
});

/** An image folder of `m` generated 28 × 28 PNG pictures by class (folder()'s bars) under `root`. */
function pictures(root: string, m: number, seed: number): void {
  const rng = new Rng(seed);
  for (let i = 0; i < m; i++) {
    const k = rng.int(3);
    const png = new PNG({ width: 28, height: 28 });
    for (let j = 0; j < 784; j++) {
      const v = rng.int(64) + (Math.abs((j % 28) - 4 - 8 * k) < 2 ? 180 : 0);
      png.data.set([v, v, v, 255], 4 * j);
    }
    mkdirSync(join(root, `class-${k}`), { recursive: true });
    writeFileSync(join(root, `class-${k}`, `${i}.png`), PNG.sync.write(png));
  }
}

describe("train --stream on an image folder", () => {
  const flat = join(dir, "pictures");
  pictures(flat, 300, 7);
  const split = join(dir, "split");
  pictures(join(split, "train"), 600, 8);
  pictures(join(split, "test"), 60, 9);

  it("needs a test set: the folder's test/ side or --test, with exit code 2 and what to do", () => {
    const r = stackae("train", "--data", flat, "--stream", ...QUICK, "--quiet");
    assert.equal(r.code, 2, r.stderr);
    assert.match(
      r.stderr,
      /has no test\/ folder: put the pictures in .*\/train\/<class>\/ and the test pictures in .*\/test\/<class>\/, or give a test set with --test PATH/,
    );
    const t = stackae("train", "--data", flat, "--stream", "--test", join(split, "test"), ...QUICK, "--json");
    assert.equal(t.code, 0, t.stderr);
  });

  it("streams past --memory-budget; resumed mid-epoch, saves the uninterrupted run's model, byte for byte", () => {
    const run = ["train", "--data", split, "--shuffle-buffer", "100", "--memory-budget", "100K"];
    const whole = stackae(
      ...run,
      ...QUICK,
      "--ae-iters",
      "2",
      "--out",
      "img-whole.safetensors",
      "--checkpoint",
      "img-c.safetensors",
      "--checkpoint-every",
      "2",
      "--quiet",
    );
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(
      whole.stderr,
      /streaming .*split: its 600 pictures would take 3 MiB in memory, over the memory budget of 1 MiB/,
    );
    // The file holds the last checkpoint: fine-tuning's step 2 of 3 (600 ÷ 256), mid-epoch.
    const resumed = stackae(
      ...run,
      "--resume",
      "img-c.safetensors",
      "--out",
      "img-resumed.safetensors",
      "--threads",
      "1",
      "--quiet",
    );
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(
      readFileSync(join(dir, "img-resumed.safetensors")),
      readFileSync(join(dir, "img-whole.safetensors")),
    );
  });
});
