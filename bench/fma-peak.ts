// The ceiling that `gemm` in WebAssembly SIMD cannot pass on this machine: fused multiply-adds
// on 128-bit vectors with nothing but registers, 12 independent f32x4.relaxed_madd chains (more
// than the latency × throughput of two FMA pipes), on 1 and on N threads at once. bench.ts
// prints it beside numpy, so that the ratio the kernels reach can be read against the ratio the
// vector width allows. The module is compiled here from the source below (a benchmark's own
// instrument, not one of the library's kernels).
import { Worker } from "node:worker_threads";
import asc from "assemblyscript/asc";

const CHAINS = 12;
const SOURCE = `
export function peak(n: i32): f32 {
  ${Array.from({ length: CHAINS }, (_, i) => `let a${i} = f32x4.splat(${(i + 1) / 10});`).join(" ")}
  const x = f32x4.splat(0.999), y = f32x4.splat(0.0001);
  for (let i = 0; i < n; i++) {
    ${Array.from({ length: CHAINS }, (_, i) => `a${i} = f32x4.relaxed_madd(a${i}, x, y);`).join(" ")}
  }
  let s = a0;
  ${Array.from({ length: CHAINS - 1 }, (_, i) => `s = f32x4.add(s, a${i + 1});`).join(" ")}
  return f32x4.extract_lane(s, 0);
}
`;

/** Floating-point operations of one loop iteration: CHAINS multiply-adds of 4 lanes, 2 each. */
const FLOPS_PER_ITERATION = CHAINS * 4 * 2;

/** Runs in each worker: waits for the start flag, then runs `iterations` and reports its time. */
const WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const { module, flag, iterations, samples } = workerData;
const peak = new WebAssembly.Instance(module, { env: { abort() {} } }).exports.peak;
for (let i = 0; i < 200; i++) peak(10000); // past V8's baseline tier
parentPort.postMessage("ready");
const start = new Int32Array(flag);
for (let s = 1; s <= samples; s++) {
  Atomics.wait(start, 0, s - 1);
  const t = performance.now();
  peak(iterations);
  parentPort.postMessage(performance.now() - t);
}
`;

/** The loop's module, compiled by the first fmaPeak call and shared by the next. */
let compiled: Promise<WebAssembly.Module> | undefined;

async function compile(): Promise<WebAssembly.Module> {
  const { binary, stderr } = await asc.compileString(SOURCE, {
    optimizeLevel: 3,
    runtime: "stub",
    enable: ["simd", "relaxed-simd"],
  });
  if (!binary) throw new Error(`compiling the FMA peak loop failed: ${stderr.toString()}`);
  return new WebAssembly.Module(new Uint8Array(binary));
}

/**
 * GFLOP/s of `threads` threads running the loop at the same time: per sample, the operations of
 * all of them over the time the slowest took; the median of `samples` samples of about 0.1 s.
 * Needs relaxed SIMD (enableRelaxedSimd() on Node 20).
 */
export async function fmaPeak(threads: number, samples = 7, iterations = 50_000_000): Promise<number> {
  compiled ??= compile();
  const module = await compiled;
  const flag = new SharedArrayBuffer(4);
  const workers = Array.from(
    { length: threads },
    () => new Worker(WORKER, { eval: true, workerData: { module, flag, iterations, samples } }),
  );
  try {
    const next = (w: Worker) =>
      new Promise<unknown>((resolve, reject) => {
        w.once("message", resolve);
        w.once("error", reject);
      });
    await Promise.all(workers.map(next));
    const rates: number[] = [];
    const start = new Int32Array(flag);
    for (let s = 1; s <= samples; s++) {
      const done = workers.map(next);
      Atomics.store(start, 0, s);
      Atomics.notify(start, 0);
      const ms = Math.max(...((await Promise.all(done)) as number[]));
      rates.push((threads * iterations * FLOPS_PER_ITERATION) / (ms * 1e6));
    }
    rates.sort((a, b) => a - b);
    return rates[Math.floor(rates.length / 2)] as number;
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
