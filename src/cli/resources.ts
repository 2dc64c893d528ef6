// What `train` checks of this machine before it trains, once its data is loaded: that the run's
// memory (estimateMemory) fits in what the machine or container has free, and that the kernel
// threads asked for are threads that help. It refuses the first with the estimate and what to
// change, and lowers the second with a warning; with --verbose it prints the estimate.
import { StackaeError } from "../errors.ts";
import { type BackendName, nativeAvailable } from "../linalg/index.ts";
import { MAX_PAGES, PAGE } from "../linalg/wasm/memory.ts";
import { type MemoryAvailable, memoryAvailable } from "../platform/memory-limit.ts";
import { getPlatform } from "../platform/platform.ts";
import { type BackendShape, type DataShape, estimateMemory, type MemoryEstimate } from "../train/memory.ts";
import type { StageSettings, TrainSettings } from "../train/settings.ts";

/** The run would need more memory than there is: the CLI's refusal, before any training. */
export class MemoryLimitError extends StackaeError {
  readonly estimate: MemoryEstimate;
  constructor(message: string, estimate: MemoryEstimate) {
    super("ERR_OUT_OF_MEMORY", message);
    this.estimate = estimate;
  }
}

/** Fewest multiply-adds per thread for which a product is split (wasm/gemm.ts's `ways`). */
const WORK_PER_THREAD = 1 << 22;

/**
 * Checks a run before it starts: its threads (lowered to the cores present, or the CPU quota,
 * and to what the largest product can use, with a warning) and its memory (refused past what is
 * available, with MemoryLimitError). `notify` receives the lines to print: warnings, and with
 * `verbose` the estimate (before a refusal). `rss` is the process's resident memory now, data
 * loaded. Returns the kernel threads to use (undefined: the backend's default).
 */
export async function planResources(
  settings: TrainSettings,
  data: DataShape,
  run: { backend: BackendName; threads: number | undefined; checkpoints: boolean; verbose: boolean },
  notify: (line: string) => void,
  machine: { memory?: MemoryAvailable; rss?: number } = {},
): Promise<number | undefined> {
  const name = run.backend === "auto" ? ((await nativeAvailable()) ? "native" : "wasm") : run.backend;
  const cores = (await getPlatform()).defaultThreads();
  let threads = run.threads;
  if (threads !== undefined && name !== "js") {
    const batch = (stage: StageSettings, rows: number) =>
      stage.optimizer === "lbfgs" ? rows : Math.min(stage.batchSize, rows);
    const rows = data.unlabeled ? data.unlabeled : data.examples;
    // The largest product: the first autoencoder's, or fine-tuning's first layer.
    const work =
      data.inputSize *
      (settings.layers[0] as number) *
      Math.max(batch(settings.autoencoder, rows), batch(settings.fineTune, data.examples));
    const useful = Math.max(1, Math.min(cores, Math.floor(work / WORK_PER_THREAD)));
    if (threads > useful) {
      const why =
        useful === cores
          ? `this machine ${cores === 1 ? "has 1 core" : `has ${cores} cores`} (or its CPU quota allows no more)`
          : `the largest product of this run (${mega(work)} multiply-adds) keeps no more than ${useful} busy`;
      notify(`warning: --threads ${threads}: ${why}; using ${useful} (more threads would only add memory and time)`);
      threads = useful;
    }
  }
  const backend: BackendShape = { name, threads: threads ?? (name === "js" ? 1 : cores) };
  const estimate = (s: TrainSettings, d: DataShape) => estimateMemory(s, d, backend, { checkpoints: run.checkpoints });
  const memory = machine.memory ?? memoryAvailable();
  const rss = machine.rss ?? process.memoryUsage().rss;
  const mine = estimate(settings, data);
  if (run.verbose) for (const line of describeEstimate(mine, memory, rss)) notify(line);
  checkFits(mine, memory, name, waysOut(settings, data, memory.available, estimate));
  return threads;
}

