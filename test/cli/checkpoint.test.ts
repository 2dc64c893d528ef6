// Runs that are killed or interrupted, then resumed, end in the same model file as a run that
// never stopped. Everything as a user would do it: child processes and signals.
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { encodeIdx } from "../../src/data/idx.ts";
import { loadCheckpoint, saveCheckpoint } from "../../src/io/files.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const main = join(root, "src/cli/main.ts");
const dir = mkdtempSync(join(tmpdir(), "stackae-checkpoint-"));
// The runs work in `dir`, where the bare name "tsx" would not resolve.
const node = ["--import", import.meta.resolve("tsx"), main];

// Long enough (several seconds) that a signal lands inside the first autoencoder.
const RUN = [
  "--train-limit",
  "2000",
  "--layers",
  "64",
  "--ae-iters",
  "120",
  "--softmax-iters",
  "30",
  "--finetune-iters",
  "30",
  "--seed",
  "4",
  "--threads",
  "2",
];

function stackae(...args: string[]) {
  const r = spawnSync(process.execPath, [...node, ...args], { cwd: dir, encoding: "utf8" });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts a run; resolves with the child once `ready` matches its stderr. */
function startUntil(
  args: string[],
  ready: RegExp,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [...node, ...args], { cwd: dir, env });
  let out = "";
  let err = "";
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((resolve, reject) => {
    child.stderr.on("data", (chunk: Buffer) => {
      err += chunk.toString();
      if (ready.test(err)) resolve({ child, stdout: () => out, stderr: () => err });
    });
    child.on("exit", (code) => reject(new Error(`the run ended (code ${code}) before ${ready}:\n${err}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on("exit", (code, signal) => resolve({ code, signal })),
  );

const whole = join(dir, "whole.safetensors");

describe("checkpoints and resume, from the command line", () => {
  it("an uninterrupted run", () => {
    const r = stackae("train", ...RUN, "--quiet", "--out", whole);
    assert.equal(r.code, 0, r.stderr);
  });

  it("kill test: SIGKILL after a checkpoint was written, then --resume, ends in the same model file", async () => {
    const ck = join(dir, "killed.checkpoint");
    const out = join(dir, "resumed-after-kill.safetensors");
    const { child } = await startUntil(
      ["train", ...RUN, "--checkpoint", ck, "--checkpoint-every", "10", "--out", out],
      /checkpoint: .*killed\.checkpoint \(autoencoder 1, iteration 30\)/,
    );
    child.kill("SIGKILL");
    const { signal } = await exited(child);
    assert.equal(signal, "SIGKILL");
    assert.ok(!existsSync(out), "the killed run saved no model");
    const c = loadCheckpoint(ck);
    assert.equal(c.stage, 0);
    assert.ok((c.optimizer?.iterations ?? 0) >= 30, `checkpoint at iteration ${c.optimizer?.iterations}`);
    assert.equal(c.optimizer?.kind, "lbfgs");
    const r = stackae("train", "--train-limit", "2000", "--threads", "2", "--resume", ck, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /resumed from .*killed\.checkpoint/);
    assert.deepEqual(readFileSync(out), readFileSync(whole), "the same model file, byte for byte");
  });

  it("SIGINT writes a checkpoint, exits 130 and says how to resume; resuming ends in the same model", async () => {
    const out = join(dir, "resumed-after-int.safetensors");
    const { child, stderr } = await startUntil(["train", ...RUN], /autoencoder 1: iteration \d+\/120/);
    child.kill("SIGINT");
    const { code } = await exited(child);
    assert.equal(code, 130, stderr());
    // Without --checkpoint, the state goes to stackae-checkpoint.safetensors in the working folder.
    const ck = join(dir, "stackae-checkpoint.safetensors");
    assert.match(stderr(), /stopped during autoencoder 1, after iteration \d+; checkpoint written to/);
    assert.match(
      stderr(),
      /resume with: npx stackae train --resume stackae-checkpoint\.safetensors --train-limit 2000/,
    );
    assert.ok(statSync(ck).size > 0);
    const r = stackae("train", "--train-limit", "2000", "--threads", "2", "--resume", ck, "--out", out, "--quiet");
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(readFileSync(out), readFileSync(whole));
  });

  it("SIGINT before training starts stops at once, with nothing to save", {
    skip: process.platform === "win32",
  }, async () => {
    // A data folder whose training images are a named pipe that no one writes: reading it
    // blocks, so the run is still loading its data when the signal comes.
    const data = join(dir, "fifo-data");
    mkdirSync(data);
    execFileSync("mkfifo", [join(data, "train-images-idx3-ubyte")]);
    writeFileSync(join(data, "train-labels-idx1-ubyte"), encodeIdx([1], Uint8Array.of(0)));
    writeFileSync(join(data, "t10k-images-idx3-ubyte"), encodeIdx([1, 2, 2], new Uint8Array(4)));
    writeFileSync(join(data, "t10k-labels-idx1-ubyte"), encodeIdx([1], Uint8Array.of(0)));
    const child = spawn(process.execPath, [...node, "train", "--data", data], { cwd: dir });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    // Opening the pipe for writing returns once the run has opened it for reading.
    const writer = await open(join(data, "train-images-idx3-ubyte"), "w");
    let ended = false;
    const done = exited(child).then((r) => {
      ended = true;
      return r;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.kill("SIGINT");
    while (!/before training started/.test(stderr) && !ended) await sleep(50);
    // The exit waits for the worker's blocked read to return: close the pipe. Had the signal only
    // asked the worker to stop after an iteration, the empty file would end the run with exit 3.
    await writer.close();
    const { code, signal } = await done;
    clearTimeout(timer);
    assert.equal(code, 130, `code ${code}, signal ${signal}: ${stderr}`);
    assert.match(stderr, /stackae: SIGINT before training started: stopped, nothing to save/);
  });

  it("SIGTERM exits 143 with a checkpoint too", async () => {
    const ck = join(dir, "term.checkpoint");
    const { child } = await startUntil(["train", ...RUN, "--checkpoint", ck], /autoencoder 1: iteration/);
    child.kill("SIGTERM");
    assert.equal((await exited(child)).code, 143);
    assert.equal(loadCheckpoint(ck).stage, 0);
  });

  it("a resumed run's seconds count the time before the checkpoint, in its stage and in the total", () => {
    // As if the run had spent 1,000 s in the first autoencoder before it stopped.
    const c = loadCheckpoint(join(dir, "term.checkpoint"));
    const slow = join(dir, "slow.checkpoint");
    saveCheckpoint(slow, { ...c, seconds: c.seconds + 1000 });
    const r = stackae("train", "--train-limit", "2000", "--threads", "2", "--resume", slow, "--json", "--quiet");
    assert.equal(r.code, 0, r.stderr);
    const seconds = JSON.parse(r.stdout).seconds as Record<string, number>;
    assert.ok((seconds["autoencoder 1"] as number) >= 1000, JSON.stringify(seconds));
    const stages = Object.entries(seconds).filter(([k]) => k !== "total");
    const sum = stages.reduce((t, [, v]) => t + v, 0);
    assert.ok((seconds.total as number) >= sum - 0.05, JSON.stringify(seconds));
  });

  it("checkpoints by default every 20 L-BFGS iterations and every 200 minibatch steps, each stage from its start", () => {
    const ck = join(dir, "default-every.checkpoint");
    const r = stackae(
      "train",
      ...["--train-limit", "2000", "--layers", "16", "--ae-iters", "45", "--batch-size", "10", "--checkpoint", ck],
      ...[
        "--softmax-optimizer",
        "adam",
        "--softmax-iters",
        "2",
        "--finetune-optimizer",
        "sgd",
        "--finetune-iters",
        "1",
      ],
    );
    assert.equal(r.code, 0, r.stderr);
    // Off a terminal each checkpoint is a line; 2,000 images in batches of 10 are 200 steps an epoch.
    const taken = [...r.stderr.matchAll(/^checkpoint: .*default-every\.checkpoint \((.+), iteration (\d+)\)$/gm)];
    assert.deepEqual(
      taken.map(([, stage, iteration]) => `${stage} ${iteration}`),
      ["autoencoder 1 0", "autoencoder 1 20", "autoencoder 1 40", "softmax 0", "softmax 200", "softmax 400"].concat([
        "fine-tuning 0",
        "fine-tuning 200",
      ]),
    );
  });

  it("refuses settings flags beside --resume, other data, and a model file as checkpoint", () => {
    const ck = join(dir, "term.checkpoint");
    const seed = stackae("train", "--resume", ck, "--seed", "5");
    assert.equal(seed.code, 2);
    assert.match(seed.stderr, /--seed cannot be given with --resume/);
    const every = stackae("train", "--checkpoint-every", "5");
    assert.equal(every.code, 2);
    assert.match(every.stderr, /--checkpoint-every needs --checkpoint/);
    const data = stackae("train", "--resume", ck, "--train-limit", "1999", "--quiet");
    assert.equal(data.code, 2);
    assert.match(data.stderr, /checkpoint was taken on 2000 examples .* this run has 1999/);
    assert.match(
      data.stderr,
      /the flags --data, --train-limit, --unlabeled and --transpose that the stopped run printed/,
    );
    const model = stackae("train", "--resume", whole, "--quiet");
    assert.equal(model.code, 4);
    assert.match(model.stderr, /whole\.safetensors: is safetensors but not a stackae checkpoint/);
  });
});

describe("outputs that fail at the end of a run", () => {
  it("a model whose folder went away is saved in the temporary folder; the results are printed, exit 6", async () => {
    const gone = join(dir, "gone");
    const report = join(dir, "report-now-a-file");
    const rescue = join(dir, "tmp");
    for (const d of [gone, rescue]) mkdirSync(d);
    const { child, stdout, stderr } = await startUntil(
      ["train", ...RUN, "--out", join(gone, "model.safetensors"), "--report", report],
      /autoencoder 1: iteration/,
      { ...process.env, TMPDIR: rescue },
    );
    // Both outputs were checked before training; now the model's folder goes, the report's
    // folder becomes a file.
    rmSync(gone, { recursive: true });
    rmSync(report, { recursive: true });
    writeFileSync(report, "");
    const { code } = await exited(child);
    assert.equal(code, 6, stderr());
    assert.match(stdout(), /^test accuracy after fine-tuning: \d+\.\d\d%$/m);
    const saved = new RegExp(
      `^stackae: ${gone}/model\\.safetensors: cannot be written \\(its folder does not exist\\); nothing was replaced; the trained model is saved in (${rescue}/stackae-\\d+-model\\.safetensors) instead: move it from there$`,
      "m",
    );
    const [, rescued] = saved.exec(stderr()) ?? assert.fail(stderr());
    assert.ok(stdout().endsWith(`model saved to ${rescued}\n`), "where the model went, and no report");
    assert.match(
      stderr(),
      /^stackae: .*report-now-a-file: the report folder cannot be made \(it is a file, not a folder\)/m,
    );
    assert.deepEqual(readFileSync(rescued as string), readFileSync(whole), "the model the run would have saved");
  });
});
