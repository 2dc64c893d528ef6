// `npm run bench:first-call`: how long the first product of a fresh process takes, against the
// calls after it, with V8's default tiering and with `--no-liftoff` (which the CLI sets). V8 runs
// a WebAssembly function through its baseline compiler (Liftoff) until it has been called enough,
// and a call that has started in baseline code finishes there. Each case runs in its own process.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const SHAPE = [60000, 200, 784] as const;

if (process.argv[2] === "--child") {
  const { createWasmBackend, enableRelaxedSimd } = await import("../src/index.ts");
  enableRelaxedSimd();
  const backend = await createWasmBackend({ threads: 1, relaxedSimd: true });
  const [m, n, k] = SHAPE;
  const X = backend.zeros(m, k);
  const W = backend.zeros(n, k);
  const H = backend.zeros(m, n);
  X.data.fill(0.5);
  W.data.fill(0.01);
  const times: number[] = [];
  for (let i = 0; i < 4; i++) {
    const start = performance.now();
    backend.gemm(false, true, 1, X, W, 0, H);
    times.push(performance.now() - start);
  }
  await backend.dispose();
  process.stdout.write(JSON.stringify(times));
} else {
  const self = fileURLToPath(import.meta.url);
  console.log(`first and later calls of one ${SHAPE.join(" × ")} product, wasm FMA, 1 thread, fresh process each`);
  for (const flags of [[], ["--no-liftoff"]]) {
    const child = spawnSync(process.execPath, [...flags, "--import", "tsx", self, "--child"], { encoding: "utf8" });
    if (child.status !== 0) throw new Error(`the child process failed: ${child.stderr}`);
    const [first, ...rest] = JSON.parse(child.stdout) as number[];
    const later = rest.map((t) => t.toFixed(0)).join(", ");
    console.log(`${(flags[0] ?? "default tiering").padEnd(16)} first ${first?.toFixed(0)} ms, then ${later} ms`);
  }
}