/** What would fit instead, in words: adam's estimate, and the most examples that fit. */
function waysOut(
  settings: TrainSettings,
  data: DataShape,
  available: number,
  estimate: (s: TrainSettings, d: DataShape) => MemoryEstimate,
): string {
  const ways = ["fewer hidden units (--layers)"];
  const stages = [settings.autoencoder, settings.softmax, settings.fineTune];
  if (stages.some((s) => s.optimizer === "lbfgs")) {
    const adam = (s: StageSettings) => ({ ...s, optimizer: "adam" as const });
    const minibatch = {
      ...settings,
      autoencoder: { ...adam(settings.autoencoder), beta: settings.autoencoder.beta, rho: settings.autoencoder.rho },
      softmax: adam(settings.softmax),
      fineTune: adam(settings.fineTune),
    };
    ways.push(
      `adam instead of L-BFGS, which keeps no history (--optimizer adam: about ${gib(estimate(minibatch, data).peak)})`,
    );
  }
  // The most examples that fit, by bisection: the estimate grows with them.
  let [lo, hi] = [0, data.examples];
  const fits = (m: number) =>
    estimate(settings, { ...data, examples: m, unlabeled: 0, validation: 0 }).peak <= available;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  ways.push(
    lo > 0
      ? `fewer examples (--train-limit ${lo.toLocaleString("en").replace(/,/g, "")} fits)`
      : "fewer examples (--train-limit N)",
  );
  return ways.join(", ");
}

/** Refuses a run whose estimate does not fit: in free memory, or in the WebAssembly memory's 4 GiB. */
function checkFits(estimate: MemoryEstimate, memory: MemoryAvailable, backend: string, ways: string): void {
  const top = estimate.stages.find((s) => s.name === estimate.stage);
  const part = Object.entries(estimate.parts).reduce((a, b) => (b[1] > a[1] ? b : a))[0];
  const heaviest =
    part === "optimizer"
      ? top?.optimizer === "lbfgs"
        ? "L-BFGS's history of 100 steps"
        : "the optimiser's moments"
      : `the ${part}`;
  if (estimate.peak > memory.available) {
    const where =
      memory.limit !== null && memory.limit - (memory.used ?? 0) < memory.free
        ? `this container's memory limit of ${gib(memory.limit)} leaves ${gib(memory.available)}`
        : `this machine has ${gib(memory.available)} free (of ${gib(memory.total)})`;
    throw new MemoryLimitError(
      `this run would need about ${gib(estimate.peak)} of memory at its peak (${estimate.stage}, most of it ${heaviest}), and ${where}: use ${ways}; --verbose prints the estimate`,
      estimate,
    );
  }
  const wasmLimit = MAX_PAGES * PAGE;
  if (backend === "wasm" && estimate.wasmMemory > wasmLimit) {
    throw new MemoryLimitError(
      `this run's matrices would need about ${gib(estimate.wasmMemory)} of WebAssembly memory, which holds at most 4 GiB: use --backend native (no such limit), or ${ways}`,
      estimate,
    );
  }
}

/** The estimate in lines, as --verbose prints it. */
export function describeEstimate(estimate: MemoryEstimate, memory: MemoryAvailable, rss: number): string[] {
  const lines = [
    `memory: about ${gib(estimate.peak)} more at the peak (${estimate.stage}), ${gib(rss + estimate.peak)} in all with the ${gib(rss)} held now; ${gib(memory.available)} available${memory.limit === null ? "" : ` (container limit ${gib(memory.limit)})`}`,
  ];
  for (const s of estimate.stages) {
    const p = s.parts;
    lines.push(
      `  ${s.name.padEnd(14)} ${gib(s.bytes).padStart(10)}: data ${gib(p.data)}, parameters ${gib(p.parameters)} (${s.parameters.toLocaleString("en")}), ${s.optimizer} ${gib(p.optimizer)}, activations ${gib(p.activations)}, threads ${gib(p.threads)}, runtime ${gib(p.runtime)}`,
    );
  }
  return lines;
}

function gib(bytes: number): string {
  return bytes >= 2 ** 30
    ? `${(bytes / 2 ** 30).toFixed(bytes < 10 * 2 ** 30 ? 2 : 1)} GiB`
    : `${Math.ceil(bytes / 2 ** 20).toLocaleString("en")} MiB`;
}

function mega(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)} G` : `${(n / 1e6).toFixed(1)} M`;
}
