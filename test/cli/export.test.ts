// export and import as a user runs them: the ONNX file gives what `stackae predict` gives, the
// PyTorch state_dict comes back as the same model, and mistakes are refused before anything is written.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import * as ort from "onnxruntime-web";
import { MNIST_FILES } from "../../src/data/files.ts";
import { encodeIdx } from "../../src/data/idx.ts";
import { loadModel, saveModel } from "../../src/io/files.ts";
import { modelDataMetadata } from "../../src/io/model-data.ts";
import { trainedModel } from "../io/trained-model.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-export-"));
ort.env.wasm.numThreads = 1;

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", import.meta.resolve("tsx"), main, ...args], {
    cwd: dir,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const NAMES = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"];
const { model, test } = await trainedModel();
const modelFile = join(dir, "model.safetensors");
saveModel(modelFile, model, { ...modelDataMetadata({ classNames: NAMES }), createdBy: "stackae train" });
const images = join(dir, MNIST_FILES.testImages);
writeFileSync(images, encodeIdx([1000, 28, 28], test.pixels));
writeFileSync(join(dir, MNIST_FILES.testLabels), encodeIdx([1000], test.labels));

describe("stackae export and import", () => {
  it("export --format onnx: onnxruntime on the raw pixels gives what `stackae predict` gives", async () => {
    const r = stackae("export", modelFile, "--format", "onnx", "--out", "model.onnx");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote model\.onnx: ONNX opset 13; input "input" float32 \[N, 784\] .*÷ 255/);
    const predicted = stackae("predict", modelFile, images, "--json");
    assert.equal(predicted.code, 0, predicted.stderr);
    const items = JSON.parse(predicted.stdout) as { predicted: number; name: string; probabilities: number[] }[];
    const session = await ort.InferenceSession.create(readFileSync(join(dir, "model.onnx")));
    const out = await session.run({ input: new ort.Tensor("float32", Float32Array.from(test.pixels), [1000, 784]) });
    const p = out.probabilities?.data as Float32Array;
    const labels = out.label?.data as BigInt64Array;
    let diff = 0;
    items.forEach((item, i) => {
      assert.equal(Number(labels[i]), item.predicted, `image ${i}`);
      assert.equal(NAMES[Number(labels[i])], item.name);
      // predict --json prints 6 significant digits.
      item.probabilities.forEach((v, c) => {
        diff = Math.max(diff, Math.abs(v - (p[i * 10 + c] as number)));
      });
    });
    assert.ok(diff <= 1e-5, `max |onnxruntime − stackae predict| = ${diff}`);
    await session.release();
  });

  it("export --format torch, then import --like: the same model, class names and eval", () => {
    const r = stackae("export", modelFile, "--out", "torch.safetensors");
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote torch\.safetensors: the state_dict of 3 nn\.Linear layers/);
    const back = stackae("import", "torch.safetensors", "--like", modelFile, "--out", "back.safetensors");
    assert.equal(back.code, 0, back.stderr);
    assert.match(back.stdout, /wrote back\.safetensors: a stackae model 784 → 32 → 16 → softmax\(10\)/);
    const loaded = loadModel(join(dir, "back.safetensors"));
    assert.deepEqual(loaded.model, model);
    assert.equal(loaded.metadata.classNames, JSON.stringify(NAMES));
    const evalOf = (file: string) => {
      const e = stackae("eval", file, "--data", dir, "--json");
      assert.equal(e.code, 0, e.stderr);
      return JSON.parse(e.stdout).accuracy as number;
    };
    assert.equal(evalOf("back.safetensors"), evalOf(modelFile));
  });

  it("refuses a format it does not know, an --out it cannot tell, and replacing the file it reads", () => {
    const bad = stackae("export", modelFile, "--format", "tflite", "--out", "m.tflite");
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--format must be onnx or torch, got "tflite"/);
    const unknown = stackae("export", modelFile, "--out", "model.bin");
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /say which format with --format onnx or --format torch/);
    const before = readFileSync(modelFile);
    const same = stackae("export", modelFile, "--format", "torch", "--out", modelFile);
    assert.equal(same.code, 2);
    assert.match(same.stderr, /is the file read .*choose another path/);
    assert.deepEqual(readFileSync(modelFile), before, "the model is untouched");
    assert.ok(!existsSync(join(dir, "m.tflite")) && !existsSync(join(dir, "model.bin")));
  });

  it("import refuses a stackae model, and a file that is not there, saying what to do", () => {
    const model = stackae("import", modelFile, "--out", "x.safetensors");
    assert.notEqual(model.code, 0);
    assert.match(model.stderr, /is a stackae model already, not a PyTorch state_dict.*export/);
    const missing = stackae("import", "nothing.safetensors", "--out", "x.safetensors");
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /nothing\.safetensors: cannot be read \(no such file\)/);
    assert.ok(!existsSync(join(dir, "x.safetensors")));
  });
});
