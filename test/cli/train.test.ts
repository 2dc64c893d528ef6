// train's --recipe, and the flags of fine-tuning's regularisers and the learning-rate schedule,
// run as a user would (a child process) on the first few hundred MNIST training images.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { loadModel } from "../../src/io/files.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-recipe-"));

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, ["--import", "tsx", main, ...args], { cwd: root, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

interface Summary {
  recipe: string;
  settings: {
    recipe?: string;
    layers: number[];
    autoencoder: { optimizer: string; iterations: number };
    fineTune: {
      optimizer: string;
      iterations: number;
      schedule?: string;
      weightDecay?: number;
      inputDropout?: number;
      dropout?: number;
    };
  };
  accuracyAfterFineTuning: number;
}

describe("train --recipe", () => {
  it("--recipe fast: its settings, the recipe in --json and in the model's metadata; flags given override it", () => {
    const out = join(dir, "fast.safetensors");
    const r = stackae(
      "train",
      ...["--recipe", "fast", "--train-limit", "300", "--layers", "16", "--ae-iters", "2", "--finetune-iters", "3"],
      ...["--finetune-weight-decay", "1e-4", "--input-dropout", "0.1", "--dropout", "0.1", "--lr-schedule", "cosine"],
      ...["--threads", "1", "--out", out, "--json", "--quiet"],
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.recipe, "fast");
    assert.equal(s.settings.recipe, "fast");
    assert.deepEqual(s.settings.layers, [16], "--layers overrides the recipe's");
    assert.deepEqual([s.settings.autoencoder.optimizer, s.settings.autoencoder.iterations], ["adam", 2]);
    const f = s.settings.fineTune;
    assert.deepEqual(
      [f.optimizer, f.iterations, f.schedule, f.weightDecay, f.inputDropout, f.dropout],
      ["adam", 3, "cosine", 1e-4, 0.1, 0.1],
    );
    assert.ok(s.accuracyAfterFineTuning > 0.2, `${s.accuracyAfterFineTuning}: above chance`);
    const saved = JSON.parse(loadModel(out).metadata.settings as string) as Summary["settings"];
    assert.deepEqual(saved, s.settings);
  });

  it("the reference experiment by default: --json says so, and its settings have no recipe key", () => {
    const r = stackae(
      "train",
      ...["--train-limit", "200", "--layers", "8", "--ae-iters", "2", "--softmax-iters", "2", "--finetune-iters", "2"],
      ...["--threads", "1", "--json", "--quiet"],
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.recipe, "reference");
    assert.equal("recipe" in s.settings, false);
  });

  it("an unknown recipe is a usage error (exit 2) naming the flag, the value and the choices", () => {
    const r = stackae("train", "--recipe", "fastest", "--train-limit", "10");
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--recipe/);
    assert.match(r.stderr, /Expected one of reference, fast, best, got "fastest"/);
  });

  it("a recipe cannot be given with --resume, whose run keeps its checkpoint's settings", () => {
    const r = stackae("train", "--recipe", "best", "--resume", join(dir, "none.safetensors"));
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--recipe cannot be given with --resume/);
  });

  it("a bad value of the new flags names the flag", () => {
    for (const [flag, value] of [
      ["--input-dropout", "1"],
      ["--dropout", "-0.5"],
      ["--finetune-weight-decay", "-1"],
      ["--lr-schedule", "step"],
    ]) {
      const r = stackae("train", flag as string, value as string);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`${flag}.*${value}`));
    }
  });
});
