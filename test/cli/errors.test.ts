// Every class of failure a user can cause, as the command line reports it: one line naming the
// file or flag, no stack trace (unless --verbose), and the class's exit code (README, "When
// things go wrong").
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { MNIST_FILES, readMnist } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { loadCheckpoint } from "../../src/io/files.ts";
import { encodeModel } from "../../src/io/model-file.ts";
import { encodeSafetensors } from "../../src/io/safetensors.ts";
import { modelLayout } from "../../src/nn/model.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-errors-"));

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectFailure(args: string[], code: number, pattern: RegExp): void {
  const r = stackae(...args);
  assert.equal(r.code, code, `${args.join(" ")}: exit ${r.code}, stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.match(r.stderr, /^stackae: /, "the message comes first");
  assert.doesNotMatch(r.stderr, /\n\s+at /, "no stack trace");
}

const { train, test } = readMnist();
const tr = train.head(100);
const te = test.head(50);

/** A data folder with the four files, each replaceable. */
function dataDir(name: string, replace: Partial<Record<keyof typeof MNIST_FILES, Uint8Array>> = {}): string {
  const d = join(dir, name);
  mkdirSync(d);
  const files: Record<keyof typeof MNIST_FILES, Uint8Array> = {
    trainImages: encodeIdx([100, 28, 28], tr.pixels),
    trainLabels: encodeIdx([100], tr.labels),
    testImages: encodeIdx([50, 28, 28], te.pixels),
    testLabels: encodeIdx([50], te.labels),
    ...replace,
  };
  for (const [key, bytes] of Object.entries(files)) {
    writeFileSync(join(d, MNIST_FILES[key as keyof typeof MNIST_FILES]), bytes);
  }
  return d;
}

// A 784-8 model with random weights: enough for eval to get to its checks.
const modelShape = { sizes: [784, 8], classes: 10 };
const params = Float32Array.from({ length: modelLayout(modelShape).length }, (_, i) => Math.sin(i) * 0.1);
const model = join(dir, "model.safetensors");
writeFileSync(model, encodeModel({ ...modelShape, params }));

describe("data errors exit 3", () => {
  const good = encodeIdx([100, 28, 28], tr.pixels);
  for (const [name, bytes, pattern] of [
    [
      "truncated",
      good.subarray(0, good.length - 100),
      /train-images-idx3-ubyte: the header says 100 × 28 × 28.*it is truncated/,
    ],
    ["wrong-magic", Uint8Array.from([0, 0, 8, 1, ...good.subarray(4, 100)]), /magic number 2049 has 1 dimension/],
    ["broken-gzip", Uint8Array.from([...gzipSync(good).subarray(0, 40), 1, 2, 3]), /the gzip stream is corrupt/],
    ["count", encodeIdx([99, 28, 28], tr.pixels.subarray(0, 99 * 784)), /99 images.*100 labels|100 labels.*99 images/],
  ] as const) {
    it(`training images: ${name}`, () => {
      expectFailure(["train", "--data", dataDir(name, { trainImages: bytes }), "--quiet"], 3, pattern);
    });
  }
  it("test images of another size than the model's input", () => {
    const other = dataDir("other", {
      trainImages: encodeIdx([100, 20, 20], tr.pixels.subarray(0, 100 * 400)),
      testImages: encodeIdx([50, 20, 20], te.pixels.subarray(0, 50 * 400)),
    });
    expectFailure(
      ["eval", model, "--data", other],
      3,
      /other: test images have 400 pixels \(20 × 20\) but .*model\.safetensors takes 784 inputs: evaluate on images of the model's size \(--data DIR\)/,
    );
  });
  it("test labels outside the model's classes", () => {
    const labels = Uint8Array.from(te.labels);
    labels[7] = 12;
    const d = dataDir("labels", { testLabels: encodeIdx([50], labels) });
    expectFailure(
      ["eval", model, "--data", d],
      3,
      /labels: test label 12 \(image 7\) is not one of the 10 classes of .*model\.safetensors/,
    );
  });
  it("a folder that does not exist, or a file of the wrong kind for --unlabeled", () => {
    expectFailure(["train", "--data", join(dir, "nowhere"), "--quiet"], 3, /nowhere: no such folder/);
    const d = dataDir("for-unlabeled");
    expectFailure(
      ["train", "--data", d, "--unlabeled", join(d, MNIST_FILES.trainLabels), "--quiet"],
      3,
      /train-labels-idx1-ubyte: magic number 2049 has 1 dimension\(s\); expected 2051/,
    );
  });
  it("predict: a file that is missing or damaged, even the last of several, fails before anything is printed", () => {
    const images = join(dataDir("for-predict"), MNIST_FILES.testImages);
    const truncated = join(dir, "truncated-idx3-ubyte");
    writeFileSync(truncated, encodeIdx([te.count, 28, 28], te.pixels).subarray(0, 5000));
    const cases: [string, RegExp][] = [
      [join(dir, "absent.png"), /absent\.png: cannot be read \(no such file\)$/m],
      [truncated, /truncated-idx3-ubyte: .*the file has 5000 bytes: it is truncated$/m],
    ];
    for (const [last, pattern] of cases) {
      for (const args of [[], ["--json"]]) {
        const r = stackae("predict", model, images, images, last, ...args);
        assert.equal(r.code, 3, r.stderr);
        assert.equal(r.stdout, "");
        assert.match(r.stderr, /^stackae: /);
        assert.match(r.stderr, pattern);
      }
    }
    expectFailure(["predict", model, "-", images, "-"], 2, /- \(standard input\) can be given once/);
  });
});

describe("model and checkpoint file errors exit 4", () => {
  const header = (json: object) => {
    const text = new TextEncoder().encode(JSON.stringify(json));
    const out = new Uint8Array(8 + text.length);
    new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
    out.set(text, 8);
    return out;
  };
  const huge = new Uint8Array(16);
  new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
  for (const [name, bytes, pattern] of [
    [
      "not-safetensors",
      new TextEncoder().encode("P3\n28 28\n255\n0 0 0 0 0 0 0 0"),
      /header length \d+ runs past the end/,
    ],
    ["huge-header", huge, /header length 1152921504606846976 runs past the end of the file/],
    ["bad-json", Uint8Array.from([...header({}).subarray(0, 8), 123, 123]), /not valid JSON|runs past/],
    ["dtype", header({ W1: { dtype: "Q7", shape: [1], data_offsets: [0, 0] } }), /tensor W1: unknown dtype "Q7"/],
    [
      "offsets",
      header({ W1: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }),
      /data_offsets \[0, 8\] lie outside the 0 data bytes/,
    ],
    [
      "shapes",
      encodeSafetensors([["W1", { dtype: "F32", shape: [3], data: new Float32Array(3) }]], {
        format: "stackae-model",
        version: "1",
        sizes: "[784,8]",
        classes: "10",
        activation: "sigmoid",
      }),
      /tensor W1 has shape \[3\], but layer sizes \[784,8\] need \[8,784\]/,
    ],
  ] as const) {
    it(`eval: ${name}`, () => {
      const file = join(dir, `${name}.safetensors`);
      writeFileSync(file, bytes);
      expectFailure(["eval", file], 4, new RegExp(`${name}\\.safetensors: .*${pattern.source}`));
    });
  }
  it("a missing model, and a model given as a checkpoint", () => {
    expectFailure(["eval", join(dir, "absent.safetensors")], 4, /absent\.safetensors: no such file/);
    expectFailure(
      ["train", "--resume", model, "--quiet"],
      4,
      /model\.safetensors: is safetensors but not a stackae checkpoint/,
    );
  });
});

describe("outputs that cannot be written exit 6, before any training", () => {
  it("--checkpoint in a folder that does not exist", () => {
    const target = join(dir, "missing", "file.safetensors");
    const r = stackae("train", "--data", dataDir("writes"), "--checkpoint", target);
    assert.equal(r.code, 6, r.stderr);
    assert.match(
      r.stderr,
      /missing\/file\.safetensors: cannot be written \(its folder does not exist\); choose another path/,
    );
    assert.doesNotMatch(r.stderr, /autoencoder 1/, "no training was started");
    assert.equal(existsSync(join(dir, "missing")), false, "a checkpoint's folder is not made");
  });
  it("--out whose folder cannot be made: under a file, or where the file system takes no new folder", () => {
    const d = dataDir("writes-out");
    const file = join(dir, "a-file-for-out");
    writeFileSync(file, "x");
    const targets: [string, RegExp][] = [
      [
        join(file, "sub", "m.safetensors"),
        /a-file-for-out\/sub\/m\.safetensors: cannot be written \(its folder cannot be made: a part of the path is not a folder\)/,
      ],
      [
        join(file, "m.safetensors"),
        /a-file-for-out\/m\.safetensors: cannot be written \(a part of the path is not a folder\)/,
      ],
    ];
    if (process.platform === "linux") {
      targets.push([
        "/proc/stackae/m.safetensors",
        /cannot be written \(its folder cannot be made: the folder above it takes no new folders\)/,
      ]);
    }
    for (const [target, pattern] of targets) {
      const r = stackae("train", "--data", d, "--out", target);
      assert.equal(r.code, 6, `${target}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /autoencoder 1/, "no training was started");
    }
  });
  it("--report under a file, over a file, or with a folder where one of its files goes", () => {
    const d = dataDir("writes3");
    const file = join(dir, "a-file");
    writeFileSync(file, "x");
    const taken = join(dir, "report-taken");
    mkdirSync(join(taken, "costs.svg"), { recursive: true });
    for (const [target, pattern] of [
      [join(file, "report"), /a-file\/report: the report folder cannot be made \(a part of the path is not a folder\)/],
      [file, /a-file: the report folder cannot be made \(it is a file, not a folder\)/],
      [taken, /report-taken\/costs\.svg: cannot be written \(it is a folder\); choose another path/],
    ] as const) {
      const r = stackae("train", "--data", d, "--report", target);
      assert.equal(r.code, 6, r.stderr);
      assert.match(r.stderr, pattern);
      assert.doesNotMatch(r.stderr, /autoencoder 1/, "no training was started");
    }
  });
  it("--report where the file system takes no new folder, such as /proc, fails at once", {
    skip: process.platform !== "linux",
  }, () => {
    // Node's recursive mkdirSync never returns there.
    const r = spawnSync(process.execPath, ["--import", "tsx", main, "train", "--report", "/proc/stackae/report"], {
      cwd: root,
      encoding: "utf8",
      timeout: 60_000,
      killSignal: "SIGKILL",
    });
    assert.equal(r.status, 6, `status ${r.status}, signal ${r.signal}: ${r.stderr}`);
    assert.match(
      r.stderr,
      /\/proc\/stackae\/report: the report folder cannot be made \(the folder above it takes no new folders\)/,
    );
  });
  it("--out over a folder, which is left as it was", () => {
    const folder = join(dir, "a-folder");
    mkdirSync(folder);
    const r = stackae("train", "--data", dataDir("writes2"), "--out", folder);
    assert.equal(r.code, 6);
    assert.match(r.stderr, /a-folder: cannot be written \(it is a folder\)/);
    assert.deepEqual(readdirSync(folder), []);
  });
});

