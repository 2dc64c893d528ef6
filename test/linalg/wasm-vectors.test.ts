// The wasm backend's vector operations for optimisers (src/linalg/wasm/vectors.ts): L-BFGS keeps
// its history in the WebAssembly memory (vectors.zeros) so that the two-loop recursion runs as
// SIMD kernels, not JavaScript; where that memory is full, vectors go to JavaScript's.
// test/linalg/vectors.test.ts holds every backend's kernels to the optimisers' own loops.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { ArgumentError } from "../../src/errors.ts";
import type { FloatArray } from "../../src/linalg/matrix.ts";
import type { VectorOps } from "../../src/linalg/vectors.ts";
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";
import { lbfgs } from "../../src/optim/lbfgs.ts";
import { adam } from "../../src/optim/minibatch.ts";
import type { LbfgsState, MinibatchState } from "../../src/optim/types.ts";
import { logistic } from "../optim/problems.ts";

const threaded = await createWasmBackend({ threads: 2 });
const single = await createWasmBackend({ threads: 1 });
after(async () => {
  await threaded.dispose();
  await single.dispose();
});
const vectors = threaded.vectors;

function random(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  });
}

function referenceDot(x: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) * (y[i] as number);
  return s;
}

describe("wasm backend vectors", () => {
  it("are offered over a shared memory (threads) and not over a private one, whose views growth detaches", () => {
    assert.ok(vectors?.zeros && vectors.release);
    assert.equal(single.vectors, undefined);
  });

  it("zeros, dot, axpy and release: in the memory, against JavaScript, and mixed with plain arrays", () => {
    if (!vectors?.zeros || !vectors.release) return assert.fail("no vectors");
    const before = threaded.bytesInUse;
    const n = 1001;
    const x = vectors.zeros(n);
    const y = vectors.zeros(n);
    assert.ok(x.buffer instanceof SharedArrayBuffer && x.every((v) => v === 0));
    assert.ok(threaded.bytesInUse >= before + 2 * n * 4);
    const xs = random(n, 1);
    const ys = random(n, 2);
    x.set(xs);
    y.set(ys);
    const expected = referenceDot(xs, ys);
    assert.ok(Math.abs(vectors.dot(x, y) - expected) <= 1e-5 * Math.abs(expected) + 1e-6);
    assert.ok(Math.abs(vectors.dot(xs, y) - expected) <= 1e-5 * Math.abs(expected) + 1e-6, "plain x");
    vectors.axpy(-0.75, x, y);
    const plain = Float32Array.from(ys);
    vectors.axpy(-0.75, xs, plain);
    for (let i = 0; i < n; i++) assert.ok(Math.abs((y[i] as number) - (plain[i] as number)) <= 1e-6, `y[${i}]`);
    vectors.release(x);
    vectors.release(y);
    assert.equal(threaded.bytesInUse, before);
    assert.throws(() => vectors.release?.(new Float32Array(4)), ArgumentError);
  });

  it("keep their values and their kernels when the memory grows under them", () => {
    if (!vectors?.zeros || !vectors.release) return assert.fail("no vectors");
    const x = vectors.zeros(4096);
    const values = random(4096, 3);
    x.set(values);
    const grown = threaded.zeros(8192, 4096); // 128 MiB: more than the memory has
    const y = vectors.zeros(4096); // a view of the grown memory's buffer
    assert.notEqual(y.buffer, x.buffer, "the memory grew: its buffer is a new SharedArrayBuffer");
    y.set(values);
    assert.deepEqual(Array.from(x), Array.from(values));
    const expected = referenceDot(values, values);
    assert.ok(Math.abs(vectors.dot(x, y) - expected) <= 1e-5 * expected);
    vectors.release(x);
    vectors.release(y);
    threaded.free(grown);
  });
});

