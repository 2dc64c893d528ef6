// SIGKILL at random moments of a run, then resumed, again and again: every kill must leave a
// checkpoint that loads (or none yet, which a resume refuses with a clear message), never a part of
// a model, and every run that ends must end in the uninterrupted run's model, byte for byte.
// `test/cli/kill-random.test.ts` runs a few kills in the default suite; `npm run test:kill` many.
import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { loadCheckpoint } from "../../src/io/files.ts";

const root = fileURLToPath(new URL("../..", import.meta.url));
const node = ["--import", import.meta.resolve("tsx"), join(root, "src/cli/main.ts")];
// Small, so that a run takes a few seconds, with a checkpoint every 3 iterations of each stage.
const DATA = ["--train-limit", "500", "--threads", "1"];
const SETTINGS = ["--layers", "32", "--ae-iters", "60", "--softmax-iters", "10", "--finetune-iters", "20"];

/** mulberry32: the kill times, drawn from a seed that a failure prints. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface KillReport {
  kills: number;
  /** Kills after which the checkpoint loaded, and those before the run's first checkpoint. */
  resumable: number;
  beforeFirstCheckpoint: number;
  /** Runs that ended (each compared with the uninterrupted run's model). */
  finished: number;
  /** Kills that found the model already written (it was whole and the same). */
  afterModel: number;
}

/** Runs `kills` SIGKILLs; asserts as it goes; returns what happened. */
export async function killAndResume(kills: number, seed: number): Promise<KillReport> {
  const dir = mkdtempSync(join(tmpdir(), "stackae-kill-"));
  const say = `(seed ${seed}; STACKAE_KILL_SEED=${seed} repeats it)`;
  const report: KillReport = { kills: 0, resumable: 0, beforeFirstCheckpoint: 0, finished: 0, afterModel: 0 };
  try {
    const reference = join(dir, "reference.safetensors");
    // The uninterrupted run, timed: its start (node, the data) and its training.
    const whole = await start([...SETTINGS, "--out", reference], dir);
    const wholeCode = await whole.ended;
    assert.equal(wholeCode, 0, whole.stderr());
    const startup = whole.training();
    const training = performance.now() - startup.at;
    const ref = readFileSync(reference);
    const ck = join(dir, "run.ckpt");
    const out = join(dir, "model.safetensors");
    const draw = random(seed);
    let saidNoCheckpoint = false;
    while (report.kills < kills) {
      const run = await start(
        existsSync(ck)
          ? ["--resume", ck, "--out", out]
          : [...SETTINGS, "--checkpoint", ck, "--checkpoint-every", "3", "--out", out],
        dir,
      );
      // A quarter of the kills while the run starts, the others while it trains.
      const moment =
        draw() < 0.25
          ? sleep(draw() * startup.duration)
          : run.trainingStarted.then(() => sleep(draw() * 0.8 * training));
      const result = await Promise.race([run.ended, moment.then(() => "kill" as const)]);
      const child = run.child;
      const ended = run.ended;
      const stderr = run.stderr();
      if (result !== "kill") {
        // The run ended before its kill: its model is the uninterrupted run's. Start a new chain.
        assert.equal(result, 0, `${stderr} ${say}`);
        assert.deepEqual(readFileSync(out), ref, `a resumed run ended in another model ${say}`);
        report.finished++;
        rmSync(ck);
        rmSync(out);
        continue;
      }
      child.kill("SIGKILL");
      await ended;
      report.kills++;
      if (existsSync(out)) {
        // Killed after the model was saved (atomically): it is whole, and the uninterrupted run's.
        assert.deepEqual(readFileSync(out), ref, `a killed run left another model ${say}`);
        report.afterModel++;
        rmSync(out);
      }
      if (existsSync(ck)) {
        assert.doesNotThrow(
          () => loadCheckpoint(ck),
          `kill ${report.kills} left a checkpoint that does not load ${say}`,
        );
        report.resumable++;
      } else {
        report.beforeFirstCheckpoint++;
        if (!saidNoCheckpoint) {
          // Killed before its first checkpoint: resuming says so, in one line.
          saidNoCheckpoint = true;
          const r = spawnSync(process.execPath, [...node, "train", ...DATA, "--resume", ck], {
            cwd: dir,
            encoding: "utf8",
          });
          assert.equal(r.status, 4, r.stderr);
          assert.match(r.stderr, /^stackae: .*run\.ckpt: no such file\n$/);
        }
      }
    }
    // The last chain, to its end.
    const args = existsSync(ck) ? ["--resume", ck] : [...SETTINGS, "--checkpoint", ck];
    const last = spawnSync(process.execPath, [...node, "train", ...DATA, ...args, "--out", out, "--quiet"], {
      cwd: dir,
      encoding: "utf8",
    });
    assert.equal(last.status, 0, `${last.stderr} ${say}`);
    assert.deepEqual(readFileSync(out), ref, `the last resumed run ended in another model ${say}`);
    report.finished++;
    // The killed runs' locks and temporary files are gone: taken over, then removed.
    const left = readdirSync(dir).filter((f) => f.endsWith(".lock") || f.endsWith(".tmp"));
    assert.deepEqual(left, [], `left behind ${say}`);
    return report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface Run {
  child: ChildProcess;
  ended: Promise<number | null>;
  /** Resolves when the first stage starts (its first progress line); never, if the run ends first. */
  trainingStarted: Promise<void>;
  /** The time from the start to the first stage (ms), once known. */
  training: () => { duration: number; at: number };
  stderr: () => string;
}

/** Starts `train` with the data flags and `args`, its progress on a pipe. */
async function start(args: string[], cwd: string): Promise<Run> {
  const at = performance.now();
  const child = spawn(process.execPath, [...node, "train", ...DATA, ...args], {
    cwd,
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  let first = Number.NaN;
  let began: () => void = () => {};
  const trainingStarted = new Promise<void>((resolve) => {
    began = resolve;
  });
  child.stderr?.on("data", (b: Buffer) => {
    stderr += b.toString();
    if (Number.isNaN(first) && /^\[\d+\/\d+\] /m.test(stderr)) {
      first = performance.now();
      began();
    }
  });
  const ended = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return { child, ended, trainingStarted, training: () => ({ duration: first - at, at: first }), stderr: () => stderr };
}

/** The seed: STACKAE_KILL_SEED, else a new one. */
export const killSeed = (): number =>
  process.env.STACKAE_KILL_SEED ? Number(process.env.STACKAE_KILL_SEED) : Math.floor(Math.random() * 2 ** 32);
