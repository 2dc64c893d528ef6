// Two runs given one --checkpoint and --out: the second is refused while the first lives, and the
// lock of a run killed with SIGKILL does not stand in the way of the next.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stackae-locks-"));
const node = ["--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts")];
// 200 hidden units: about 11 s of training on one thread, so that the first run outlives the three
// runs started after it (with 32 its 2 s ended before the last of them checked its lock, once in CI).
const RUN = ["--train-limit", "1000", "--layers", "200", "--ae-iters", "200", "--softmax-iters", "10"].concat([
  "--finetune-iters",
  "10",
  "--threads",
  "1",
]);

const stackae = (...args: string[]) => spawnSync(process.execPath, [...node, ...args], { cwd: dir, encoding: "utf8" });

it("a second run on the same --checkpoint and --out is refused (exit 7, naming the first's PID); a killed run's lock is stale", {
  timeout: 180_000,
}, async () => {
  const ck = join(dir, "run.ckpt");
  const out = join(dir, "model.safetensors");
  const first = spawn(process.execPath, [...node, "train", ...RUN, "--checkpoint", ck, "--out", out], { cwd: dir });
  let err = "";
  await new Promise<void>((resolve, reject) => {
    first.stderr.on("data", (b: Buffer) => {
      err += b.toString();
      if (/autoencoder 1: iteration/.test(err)) resolve();
    });
    first.on("exit", (code) => reject(new Error(`the first run ended (${code}) before training:\n${err}`)));
  });
  const exited = new Promise((resolve) => first.on("exit", resolve));
  try {
    for (const args of [
      ["--checkpoint", ck],
      ["--out", out, "--checkpoint", join(dir, "other.ckpt")],
      ["--resume", ck],
    ]) {
      const second = stackae("train", ...RUN.slice(0, 2), ...args, "--quiet");
      assert.equal(second.status, 7, second.stderr);
      assert.match(
        second.stderr,
        new RegExp(
          `^stackae: .*(run\\.ckpt|model\\.safetensors): is in use by another run \\(PID ${first.pid} on this machine, since [^:]*:\\d\\d:\\d\\d\\.\\d+Z: stackae train --train-limit 1000 [^)]*\\); wait for it to end or choose another file\\. If that run is gone, delete .*\\.lock\\n$`,
        ),
      );
    }
  } finally {
    first.kill("SIGKILL");
  }
  await exited;
  // The killed run's locks are left, and stale: a resumed run takes them over, and removes them as it ends.
  assert.ok(existsSync(`${ck}.lock`) && existsSync(`${out}.lock`));
  const resumed = stackae("train", ...RUN.slice(0, 2), "--threads", "1", "--resume", ck, "--out", out, "--quiet");
  assert.equal(resumed.status, 0, resumed.stderr);
  assert.match(resumed.stdout, /model saved to/);
  assert.deepEqual(
    readdirSync(dir).filter((f) => f.endsWith(".lock") || f.endsWith(".tmp")),
    [],
    "no lock and no temporary file is left",
  );
});

it("--out and --checkpoint naming one file are refused before training", () => {
  const r = stackae("train", ...RUN, "--checkpoint", "same.safetensors", "--out", "./same.safetensors", "--quiet");
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--out and the checkpoint are the same file, \.\/same\.safetensors/);
});
