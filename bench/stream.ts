// Streaming against the in-memory path (issue #32): generates an IDX training set of IMAGES
// images (default 2,000,000, 1.6 GB: MNIST's training images, each shifted by up to 2 pixels
// and with noise added, so that it is learnable and not a copy), with MNIST's test set beside
// it, then trains the same minibatch recipe on it twice, as `stackae train` processes: streamed
// (--stream) and held in memory (--memory-budget 1T). Prints each run's peak resident memory
// (/usr/bin/time -v: the process and all its threads), its training throughput (images through
// the stages per second of the stages' time, loading excluded) and wall time, and test accuracy.
// Issue #32 asks: streamed peak < 500 MiB, throughput ≥ 0.8× the in-memory run's, accuracy
// within 0.3 points. The folder is removed after, unless --keep; --dir DIR reuses (or keeps) one.
// Usage: npm run bench:stream -- [--images N] [--epochs E] [--layers 200] [--threads T] [--keep] [--dir DIR]
import { spawnSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { MNIST_FILES, mnistDataDir, readMnist } from "../src/data/files.ts";
import { Rng } from "../src/linalg/rng.ts";

const { values: opt } = parseArgs({
  options: {
    images: { type: "string", default: "2000000" },
    epochs: { type: "string", default: "1" },
    layers: { type: "string", default: "200" },
    "batch-size": { type: "string", default: "256" },
    threads: { type: "string" },
    keep: { type: "boolean", default: false },
    dir: { type: "string" },
  },
});
const images = Number(opt.images);
const root = fileURLToPath(new URL("..", import.meta.url));
const loadavg = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

/** Writes `m` shifted, noisy MNIST training images and their labels into `dir`, with MNIST's test set. */
function generate(dir: string, m: number): void {
  const { train } = readMnist();
  const rng = new Rng(2026);
  const noise = Uint8Array.from({ length: 1 << 20 }, () => rng.int(48));
  const header = (magic: number, dims: number[]) => {
    const h = Buffer.alloc(4 + 4 * dims.length);
    h.writeUInt32BE(magic, 0);
    for (const [i, d] of dims.entries()) h.writeUInt32BE(d, 4 + 4 * i);
    return h;
  };
  const img = openSync(join(dir, MNIST_FILES.trainImages), "w");
  const lab = openSync(join(dir, MNIST_FILES.trainLabels), "w");
  writeSync(img, header(2051, [m, 28, 28]));
  writeSync(lab, header(2049, [m]));
  const block = 10_000;
  const pixels = Buffer.alloc(block * 784);
  const labels = Buffer.alloc(block);
  for (let start = 0; start < m; start += block) {
    const count = Math.min(block, m - start);
    for (let i = 0; i < count; i++) {
      const src = rng.int(train.count);
      const [dx, dy] = [rng.int(5) - 2, rng.int(5) - 2];
      const at = rng.int(noise.length - 784);
      for (let r = 0; r < 28; r++) {
        for (let c = 0; c < 28; c++) {
          const [sr, sc] = [r - dy, c - dx];
          const v = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? (train.pixels[src * 784 + sr * 28 + sc] as number) : 0;
          pixels[i * 784 + r * 28 + c] = Math.min(255, v + (noise[at + r * 28 + c] as number));
        }
      }
      labels[i] = train.labels[src] as number;
    }
    writeSync(img, pixels, 0, count * 784);
    writeSync(lab, labels, 0, count);
  }
  closeSync(img);
  closeSync(lab);
  for (const f of [MNIST_FILES.testImages, MNIST_FILES.testLabels]) copyFileSync(join(mnistDataDir(), f), join(dir, f));
}

interface Run {
  name: string;
  peak: number;
  wall: number;
  cpu: number;
  throughput: number;
  accuracy: number;
  stages: [string, number][];
}

/** One `stackae train` process on `dir`; its peak memory, times and results. */
function train(name: string, dir: string, extra: string[]): Run {
  const args = [
    "-v",
    process.execPath,
    "--import",
    "tsx",
    join(root, "src/cli/main.ts"),
    "train",
    "--data",
    dir,
    "--optimizer",
    "adam",
    "--layers",
    opt.layers as string,
    "--batch-size",
    opt["batch-size"] as string,
    ...["--ae-iters", "--softmax-iters", "--finetune-iters"].flatMap((f) => [f, opt.epochs as string]),
    ...(opt.threads ? ["--threads", opt.threads] : []),
    "--json",
    "--quiet",
    ...extra,
  ];
  process.stderr.write(`${name}: stackae ${args.slice(5).join(" ")} (load ${loadavg()})\n`);
  const r = spawnSync("/usr/bin/time", args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${name} failed (${r.status}):\n${r.stderr}`);
  const field = (re: RegExp) => Number(re.exec(r.stderr)?.[1]);
  const summary = JSON.parse(r.stdout);
  const stages = Object.entries(summary.seconds as Record<string, number>).filter(([s]) => s !== "total");
  const m = summary.data.trainImages as number;
  const epochs = Number(opt.epochs);
  const seconds = stages.reduce((t, [, s]) => t + s, 0);
  // "m:ss.ss" or "h:mm:ss": seconds, minutes, hours from the right.
  const [secs, min, hours] = (/Elapsed \(wall clock\) time.*: (.*)/.exec(r.stderr)?.[1] ?? "0")
    .split(":")
    .map(Number)
    .reverse()
    .concat([0, 0]);
  return {
    name,
    peak: field(/Maximum resident set size \(kbytes\): (\d+)/) * 1024,
    wall: (secs ?? 0) + 60 * (min ?? 0) + 3600 * (hours ?? 0),
    cpu: field(/User time \(seconds\): ([\d.]+)/) + field(/System time \(seconds\): ([\d.]+)/),
    throughput: (stages.length * epochs * m) / seconds,
    accuracy: summary.accuracyAfterFineTuning as number,
    stages,
  };
}

const dir = opt.dir ?? mkdtempSync(join(tmpdir(), "stackae-bench-stream-"));
mkdirSync(dir, { recursive: true });
try {
  if (!existsSync(join(dir, MNIST_FILES.trainImages))) {
    const t = performance.now();
    generate(dir, images);
    process.stderr.write(`generated ${images} images in ${dir} (${((performance.now() - t) / 1000).toFixed(0)} s)\n`);
  }
  const streamed = train("streamed", dir, ["--stream"]);
  const held = train("in memory", dir, ["--memory-budget", "1T"]);
  console.log(
    `load average after: ${loadavg()}; ${images} images, ${opt.epochs} epoch(s) a stage, layers ${opt.layers}`,
  );
  console.log("run        peak memory   throughput      wall     CPU  test accuracy");
  for (const r of [streamed, held]) {
    console.log(
      `${r.name.padEnd(10)} ${mib(r.peak).padStart(11)} ${`${r.throughput.toFixed(0)} img/s`.padStart(12)} ${`${r.wall.toFixed(0)} s`.padStart(9)} ${`${r.cpu.toFixed(0)} s`.padStart(7)} ${(100 * r.accuracy).toFixed(2).padStart(13)} %`,
    );
  }
  for (const r of [streamed, held]) {
    console.log(`${r.name}: ${r.stages.map(([stage, t]) => `${stage} ${t.toFixed(1)} s`).join(", ")}`);
  }
  const ratio = streamed.throughput / held.throughput;
  const gap = 100 * Math.abs(streamed.accuracy - held.accuracy);
  console.log(`streamed peak < 500 MiB: ${streamed.peak < 500 * 2 ** 20 ? "yes" : "no"} (${mib(streamed.peak)})`);
  console.log(`throughput streamed ÷ in memory: ${ratio.toFixed(2)} (≥ 0.8: ${ratio >= 0.8 ? "yes" : "no"})`);
  console.log(`accuracy gap: ${gap.toFixed(2)} points (≤ 0.3: ${gap <= 0.3 ? "yes" : "no"})`);
} finally {
  if (!opt.keep && opt.dir === undefined) rmSync(dir, { recursive: true, force: true });
}