describe("L-BFGS with the wasm backend's vectors", () => {
  const p = logistic(40, 400, 1e-3, 7);

  it("follows the JavaScript run to float32 rounding, with its history in the memory, and gives every vector back", () => {
    const before = threaded.bytesInUse;
    let peak = 0;
    const plain = lbfgs(p.full, new Float32Array(40), { maxIter: 30, corrections: 8 });
    const wasm = lbfgs(p.full, new Float32Array(40), {
      maxIter: 30,
      corrections: 8,
      vectors,
      onProgress: (q) => {
        const state = q.state() as LbfgsState;
        assert.ok(state.S.every((s) => s.buffer instanceof SharedArrayBuffer));
        peak = Math.max(peak, threaded.bytesInUse);
      },
    });
    assert.equal(wasm.iterations, plain.iterations);
    assert.ok(Math.abs(wasm.cost - plain.cost) <= 1e-5 * Math.abs(plain.cost), `${wasm.cost} vs ${plain.cost}`);
    assert.ok(!(wasm.x.buffer instanceof SharedArrayBuffer), "the result is the caller's own array");
    assert.ok(peak >= before + 2 * 8 * 40 * 4, `history in the memory: ${peak - before} bytes`);
    assert.equal(threaded.bytesInUse, before);
  });

  it("gives every vector back when it stops early or the cost throws", () => {
    const before = threaded.bytesInUse;
    let calls = 0;
    const nanLater = (x: Float32Array, g: Float32Array) => (++calls > 6 ? Number.NaN : p.full(x, g));
    const r = lbfgs(nanLater as never, new Float32Array(40), { maxIter: 30, vectors });
    assert.equal(r.status, "nonFinite");
    assert.equal(threaded.bytesInUse, before);
    const boom = (x: Float32Array, g: Float32Array) => {
      if (++calls > 10) throw new Error("boom");
      return p.full(x, g);
    };
    assert.throws(() => lbfgs(boom as never, new Float32Array(40), { maxIter: 30, vectors }), /boom/);
    assert.equal(threaded.bytesInUse, before);
  });

  it("resumes from a copied state exactly as the uninterrupted run", () => {
    const whole = lbfgs(p.full, new Float32Array(40), { maxIter: 20, corrections: 5, vectors });
    let saved: LbfgsState | undefined;
    lbfgs(p.full, new Float32Array(40), {
      maxIter: 20,
      corrections: 5,
      vectors,
      onProgress: (q) => {
        if (q.iteration !== 9) return true;
        // The state's arrays are the optimiser's, in the memory: copy them (structuredClone would
        // share a SharedArrayBuffer rather than copy it).
        const s = q.state() as LbfgsState;
        saved = { ...s, x: s.x.slice(), g: s.g.slice(), S: s.S.map((v) => v.slice()), Y: s.Y.map((v) => v.slice()) };
        saved.rho = s.rho.slice();
        return false;
      },
    });
    const resumed = lbfgs(p.full, new Float32Array(40), { maxIter: 20, corrections: 5, vectors, resume: saved });
    assert.equal(resumed.iterations, whole.iterations);
    assert.deepEqual(Array.from(resumed.x), Array.from(whole.x));
  });
});

