// `npm run bench:steps [-- --threads T]`: a minibatch step's work outside the cost's products:
// adam's and sgd's own time per step (everything but the
// cost function) over 314,584 parameters (the first autoencoder's size): their update loops in
// plain JavaScript, and in each backend's `vectors` (`adamStep`, `sgdStep`, `sumAbs`) on T threads,
// default 2: wasm's, with x, the gradient and the moments in its memory, and native's where it is
// built. The cost is a separable quadratic (quadratic.ts) on 2,350 examples in batches of 10 (235
// steps an epoch), timed and subtracted; 4 epochs, the fastest of 3 runs. Then each backend's
// gather of a batch's rows (backend.gatherRows).
import { parseArgs } from "node:util";
import { adam, type Backend, Rng, sgd, type VectorOps } from "../src/index.ts";
import { createNativeBackend, nativeAvailable } from "../src/linalg/native-backend.ts";
import { createWasmBackend } from "../src/linalg/wasm/index.ts";
import { timedQuadratic, x0 } from "./quadratic.ts";

const { values } = parseArgs({ options: { threads: { type: "string", default: "2" } } });
const threads = Number(values.threads);
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads: a positive integer, not ${values.threads}`);
const cases: [string, VectorOps | undefined][] = [["plain JavaScript", undefined]];
// One thread has no shared memory, and so no `vectors`: the JavaScript loop is its case.
const wasm = threads > 1 ? await createWasmBackend({ threads }) : null;
if (wasm?.vectors) cases.push([`wasm, ${threads} threads`, wasm.vectors]);
const native = (await nativeAvailable()) ? await createNativeBackend({ threads }) : null;
if (native) cases.push([`native, ${threads} threads`, native.vectors]);

console.log("minibatch optimiser time per step outside the cost, 314,584 parameters, 940 steps (fastest of 3)");
for (const [name, run] of [
  ["adam", adam],
  ["sgd", sgd],
] as const) {
  for (const [label, vectors] of cases) {
    let best = Number.POSITIVE_INFINITY;
    let steps = 0;
    for (let round = 0; round < 3; round++) {
      const quadratic = timedQuadratic();
      const cost = { examples: 2350, cost: quadratic.cost };
      const start = performance.now();
      const r = run(cost, x0, { epochs: 4, batchSize: 10, learningRate: 1e-4, ...(vectors ? { vectors } : {}) });
      best = Math.min(best, (performance.now() - start - quadratic.ms()) / r.iterations);
      steps = r.iterations;
    }
    console.log(`${`${name}, ${label}`.padEnd(32)} ${best.toFixed(3).padStart(7)} ms   (${steps} steps)`);
  }
}
// A step's gather: 256 rows in the shuffled order of a 60,000-row training set, through
// backend.gatherRows (wasm: the kernel's memory.copy; native: memcpy).
const gathers: [string, Backend<Float32Array>][] = [];
const wasm1 = await createWasmBackend({ threads: 1 });
gathers.push(["wasm, 1 thread", wasm1]);
if (wasm) gathers.push([`wasm, ${threads} threads`, wasm]);
if (native) gathers.push(["native, 1 thread", native]);
console.log("\na batch's gather, 256 rows of a 60,000-row matrix in shuffled order, µs (fastest of 5 × 500)");
for (const cols of [784, 200]) {
  for (const [label, backend] of gathers) {
    const X = backend.zeros(60000, cols);
    X.data.fill(1);
    const out = backend.zeros(256, cols);
    const order = Int32Array.from({ length: 60000 }, (_, i) => i);
    new Rng(2).shuffle(order);
    let at = 0;
    const next = () => {
      at = (at + 256) % (234 * 256); // whole batches of 256 only
      return order.subarray(at, at + 256);
    };
    for (let i = 0; i < 300; i++) backend.gatherRows(X, next(), out);
    let best = Number.POSITIVE_INFINITY;
    for (let round = 0; round < 5; round++) {
      const start = performance.now();
      for (let i = 0; i < 500; i++) backend.gatherRows(X, next(), out);
      best = Math.min(best, ((performance.now() - start) / 500) * 1000);
    }
    console.log(`${`${cols} columns, ${label}`.padEnd(32)} ${best.toFixed(1).padStart(7)} µs`);
    backend.free(out);
    backend.free(X);
  }
}
await wasm?.dispose();
await wasm1.dispose();
