// Smoke tests of every command, run as a user would (a child process), on small fixture data.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { PNG } from "pngjs";
import { MNIST_FILES, readMnist } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { loadModel } from "../../src/io/files.ts";
import { encodePng } from "../../src/io/png.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-cli-"));

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A small MNIST-style folder: 1,000 training and 500 test images, some files gzipped.
const { train, test } = readMnist();
const data = join(dir, "data");
mkdirSync(data);
const tr = train.head(1000);
const te = test.head(500);
writeFileSync(join(data, `${MNIST_FILES.trainImages}.gz`), gzipSync(encodeIdx([1000, 28, 28], tr.pixels)));
writeFileSync(join(data, MNIST_FILES.trainLabels), encodeIdx([1000], tr.labels));
writeFileSync(join(data, MNIST_FILES.testImages), encodeIdx([500, 28, 28], te.pixels));
writeFileSync(join(data, `${MNIST_FILES.testLabels}.gz`), gzipSync(encodeIdx([500], te.labels)));
const model = join(dir, "model.safetensors");

/** A short run on the small folder: one 16-unit autoencoder, and each stage's iterations. */
function trainSmall([ae, softmax, finetune]: [number, number, number], ...flags: string[]) {
  const iters = ["--ae-iters", `${ae}`, "--softmax-iters", `${softmax}`, "--finetune-iters", `${finetune}`];
  return stackae("train", "--data", data, "--layers", "16", ...iters, ...flags);
}
const report = join(dir, "report");

