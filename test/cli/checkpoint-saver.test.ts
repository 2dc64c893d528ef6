// A disk that fills up during a run, made real: a small tmpfs holds the checkpoint (its first,
// small checkpoints fit; the L-BFGS history makes the later ones too big), the model goes elsewhere.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stackae-full-disk-"));
const node = ["--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts")];
const RUN = ["--train-limit", "500", "--layers", "32", "--ae-iters", "150", "--softmax-iters", "10"].concat([
  "--finetune-iters",
  "20",
  "--threads",
  "1",
]);
const disk = join(dir, "disk");
const mounted = (() => {
  if (process.platform !== "linux" || process.getuid?.() !== 0) return false;
  mkdirSync(disk);
  return spawnSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", disk]).status === 0;
})();
after(() => {
  if (mounted) execFileSync("umount", [disk]);
  rmSync(dir, { recursive: true, force: true });
});

const stackae = (...args: string[]) => spawnSync(process.execPath, [...node, ...args], { cwd: dir, encoding: "utf8" });
const reference = join(dir, "reference.safetensors");

describe("a full disk during a run", { skip: mounted ? false : "needs root on Linux to mount a 1 MB tmpfs" }, () => {
  before(() => {
    const r = stackae("train", ...RUN, "--out", reference, "--quiet");
    assert.equal(r.status, 0, r.stderr);
  });

  it("a periodic checkpoint that cannot be written is a warning; the run goes on and ends in its model", () => {
    const ck = join(disk, "run.ckpt");
    const out = join(dir, "full-disk.safetensors");
    const r = stackae("train", ...RUN, "--checkpoint", ck, "--checkpoint-every", "10", "--out", out);
    assert.equal(r.status, 0, r.stderr);
    const warnings = r.stderr.match(/^stackae: warning: .*$/gm) ?? [];
    assert.deepEqual(warnings, [
      `stackae: warning: ${ck}: cannot be written (the disk is full); nothing was replaced. Training goes on and tries again every 10 iterations; the last good checkpoint is ${ck} (autoencoder 1, iteration 0)`,
      `stackae: warning: ${ck}: cannot be written (the disk is full); nothing was replaced. Training goes on and tries again every 10 iterations; the last good checkpoint is ${ck} (fine-tuning, iteration 0)`,
    ]);
    assert.match(r.stderr, /^stackae: checkpoints are written again: .*run\.ckpt \(softmax, iteration 0\)$/m);
    assert.deepEqual(readFileSync(out), readFileSync(reference), "the model of a run that never failed to write");
    rmSync(ck);
  });

  it("stopped when its checkpoint cannot be written, the run names the last good one; resuming from it ends in the same model", async () => {
    const ck = join(disk, "stopped.ckpt");
    const out = join(dir, "stopped.safetensors");
    const child: ChildProcess = spawn(process.execPath, [...node, "train", ...RUN, "--checkpoint", ck, "--out", out], {
      cwd: dir,
    });
    let stderr = "";
    let sent = false;
    child.stderr?.on("data", (b: Buffer) => {
      stderr += b.toString();
      // Inside the first autoencoder, once its checkpoints have begun to fail.
      if (!sent && /warning: .*cannot be written/.test(stderr)) sent = child.kill("SIGINT");
    });
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 6, stderr);
    assert.match(
      stderr,
      new RegExp(
        `^stackae: ${ck}: cannot be written \\(the disk is full\\); nothing was replaced; the run stopped without its checkpoint\\nthe last good checkpoint is ${ck} \\(autoencoder 1, iteration 0\\)\\nresume with: npx stackae train --resume ${ck} --train-limit 500\\n$`,
        "m",
      ),
    );
    const r = stackae("train", "--train-limit", "500", "--threads", "1", "--resume", ck, "--out", out, "--quiet");
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readFileSync(out), readFileSync(reference));
  });
});