/** ½ xᵀ·A·x for a diagonal A in [1, 100.6] over 2^20 values, and a starting point. */
function bigQuadratic() {
  const n = 2 ** 20;
  const a = Float32Array.from({ length: n }, (_, i) => 1 + (i % 997) / 10);
  const quadratic = (x: FloatArray, g: FloatArray) => {
    let f = 0;
    for (let i = 0; i < n; i++) {
      const ax = (a[i] as number) * (x[i] as number);
      f += 0.5 * (x[i] as number) * ax;
      g[i] = ax;
    }
    return f;
  };
  return { n, quadratic, x0: Float32Array.from({ length: n }, (_, i) => Math.sin(i)) };
}
describe("wasm vectors where the WebAssembly memory is full (maxMemory)", () => {
  const MiB = 2 ** 20;

  it("sends L-BFGS's history to JavaScript's memory when the WebAssembly memory is full, with the same run", async () => {
    // 160 MiB leaves 32 MiB for vectors below the 128 MiB kept for evaluations: about seven
    // vectors of 2^20 values; the history of 6 pairs and L-BFGS's own vectors need 17.
    const full = await createWasmBackend({ threads: 2, maxMemory: 160 * MiB });
    try {
      const { n, quadratic, x0 } = bigQuadratic();
      const before = full.bytesInUse;
      const kinds = new Set<string>();
      const plain = lbfgs(quadratic, x0, { maxIter: 12, corrections: 6 });
      const r = lbfgs(quadratic, x0, {
        maxIter: 12,
        corrections: 6,
        vectors: full.vectors,
        onProgress: (q) => {
          for (const s of (q.state() as LbfgsState).S) kinds.add(s.buffer instanceof SharedArrayBuffer ? "wasm" : "js");
        },
      });
      assert.deepEqual([...kinds].sort(), ["js", "wasm"], "the history is in both memories");
      assert.equal(r.iterations, plain.iterations);
      assert.ok(Math.abs(r.cost - plain.cost) <= 1e-5 * Math.abs(plain.cost), `${r.cost} vs ${plain.cost}`);
      assert.equal(full.bytesInUse, before, "every vector in the memory given back");
      const vectors = full.vectors as Required<VectorOps>;
      const made = [vectors.zeros(n)];
      while ((made.at(-1) as Float32Array).buffer instanceof SharedArrayBuffer) made.push(vectors.zeros(n));
      assert.ok(made.length >= 2 && made.length <= 9, `${made.length - 1} vectors in the memory`);
      const outside = made.at(-1) as Float32Array;
      for (const v of made) vectors.release(v);
      assert.throws(() => vectors.release(outside), ArgumentError, "released twice");
      assert.equal(full.bytesInUse, before);
    } finally {
      await full.dispose();
    }
  });

  it("runs adam in JavaScript's memory where the WebAssembly memory is full, with the same run", async () => {
    const full = await createWasmBackend({ threads: 2, maxMemory: 160 * MiB });
    try {
      const vectors = full.vectors as Required<VectorOps>;
      const before = full.bytesInUse;
      // Fill the vectors' share of the memory, then free one float32 vector's room: x fits there,
      // the gradient and the float64 moments do not.
      const n = 2 ** 20;
      const fillers = [vectors.zeros(n)];
      while ((fillers.at(-1) as Float32Array).buffer instanceof SharedArrayBuffer) fillers.push(vectors.zeros(n));
      vectors.release(fillers.shift() as Float32Array);
      const { quadratic, x0 } = bigQuadratic();
      const cost = { examples: 4, cost: quadratic };
      const options = { epochs: 3, batchSize: 2, learningRate: 1e-3 };
      const plain = adam(cost, x0, options);
      const places = new Set<string>();
      const r = adam(cost, x0, {
        ...options,
        vectors,
        onProgress: (q) => {
          const state = q.state() as MinibatchState;
          for (const v of [state.x, ...state.moments])
            places.add(v.buffer instanceof SharedArrayBuffer ? "wasm" : "js");
        },
      });
      assert.deepEqual([...places].sort(), ["js", "wasm"], "x in the WebAssembly memory, the moments outside it");
      assert.deepEqual(r.x, plain.x);
      for (const v of fillers) vectors.release(v);
      assert.equal(full.bytesInUse, before, "every vector given back");
    } finally {
      await full.dispose();
    }
  });
});

// The barrier between the threads' parts of each dot product spins, then sleeps until the last
// thread arrives and wakes it: threads without a core of their own must get to run.
it("wasm twoLoop on more threads than cores: every call right, none hangs", () => {
  const script = fileURLToPath(new URL("./two-loop-stress.ts", import.meta.url));
  const run = spawnSync(process.execPath, ["--import", "tsx", script, "20"], { encoding: "utf8", timeout: 120_000 });
  assert.equal(run.signal, null, `killed by ${run.signal} after 120 s: a thread slept through its wake-up`);
  assert.equal(run.status, 0, run.stderr);
  const m = /^ok (\d+) threads 20 calls (\S+)$/m.exec(run.stdout);
  assert.ok(m, run.stdout);
  assert.ok(Number(m[2]) <= 1e-5, `max error ${m[2]} of max |d| on ${m[1]} threads`);
});