describe("stackae CLI", () => {
  it("gradcheck prints ten relative differences below 1e-9 (denoising, tied and fine-tuning's regularisers included) and exits 0", () => {
    const r = stackae("gradcheck");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("ok"));
    assert.equal(lines.length, 10);
    assert.equal(lines.filter((l) => /denoising|tied/.test(l)).length, 4);
    assert.equal(lines.filter((l) => /weight decay|dropout/.test(l)).length, 3);
    for (const l of lines) assert.ok(Number(l.split(/\s+/)[1]) < 1e-9, l);
  });

  let summary: { accuracyAfterFineTuning: number; accuracyBeforeFineTuning: number; [k: string]: unknown };
  it("train --json --out --report on a folder of IDX files", () => {
    const r = stackae(
      "train",
      "--data",
      data,
      "--layers",
      "64",
      "--ae-iters",
      "20",
      "--softmax-iters",
      "30",
      "--finetune-iters",
      "20",
      "--seed",
      "3",
      "--json",
      "--out",
      model,
      "--report",
      report,
    );
    assert.equal(r.code, 0, r.stderr);
    summary = JSON.parse(r.stdout);
    for (const key of ["accuracyBeforeFineTuning", "accuracyAfterFineTuning"]) {
      const v = summary[key] as number;
      assert.ok(v >= 0 && v <= 1, `${key} = ${v}`);
    }
    assert.ok(summary.accuracyAfterFineTuning >= 0.6, `after ${summary.accuracyAfterFineTuning}`);
    const seconds = summary.seconds as Record<string, number>;
    assert.deepEqual(Object.keys(seconds), ["autoencoder 1", "softmax", "fine-tuning", "total"]);
    assert.deepEqual(summary.iterations, { "autoencoder 1": 20, softmax: 30, "fine-tuning": 20 });
    assert.ok(typeof (summary.evaluations as Record<string, number>).softmax === "number");
    assert.equal(summary.seed, 3);
    assert.deepEqual((summary.settings as { layers: number[] }).layers, [64]);
    assert.match(
      r.stderr,
      /\[1\/3\] autoencoder 1: lbfgs, up to 20 iterations/,
      "progress lines on a non-terminal stderr",
    );
    assert.doesNotMatch(r.stderr, /not saved/);
    assert.ok(existsSync(model));
    for (const f of ["features.png", "costs.svg", "features-before-fine-tuning.png"])
      assert.ok(existsSync(join(report, f)), f);
    assert.match(readFileSync(join(report, "costs.svg"), "utf8"), /<polyline/);
  });

  it("train --out makes the folders the model goes in, and leaves nothing else there", () => {
    const target = join(dir, "models", "mnist", "model.safetensors");
    const r = trainSmall([2, 2, 2], "--quiet", "--out", target);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readdirSync(join(dir, "models", "mnist")), ["model.safetensors"]);
    assert.match(r.stdout, new RegExp(`^model saved to ${target}$`, "m"));
  });

  it("train prints the two accuracy lines and the seconds of each stage", () => {
    const r = trainSmall([3, 3, 3], "--finetune-optimizer", "adam", "--batch-size", "100", "--quiet");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^test accuracy before fine-tuning: \d+\.\d\d%$/m);
    assert.match(r.stdout, /^test accuracy after fine-tuning: \d+\.\d\d%$/m);
    assert.match(r.stdout, /autoencoder 1 .* s {2}3 iterations, \d+ evaluations, cost /);
    // A minibatch stage counts the epochs asked for, and its steps: 1,000 images in batches of 100.
    assert.match(r.stdout, /fine-tuning .* s {2}3 epochs, 30 steps of 100, cost /);
    assert.equal(r.stderr, "", "--quiet prints no progress");
    // A batch larger than the data holds all 1,000 images: one step an epoch, counted in the singular.
    const whole = trainSmall([1, 1, 1], "--optimizer", "adam", "--batch-size", "5000", "--quiet");
    assert.equal(whole.code, 0, whole.stderr);
    assert.match(whole.stdout, /autoencoder 1 .* s {2}1 epoch, 1 step of 1000, cost /);
    // Without iteration flags, adam runs epochs of its own, not the 400 L-BFGS iterations as epochs.
    const defaults = stackae("train", "--data", data, "--layers", "16", "--optimizer", "adam", "--batch-size", "5000");
    assert.equal(defaults.code, 0, defaults.stderr);
    assert.match(defaults.stdout, /autoencoder 1 .* s {2}10 epochs, 10 steps of 1000, cost /);
    assert.match(defaults.stdout, /softmax .* s {2}100 epochs, 100 steps of 1000, cost /);
    assert.match(defaults.stdout, /fine-tuning .* s {2}10 epochs, 10 steps of 1000, cost /);
  });

  it("progress off a terminal: a line per tenth of a stage, in iterations for L-BFGS and steps for minibatches", () => {
    const r = trainSmall([10, 3, 2], "--finetune-optimizer", "sgd", "--batch-size", "200");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /^\[1\/3\] autoencoder 1: lbfgs, up to 10 iterations$/m);
    assert.match(r.stderr, /^\[1\/3\] autoencoder 1: iteration 5\/10, cost /m);
    assert.match(r.stderr, /^\[3\/3\] fine-tuning: sgd, up to 10 steps$/m);
    assert.match(r.stderr, /^\[3\/3\] fine-tuning: step 5\/10, cost /m);
    assert.match(r.stderr, /^\[3\/3\] fine-tuning: done in \d+ s: 10 steps, 10 evaluations, cost /m);
    assert.match(r.stderr, /^the model was not saved: add --out FILE to keep it/m, "a run without --out says so");
  });

  it("eval reports the same accuracy as train, with a confusion matrix", () => {
    const r = stackae("eval", model, "--data", data, "--json");
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.accuracy, summary.accuracyAfterFineTuning);
    // train --json's per-class scores are eval's, of the same test set.
    assert.equal(out.metrics.perClass.length, 10);
    assert.deepEqual(out.metrics, summary.metrics);
    assert.equal(
      out.confusion.flat().reduce((a: number, b: number) => a + b, 0),
      500,
    );
    // A folder with the two test files alone is enough.
    const testOnly = join(dir, "test-only");
    mkdirSync(testOnly);
    for (const f of [MNIST_FILES.testImages, `${MNIST_FILES.testLabels}.gz`]) {
      writeFileSync(join(testOnly, f), readFileSync(join(data, f)));
    }
    const alone = stackae("eval", model, "--data", testOnly, "--json");
    assert.equal(alone.code, 0, alone.stderr);
    assert.equal(JSON.parse(alone.stdout).accuracy, out.accuracy);
    const text = stackae("eval", model, "--data", data);
    assert.match(text.stdout, /test accuracy: \d+\.\d\d% of 500 images/);
    assert.match(text.stdout, /confusion matrix/);
  });

  it("predict reads IDX files and PNG pictures, inverting and resizing a drawing", () => {
    const idx = join(data, MNIST_FILES.testImages);
    const r = stackae("predict", model, idx, "--json");
    assert.equal(r.code, 0, r.stderr);
    const predictions = JSON.parse(r.stdout) as { predicted: number; probabilities: number[] }[];
    assert.equal(predictions.length, 500);
    // Each image's ten probabilities sum to 1, and the class predicted is the most probable one,
    // the same class as the text output gives.
    const text = stackae("predict", model, idx).stdout.trim().split("\n");
    for (const [i, p] of predictions.entries()) {
      assert.equal(p.probabilities.length, 10);
      assert.ok(Math.abs(p.probabilities.reduce((a, b) => a + b, 0) - 1) < 1e-4);
      assert.equal(p.predicted, p.probabilities.indexOf(Math.max(...p.probabilities)));
      assert.equal(text[i], `${idx}[${i}]: ${p.predicted}`);
    }
    // The first test digit drawn black on white at twice the size must get the same prediction.
    const big = new Uint8Array(56 * 56);
    for (let y = 0; y < 56; y++) {
      for (let x = 0; x < 56; x++) big[y * 56 + x] = 255 - (te.pixels[(y >> 1) * 28 + (x >> 1)] as number);
    }
    const png = join(dir, "digit.png");
    writeFileSync(png, encodePng({ width: 56, height: 56, data: big }));
    const p = stackae("predict", model, png, "--no-center");
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.stdout.trim(), `${png}: ${predictions[0]?.predicted}`);
    // "-" reads standard input: the picture, then the IDX file, piped in.
    const piped = (input: Buffer) =>
      spawnSync(process.execPath, ["--import", "tsx", main, "predict", model, "-", "--no-center"], {
        cwd: root,
        encoding: "utf8",
        input,
      });
    assert.equal(piped(readFileSync(png)).stdout, `-: ${predictions[0]?.predicted}\n`);
    assert.deepEqual(
      piped(readFileSync(idx)).stdout.trim().split("\n"),
      text.map((line) => line.replace(idx, "-")),
    );
  });

  it("predict centres (by default for an IDX model) a small digit anywhere in a large picture, as MNIST prepared its digits", () => {
    const idx = stackae("predict", model, join(data, MNIST_FILES.testImages), "--json");
    const expected = (JSON.parse(idx.stdout) as { predicted: number }[]).slice(0, 20).map((p) => p.predicted);
    // Each of the first 20 test digits, drawn black on white at 3 × its size somewhere in 300 × 300.
    const files: string[] = [];
    for (let i = 0; i < 20; i++) {
      const W = 300;
      const picture = new Uint8Array(W * W).fill(255);
      const [ox, oy] = [20 + ((i * 37) % 180), 10 + ((i * 53) % 190)];
      for (let y = 0; y < 84; y++) {
        for (let x = 0; x < 84; x++) {
          picture[(oy + y) * W + ox + x] =
            255 - (te.pixels[i * 784 + Math.floor(y / 3) * 28 + Math.floor(x / 3)] as number);
        }
      }
      files.push(join(dir, `corner-${i}.png`));
      writeFileSync(files[i] as string, encodePng({ width: W, height: W, data: picture }));
    }
    const agree = (args: string[]) => {
      const r = stackae("predict", model, ...files, ...args, "--json");
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as { predicted: number }[]).filter((p, i) => p.predicted === expected[i]).length;
    };
    const centred = agree(["--center"]);
    const resized = agree(["--no-center"]);
    assert.equal(agree([]), centred, "a model of IDX digits centres by default");
    assert.ok(centred >= 16, `--center: ${centred} of 20 agree with the IDX images' predictions`);
    assert.ok(resized <= 10, `resized only: ${resized} of 20 agree`);
  });

  it("predict numbers the images of a file that holds several, and stops quietly when its reader does", async () => {
    const idx = join(data, MNIST_FILES.testImages);
    const one = join(dir, "one-image-idx3-ubyte");
    writeFileSync(one, encodeIdx([1, 28, 28], te.pixels.subarray(0, 784)));
    const r = stackae("predict", model, one, idx);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split("\n");
    assert.equal(lines.length, 501);
    assert.match(lines[0] as string, /one-image-idx3-ubyte: \d$/);
    assert.ok(lines[1]?.startsWith(`${idx}[0]: `), lines[1]);
    assert.ok(lines[500]?.startsWith(`${idx}[499]: `), lines[500]);
    // `stackae predict … | head -1`: 20 × 500 lines, more than a pipe holds, and the reader closes
    // its end after the first chunk.
    const child = spawn(process.execPath, ["--import", "tsx", main, "predict", model, ...Array(20).fill(idx)], {
      cwd: root,
    });
    let stderr = "";
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    child.stdout.once("data", () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on("close", resolve));
    assert.equal(stderr, "");
    assert.equal(code, 0);
  });

  it("predict --json on more images than a block: one image a line, the same as each part alone", () => {
    // 1,500 images in one file: the 1,000 training images, then the 500 test images.
    const both = join(dir, "both-images-idx3-ubyte");
    writeFileSync(both, encodeIdx([1500, 28, 28], Uint8Array.from([...tr.pixels, ...te.pixels])));
    const r = stackae("predict", model, both, "--json");
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 1500 + 2, "[, a line per image, ]");
    const all = JSON.parse(r.stdout) as { file: string; index: number; predicted: number }[];
    assert.deepEqual(
      all.map((p) => p.index),
      Array.from({ length: 1500 }, (_, i) => i),
    );
    const alone = JSON.parse(stackae("predict", model, join(data, MNIST_FILES.testImages), "--json").stdout) as {
      predicted: number;
    }[];
    assert.deepEqual(
      all.slice(1000).map((p) => p.predicted),
      alone.map((p) => p.predicted),
    );
    const text = stackae("predict", model, both).stdout.trim().split("\n");
    assert.deepEqual(
      text,
      all.map((p) => `${both}[${p.index}]: ${p.predicted}`),
    );
  });

  it("--transpose: files of transposed images (EMNIST) train the network upright files train; eval and predict follow the model", () => {
    // The small folder again, each image transposed, under EMNIST's names.
    const emnist = join(dir, "emnist");
    mkdirSync(emnist);
    const name = (f: string) => join(emnist, `emnist-digits-${f.replace("t10k-", "test-")}`);
    writeFileSync(name(MNIST_FILES.trainImages), encodeIdx([1000, 28, 28], tr.transposed().pixels));
    writeFileSync(name(MNIST_FILES.trainLabels), encodeIdx([1000], tr.labels));
    writeFileSync(name(MNIST_FILES.testImages), encodeIdx([500, 28, 28], te.transposed().pixels));
    writeFileSync(name(MNIST_FILES.testLabels), encodeIdx([500], te.labels));
    const upright = join(dir, "upright.safetensors");
    const transposed = join(dir, "transposed.safetensors");
    assert.equal(trainSmall([5, 5, 5], "--seed", "7", "--quiet", "--out", upright).code, 0);
    const iters = ["--ae-iters", "5", "--softmax-iters", "5", "--finetune-iters", "5"];
    const t = stackae(
      "train",
      "--data",
      emnist,
      "--transpose",
      "--layers",
      "16",
      ...iters,
      "--seed",
      "7",
      "--json",
      "--quiet",
      "--out",
      transposed,
    );
    assert.equal(t.code, 0, t.stderr);
    assert.equal(JSON.parse(t.stdout).data.transposed, true);
    assert.deepEqual(loadModel(transposed).model.params, loadModel(upright).model.params, "the same network");
    assert.equal(loadModel(transposed).metadata.transposed, "true");
    // eval and predict transpose the files' images for this model, unless told not to.
    const accuracyOf = (...args: string[]) => JSON.parse(stackae("eval", ...args, "--json").stdout).accuracy as number;
    const expected = accuracyOf(upright, "--data", data);
    assert.equal(accuracyOf(transposed, "--data", emnist), expected);
    assert.notEqual(accuracyOf(transposed, "--data", emnist, "--no-transpose"), expected);
    assert.equal(accuracyOf(upright, "--data", emnist, "--transpose"), expected);
    const predicted = (...args: string[]) => stackae("predict", ...args).stdout.replace(/^.*: /gm, "");
    assert.equal(
      predicted(transposed, name(MNIST_FILES.testImages)),
      predicted(upright, join(data, MNIST_FILES.testImages)),
    );
    // The features stand upright: the same picture as the upright model's.
    const pictures = [upright, transposed].map((m) => {
      const out = `${m}.png`;
      assert.equal(stackae("features", m, "--out", out).code, 0);
      return readFileSync(out);
    });
    assert.deepEqual(pictures[1], pictures[0]);
  });

  it("info tells the layers, tensors and training of a model; its train flags train the same model again", () => {
    const r = stackae("info", model);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^.*model\.safetensors: a stackae model, 784 → 64 → softmax\(10\)$/m);
    assert.match(r.stdout, /^parameters: 50,880 float32 \(W1 64 × 784, b1 64, theta 10 × 64\)$/m);
    assert.match(r.stdout, /^images: 28 × 28$/m);
    assert.match(r.stdout, /^trained on: 1,000 images$/m);
    const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
    assert.ok(
      r.stdout.includes(
        `test accuracy when trained: ${pct(summary.accuracyBeforeFineTuning)} before fine-tuning, ${pct(summary.accuracyAfterFineTuning)} after`,
      ),
      r.stdout,
    );
    const [, flags] = /^train flags: (.*), besides --data and --train-limit$/m.exec(r.stdout) ?? assert.fail(r.stdout);
    assert.equal(flags, "--layers 64 --seed 3 --ae-iters 20 --softmax-iters 30 --finetune-iters 20");
    const again = join(dir, "again.safetensors");
    const t = stackae("train", "--data", data, ...(flags as string).split(" "), "--quiet", "--out", again);
    assert.equal(t.code, 0, t.stderr);
    assert.deepEqual(readFileSync(again), readFileSync(model), "the same model file, byte for byte");
    const json = JSON.parse(stackae("info", model, "--json").stdout);
    assert.deepEqual(json.sizes, [784, 64]);
    assert.equal(json.parameters, 64 * 784 + 64 + 10 * 64);
    assert.equal(json.accuracyAfterFineTuning, summary.accuracyAfterFineTuning);
    assert.deepEqual(json.settings, summary.settings);
  });

  it("info on a checkpoint tells where its run stands; eval refuses it, saying how to finish the run", () => {
    const ck = join(dir, "info.ckpt");
    const r = trainSmall([12, 5, 12], "--quiet", "--checkpoint", ck, "--checkpoint-every", "5");
    assert.equal(r.code, 0, r.stderr);
    const info = stackae("info", ck);
    assert.equal(info.code, 0, info.stderr);
    const lines = info.stdout.split("\n");
    assert.equal(lines[0], `${ck}: a stackae checkpoint of a 784 → 16 → softmax(10) run`);
    // Checkpoints every 5 iterations: the last one of fine-tuning's 12 is at iteration 10.
    assert.match(
      lines[1] as string,
      /^in progress: fine-tuning \(stage 3 of 3, lbfgs\), after iteration 10 of 12, [\d.]+ s in it$/,
    );
    assert.match(
      lines[2] as string,
      /^finished: autoencoder 1 \(12 iterations, cost [\d.]+, [\d.]+ s\), softmax \(\d+ iterations, /,
    );
    assert.match(lines[3] as string, /^data: 1,000 examples of 784 values in 10 classes \(checksum [0-9a-f]{8}\)$/);
    assert.equal(
      lines[4],
      "train flags: --layers 16 --ae-iters 12 --softmax-iters 5 --finetune-iters 12, besides --data and --train-limit",
    );
    assert.equal(JSON.parse(stackae("info", ck, "--json").stdout).iterations, 10);
    const e = stackae("eval", ck);
    assert.equal(e.code, 4);
    assert.match(
      e.stderr,
      /info\.ckpt: is a stackae checkpoint, not a model: finish its run with `stackae train --resume /,
    );
  });

  it("features draws a PNG of the first layer's tiles", () => {
    const out = join(dir, "features.png");
    const r = stackae("features", model, "--out", out, "--scale", "1");
    assert.equal(r.code, 0, r.stderr);
    const png = PNG.sync.read(readFileSync(out));
    // 64 tiles of 28 × 28 in an 8 × 8 grid with 1-pixel borders.
    assert.equal(png.width, 8 * 28 + 9);
    assert.equal(png.height, 8 * 28 + 9);
  });

  it("--version prints the package's version", () => {
    const r = stackae("--version");
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version}\n`);
  });

  it("bad flags are usage errors (exit 2) naming the flag and value", () => {
    for (const [args, pattern] of [
      [["train", "--layers", "200,,200"], /--layers.*positive integers separated by commas.*"200,,200"/],
      [["train", "--layers", "0"], /--layers/],
      [["train", "--rho", "1"], /--rho.*\(0, 1\), got "1"/],
      [["train", "--seed", "abc"], /--seed.*integer.*"abc"/],
      [["train", "--ae-iters", "-5"], /--ae-iters/],
      [["train", "--ae-lambda", "1e308"], /--ae-lambda.*a number in \[0, 1000000\], got "1e308"/],
      [["train", "--beta", "1e300"], /--beta.*a number in \[0, 1000000\], got "1e300"/],
      [["train", "--softmax-lambda", "-1"], /--softmax-lambda.*got "-1"/],
      [["train", "--finetune-lambda", "2e6"], /--finetune-lambda.*got "2e6"/],
      [["train", "--optimizer", "newton"], /one of lbfgs, adam, sgd/],
      [["train", "--no-such-flag"], /unknown option '--no-such-flag'/],
      [["frobnicate"], /unknown command 'frobnicate'/],
    ] as const) {
      const r = stackae(...args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(r.stderr, pattern);
      // One line as for every failure, then a pointer to --help, not the whole help.
      assert.match(r.stderr, /^stackae: [^\n]+\n\(add --help to see every flag\)\n$/);
    }
  });

  it("bad files exit with their class's code and one line that names the file, and no stack trace", () => {
    const missing = stackae("train", "--data", join(dir, "nowhere"), "--quiet");
    assert.equal(missing.code, 3);
    assert.match(
      missing.stderr,
      /^stackae: .*nowhere: no such folder; a data folder holds the four MNIST-style IDX files/,
    );
    assert.doesNotMatch(missing.stderr, /\n {4}at /);
    const notModel = join(dir, "not-a-model.safetensors");
    writeFileSync(notModel, "hello");
    const r = stackae("eval", notModel);
    assert.equal(r.code, 4);
    assert.match(r.stderr, /not-a-model\.safetensors: 5 bytes is too short/);
    const unwritable = stackae("features", model, "--out", join(dir, "no", "dir", "f.png"));
    assert.equal(unwritable.code, 6);
    assert.match(unwritable.stderr, /cannot be written \(its folder does not exist\)/);
  });
});
