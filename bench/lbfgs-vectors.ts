// `npm run bench:lbfgs [-- --pairs N] [--threads T]`: L-BFGS's own time per iteration (everything
// but the cost function) with N correction pairs (default 100) of 314,584 values (the first
// autoencoder's size), for its vector work in plain JavaScript and in each backend's `vectors` on
// T threads (default 2; more than the cores present shows what waiting threads cost). The cost is a
// separable quadratic, timed and subtracted; 150 iterations, so the last 50 run with a full
// history of 100. With 100 pairs the two-loop recursion reads 500 MB per iteration.
import { parseArgs } from "node:util";
import { createWasmBackend, lbfgs, type VectorOps } from "../src/index.ts";
import { createNativeBackend, nativeAvailable } from "../src/linalg/native-backend.ts";
import { timedQuadratic, x0 } from "./quadratic.ts";

const { values } = parseArgs({
  options: { pairs: { type: "string", default: "100" }, threads: { type: "string", default: "2" } },
});
const pairs = Number(values.pairs);
if (!Number.isInteger(pairs) || pairs < 1) throw new Error(`--pairs: a positive integer, not ${values.pairs}`);
const threads = Number(values.threads);
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: a positive integer, not ${values.threads}`);
const wasm = await createWasmBackend({ threads });
const cases: [string, VectorOps | undefined][] = [
  ["plain JavaScript", undefined],
  [`wasm, ${threads} threads (history in its memory)`, wasm.vectors],
];
const native = (await nativeAvailable()) ? await createNativeBackend({ threads }) : null;
if (native) cases.push([`native, ${threads} threads`, native.vectors]);

console.log(`L-BFGS time per iteration outside the cost, ${pairs} pairs of 314,584 values, 150 iterations`);
for (const [label, vectors] of cases) {
  const { cost, ms: costMs } = timedQuadratic();
  const start = performance.now();
  const r = lbfgs(cost, x0, {
    maxIter: 150,
    corrections: pairs,
    optTol: 0,
    progTol: 0,
    ...(vectors ? { vectors } : {}),
  });
  const ms = (performance.now() - start - costMs()) / r.iterations;
  console.log(`${label.padEnd(42)} ${ms.toFixed(1).padStart(7)} ms   (${r.iterations} iterations, ${r.status})`);
}
await wasm.dispose();