describe("numerical failure exits 5", () => {
  it("names the stage and iteration, and keeps the last good checkpoint", () => {
    const ck = join(dir, "numerical.checkpoint");
    const args = ["train", "--data", dataDir("numerical"), "--ae-optimizer", "sgd", "--learning-rate", "1e300"];
    expectFailure(
      [...args, "--ae-iters", "5", "--checkpoint", ck, "--checkpoint-every", "1", "--quiet"],
      5,
      /^stackae: autoencoder 1: the cost or gradient became non-finite at step 2 \(epoch 2\); a learning rate below this stage's 1e\+300 may keep it finite; the last good checkpoint is kept in .*numerical\.checkpoint\n$/,
    );
    const kept = loadCheckpoint(ck);
    assert.equal(kept.stage, 0);
    assert.equal(kept.optimizer, null, "the state after step 1 (x = ±∞) was not saved over the stage's start");
  });
});

describe("--verbose", () => {
  it("adds the stack trace to the one line", () => {
    const r = stackae("eval", join(dir, "absent.safetensors"), "--verbose");
    assert.equal(r.code, 4);
    assert.match(r.stderr, /^stackae: .*absent\.safetensors: no such file\nModelFileError: .*\n\s+at /);
    assert.ok(!existsSync(join(dir, "absent.safetensors")));
  });
});
