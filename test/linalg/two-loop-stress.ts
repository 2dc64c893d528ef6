// Run by wasm-vectors.test.ts as a child process: L-BFGS's two-loop recursion on more wasm threads
// than this machine has cores, so that threads wait at its barriers without a core to spin on and
// go to sleep (memory.atomic.wait32) until the last one arrives. A lost wake-up hangs it; the
// parent's timeout turns that into a failure. Prints the largest error against the float64
// recursion, relative to the largest |d|, over every call.
import { availableParallelism } from "node:os";
import type { VectorOps } from "../../src/linalg/vectors.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import { history, maxDiff, recursion64 } from "./two-loop-fixtures.ts";

const threads = availableParallelism() + 1;
const backend = await createWasmBackend({ threads, relaxedSimd: false });
const vec = backend.vectors as VectorOps;
const twoLoop = vec.twoLoop as NonNullable<VectorOps["twoLoop"]>;
const calls = Number(process.argv[2] ?? 20);
const { S, Y, rho, g, d, release } = history(vec, 200_003, 30, 11);
const expected = recursion64(g, S, Y, rho, 0.5);
let worst = 0;
for (let i = 0; i < calls; i++) {
  d.fill(0);
  if (!twoLoop(g, S, Y, rho, 0.5, d)) throw new Error("twoLoop declined its arrays");
  const { error, size } = maxDiff(d, expected);
  worst = Math.max(worst, error / size);
}
release();
await backend.dispose();
console.log(`ok ${threads} threads ${calls} calls ${worst}`);
