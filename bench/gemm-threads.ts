// npm run bench:gemm-threads — the wasm gemm on every thread (FMA) against the 128-bit FMA
// ceiling measured in the same run, on the reference experiment's shapes, with the CPU time the
// process spent. With `-- --against DIR` (another checkout of stackae, built: say main's), the
// same products of that checkout's kernels are timed too, sample by sample in turn with ours, so
// that a machine whose load changes treats both alike; it prints each one's median and the ratio.
// Flags: --rounds N (samples per shape, default 9), --threads T (default: one per core), --json,
// --minibatch (the three products of a 256-row batch only), --decoder (the three products of one
// of the decoder's 1,024-row blocks in an evaluation of autoencoder 1 only), --unshared (each
// product also run unshared, one whole copy per thread at once, sampled in turn with the others:
// bench/unshared-gemm.ts; shared ÷ unshared is what the shared gemm loses to its sharing).
// A benchmark, not a test: it asserts nothing.
import { cpus, loadavg } from "node:os";
import { resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { Backend } from "../src/linalg/backend.ts";
import { Rng } from "../src/linalg/rng.ts";
import { createWasmBackend } from "../src/linalg/wasm/index.ts";
import { enableRelaxedSimd } from "../src/platform/relaxed-simd.ts";
import { fmaPeak } from "./fma-peak.ts";
import { startUnshared } from "./unshared-gemm.ts";

enableRelaxedSimd();
const { values } = parseArgs({
  options: {
    against: { type: "string" },
    rounds: { type: "string", default: "9" },
    threads: { type: "string", default: String(cpus().length) },
    json: { type: "boolean", default: false },
    minibatch: { type: "boolean", default: false },
    decoder: { type: "boolean", default: false },
    unshared: { type: "boolean", default: false },
  },
});
const rounds = Number(values.rounds);
const threads = Number(values.threads);

const SHAPES = [
  { M: 60000, N: 200, K: 784, transA: false, transB: true, what: "X·W1ᵀ (encode)" },
  { M: 200, N: 784, K: 60000, transA: true, transB: false, what: "Δ2ᵀ·X (∇W1)" },
  { M: 60000, N: 784, K: 200, transA: false, transB: true, what: "A2·W2ᵀ (decode)" },
  { M: 256, N: 200, K: 784, transA: false, transB: true, what: "minibatch X·W1ᵀ" },
  { M: 256, N: 784, K: 200, transA: false, transB: true, what: "minibatch A2·W2ᵀ" },
  { M: 200, N: 784, K: 256, transA: true, transB: false, what: "minibatch Δ2ᵀ·X" },
];
/** One block of the decoder (src/nn/sparse-autoencoder.ts, DECODER_ROWS): its reconstruction, ∇W2 and delta back. */
const DECODER = [
  { M: 1024, N: 784, K: 200, transA: false, transB: true, what: "decoder block A2·W2ᵀ" },
  { M: 784, N: 200, K: 1024, transA: true, transB: false, what: "decoder block Δ3ᵀ·A2 (∇W2)" },
  { M: 1024, N: 200, K: 784, transA: false, transB: false, what: "decoder block Δ3·W2" },
];
/** The checkout's root (with a trailing slash), whose built wasm/ the unshared products load. */
const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** A sample lasts at least this long: the minibatch product takes under a millisecond, and the
 * unshared copies' first call after they wake must not weigh on the sample. */
const SAMPLE_MS = 100;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** One shape's operands on one backend, and a timed sample of its product (GFLOP/s, CPU ms). */
function prepare(backend: Backend, s: (typeof SHAPES)[number]) {
  const rng = new Rng(1);
  const A = backend.zeros(s.transA ? s.K : s.M, s.transA ? s.M : s.K);
  const B = backend.zeros(s.transB ? s.N : s.K, s.transB ? s.K : s.N);
  const C = backend.zeros(s.M, s.N);
  for (const m of [A, B]) for (let i = 0; i < m.size; i++) m.data[i] = rng.uniform() - 0.5;
  const call = () => backend.gemm(s.transA, s.transB, 1, A, B, 0, C);
  call();
  const t0 = performance.now();
  call();
  const calls = Math.max(1, Math.ceil(SAMPLE_MS / (performance.now() - t0)));
  return {
    sample(): { gflops: number; cpuMsPerCall: number } {
      const cpu = process.cpuUsage();
      const t = performance.now();
      for (let c = 0; c < calls; c++) call();
      const ms = (performance.now() - t) / calls;
      const used = process.cpuUsage(cpu);
      return { gflops: (2 * s.M * s.N * s.K) / (ms * 1e6), cpuMsPerCall: (used.user + used.system) / 1000 / calls };
    },
    free: () => {
      for (const m of [C, B, A]) backend.free(m);
    },
  };
}

/**
 * One shape's samples, each build's and (with --unshared) the unshared copies', in turn; the order
 * reversed every other round, so that no one always runs after the same other.
 */
async function measure(s: (typeof SHAPES)[number], builds: { label: string; backend: Backend }[]) {
  const runs = builds.map((b) => ({ ...b, bench: prepare(b.backend, s), gflops: [] as number[], cpu: [] as number[] }));
  const unshared = values.unshared ? await startUnshared(ROOT, threads, s, SAMPLE_MS) : null;
  const unsharedRates: number[] = [];
  try {
    for (let r = 0; r < rounds; r++) {
      if (unshared && r % 2) unsharedRates.push(await unshared.sample());
      for (const run of r % 2 ? [...runs].reverse() : runs) {
        const { gflops, cpuMsPerCall } = run.bench.sample();
        run.gflops.push(gflops);
        run.cpu.push(cpuMsPerCall);
      }
      if (unshared && r % 2 === 0) unsharedRates.push(await unshared.sample());
    }
  } finally {
    await unshared?.close();
    for (const run of runs) run.bench.free();
  }
  return {
    unshared: unshared
      ? { gflops: median(unsharedRates), min: Math.min(...unsharedRates), max: Math.max(...unsharedRates) }
      : null,
    shape: `${s.M}×${s.N}×${s.K}`,
    what: s.what,
    builds: runs.map((run) => ({
      label: run.label,
      gflops: median(run.gflops),
      min: Math.min(...run.gflops),
      max: Math.max(...run.gflops),
      cpuMsPerCall: median(run.cpu),
    })),
  };
}

async function main(): Promise<void> {
  const ours = await createWasmBackend({ threads, relaxedSimd: true });
  const builds: { label: string; backend: Backend }[] = [{ label: "this checkout", backend: ours }];
  if (values.against) {
    const entry = pathToFileURL(resolve(values.against, "src/linalg/wasm/index.ts")).href;
    const other = (await import(entry)) as { createWasmBackend: typeof createWasmBackend };
    builds.push({ label: values.against, backend: await other.createWasmBackend({ threads, relaxedSimd: true }) });
  }
  const load = () => loadavg()[0]?.toFixed(2);
  const report: Record<string, unknown> = { date: new Date().toISOString(), threads, loadBefore: load() };
  const ceilingBefore = await fmaPeak(threads);
  const rows = [];
  const shapes = values.decoder
    ? DECODER
    : values.minibatch
      ? SHAPES.filter((s) => s.what.startsWith("minibatch"))
      : SHAPES;
  for (const s of shapes) rows.push(await measure(s, builds));
  const ceilingAfter = await fmaPeak(threads);
  const ceiling = (ceilingBefore + ceilingAfter) / 2;
  Object.assign(report, { ceilingBefore, ceilingAfter, loadAfter: load(), gemm: rows });
  for (const row of rows) {
    for (const b of row.builds) Object.assign(b, { ratioToCeiling: b.gflops / ceiling });
    if (row.unshared) Object.assign(row.unshared, { ratioToCeiling: row.unshared.gflops / ceiling });
  }
  for (const b of builds) await (b.backend as { dispose?: () => Promise<void> }).dispose?.();
  if (values.json) {
    console.log(JSON.stringify(report, null, 2));
    return;
  }
  console.log(
    `gemm on ${threads} threads (wasm FMA), ${rounds} samples a shape, ${cpus()[0]?.model ?? "CPU"}; load ${report.loadBefore} → ${report.loadAfter}`,
  );
  console.log(
    `128-bit FMA ceiling on ${threads} threads: ${ceilingBefore.toFixed(1)} before, ${ceilingAfter.toFixed(1)} after GFLOP/s`,
  );
  for (const row of rows) {
    const cells = row.builds.map(
      (b) =>
        `${b.label}: ${b.gflops.toFixed(1)} GFLOP/s (${b.min.toFixed(0)}–${b.max.toFixed(0)}), ` +
        `${((b as { ratioToCeiling?: number }).ratioToCeiling ?? 0).toFixed(2)}× ceiling, CPU ${b.cpuMsPerCall.toFixed(2)} ms/call`,
    );
    const ratio =
      row.builds.length > 1
        ? `  ours/other ${((row.builds[0]?.gflops ?? 0) / (row.builds[1]?.gflops ?? 1)).toFixed(2)}×`
        : "";
    const u = row.unshared;
    if (u) {
      cells.push(
        `unshared, a whole copy per thread: ${u.gflops.toFixed(1)} GFLOP/s (${u.min.toFixed(0)}–${u.max.toFixed(0)}), ` +
          `${(u.gflops / ceiling).toFixed(2)}× ceiling; this checkout's shared ÷ unshared ${((row.builds[0]?.gflops ?? 0) / u.gflops).toFixed(2)}×`,
      );
    }
    console.log(`${row.shape} ${row.what}${ratio}\n  ${cells.join("\n  ")}`);
  }
}

await main();
