// Damaged or foreign checkpoints and models from the command line: refused with exit 4 naming
// the file and what is wrong, before any training; a run whose model is not finite fails with
// exit 5 instead of saving a model that eval would refuse.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { readMnist } from "../../src/data/files.ts";
import { loadCheckpoint, saveCheckpoint, saveModel } from "../../src/io/files.ts";
import { decodeSafetensors, encodeSafetensors } from "../../src/io/safetensors.ts";
import { JsBackend } from "../../src/linalg/js-backend.ts";
import { type TrainCheckpoint, trainStackedAutoencoder } from "../../src/train/pipeline.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stackae-damaged-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function stackae(...args: string[]) {
  const r = spawnSync(
    process.execPath,
    ["--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts"), ...args],
    {
      cwd: dir,
      encoding: "utf8",
    },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// The run `--train-limit 300` trains on, with the library: its checkpoints fit that command's data.
const { train } = readMnist();
const data = train.head(300);
const saved: TrainCheckpoint[] = [];
const run = trainStackedAutoencoder(
  new JsBackend("float32"),
  { inputs: data.pixels, labels: data.labels, inputSize: 784 },
  {
    settings: {
      layers: [8],
      autoencoder: { iterations: 2 },
      softmax: { optimizer: "adam", iterations: 1, batchSize: 100 },
      fineTune: { iterations: 1 },
    },
    checkpointEvery: 2,
    onCheckpoint: (c) => void saved.push(structuredClone(c)),
  },
);
const adam = saved.find((c) => c.optimizer?.kind === "adam") as TrainCheckpoint;

/** `file`'s bytes with their checksums left out (as before stackae kept them) and `edit` applied to the tensors. */
function withoutChecksums(file: string, edit: (tensors: Map<string, { data: ArrayLike<number> }>) => void): void {
  const { tensors, metadata } = decodeSafetensors(readFileSync(file), file);
  const { checksums: _, ...rest } = metadata;
  edit(tensors);
  writeFileSync(file, encodeSafetensors([...tensors], rest));
}

describe("damaged and foreign files, from the command line", () => {
  it("a checkpoint whose shuffle order holds row −5: exit 4 naming the file and the order, before training", () => {
    const ck = join(dir, "order.ckpt");
    saveCheckpoint(ck, adam);
    withoutChecksums(ck, (t) => {
      (t.get("order") as { data: Int32Array }).data[3] = -5;
    });
    const r = stackae("train", "--train-limit", "300", "--resume", ck, "--quiet");
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /^stackae: .*order\.ckpt: the shuffle order holds -5 at index 3/);
  });

  it("a checkpoint whose parameters are NaN: exit 4, and it is not called the last good checkpoint", () => {
    const ck = join(dir, "nan.ckpt");
    saveCheckpoint(ck, adam);
    withoutChecksums(ck, (t) => {
      (t.get("params") as { data: Float32Array }).data.fill(Number.NaN);
    });
    const r = stackae("train", "--train-limit", "300", "--resume", ck, "--quiet");
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /nan\.ckpt: params holds NaN at index 0, where a run needs finite values/);
    assert.doesNotMatch(r.stderr, /last good checkpoint/);
  });

  it("a model with a flipped bit: eval exits 4 naming the tensor; the same model without checksums evaluates", () => {
    const path = join(dir, "model.safetensors");
    saveModel(path, run.model);
    assert.equal(stackae("eval", path).code, 0);
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUint64LE(0));
    const theta = JSON.parse(bytes.subarray(8, 8 + n).toString()).theta.data_offsets[0] as number;
    bytes[8 + n + theta] = (bytes[8 + n + theta] as number) ^ 1;
    writeFileSync(path, bytes);
    const r = stackae("eval", path);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /model\.safetensors: tensor theta does not match its checksum/);
    withoutChecksums(path, () => {});
    assert.equal(stackae("eval", path).code, 0, "a model of before checksums");
  });

  it("a step that leaves the parameters infinite stops the run: the checkpoint kept is the last good one, as the message says", () => {
    // The first autoencoder's one SGD step at a learning rate of 1e300 leaves its parameters
    // infinite; the optimiser finds it out at the stage's end, before the softmax's first checkpoint
    // could hold them (that checkpoint's own guard is tested in test/io/checkpoint-file.test.ts).
    const ck = join(dir, "diverged.ckpt");
    const r = stackae(
      "train",
      ...["--train-limit", "100", "--layers", "4", "--ae-optimizer", "sgd", "--ae-iters", "1", "--batch-size", "100"],
      ...["--learning-rate", "1e300", "--softmax-iters", "2", "--finetune-iters", "2", "--quiet", "--checkpoint", ck],
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stderr,
      /^stackae: autoencoder 1: the last step \(step 1\) made the parameters non-finite; a learning rate below this stage's 1e\+300 may keep it finite; the last good checkpoint is kept in .*diverged\.ckpt$/m,
    );
    const kept = loadCheckpoint(ck);
    assert.equal(kept.stage, 0, "the checkpoint of the first autoencoder's start");
    assert.ok(kept.params.every(Number.isFinite));
  });

  it("a run whose model would not be finite fails with exit 5 and saves nothing", () => {
    // One step of SGD at a learning rate of 1e300 takes fine-tuning's parameters to ±Infinity:
    // the epoch ends there, and the optimiser's check of its last step finds it out (the model
    // file's own guard is tested in test/io/model-file.test.ts).
    const out = join(dir, "diverged.safetensors");
    const r = stackae(
      "train",
      ...["--train-limit", "100", "--layers", "4", "--ae-iters", "2", "--softmax-iters", "2"],
      ...["--finetune-optimizer", "sgd", "--finetune-iters", "1", "--batch-size", "100", "--learning-rate", "1e300"],
      ...["--quiet", "--out", out],
    );
    assert.equal(r.code, 5, r.stderr);
    assert.match(
      r.stderr,
      /^stackae: fine-tuning: the last step \(step 1\) made the parameters non-finite; a learning rate below this stage's 1e\+300 may keep it finite$/m,
    );
    assert.ok(!existsSync(out));
  });
});
