// The native backend's selection and its absence; its kernels are checked with every other
// backend's in backend.test.ts (through helpers.allBackends) when it is built.
import assert from "node:assert/strict";
import { after, it } from "node:test";
import { createBackend } from "../../src/linalg/index.ts";
import { createNativeBackend, NativeMissingError, nativeAvailable } from "../../src/linalg/native-backend.ts";
import { lbfgs } from "../../src/optim/lbfgs.ts";
import { nodePlatform } from "../../src/platform/node.ts";
import { setPlatform } from "../../src/platform/platform.ts";

after(() => setPlatform(nodePlatform));

it("auto picks native where it is built, wasm elsewhere; float64 asks for js", async () => {
  const present = await nativeAvailable();
  const auto = await createBackend();
  assert.equal(auto.name, present ? "native" : "wasm");
  await auto.dispose();
  await assert.rejects(createBackend("native", { dtype: "float64" }), /native backend computes in float32/);
});

it("without the addon, native is a typed error that says what to install, and auto falls back to wasm", async () => {
  setPlatform({ ...nodePlatform, loadNative: async () => null });
  await assert.rejects(createNativeBackend(), (e: unknown) => {
    assert.ok(e instanceof NativeMissingError);
    assert.match((e as Error).message, /apt-get install libopenblas-dev.*--backend wasm/);
    return true;
  });
  const auto = await createBackend();
  assert.equal(auto.name, "wasm");
  await auto.dispose();
  setPlatform(nodePlatform);
});

it("L-BFGS with the native backend's dot and axpy (no twoLoop) follows the JavaScript run to float32 rounding", async (t) => {
  if (!(await nativeAvailable())) return t.skip("the native backend is not built here");
  const backend = await createNativeBackend();
  const { logistic } = await import("../optim/problems.ts");
  const p = logistic(30, 300, 1e-3, 5);
  let calls = 0;
  const counted = {
    dot: (x: Float32Array, y: Float32Array) => {
      calls++;
      return backend.vectors.dot(x, y);
    },
    axpy: backend.vectors.axpy,
  };
  const plain = lbfgs(p.full, new Float32Array(30), { maxIter: 25 });
  const native = lbfgs(p.full, new Float32Array(30), { maxIter: 25, vectors: counted as never });
  assert.ok(calls > 100, `the native dot was called ${calls} times`);
  assert.equal(native.iterations, plain.iterations);
  assert.ok(Math.abs(native.cost - plain.cost) <= 1e-5 * Math.abs(plain.cost), `${native.cost} vs ${plain.cost}`);
});

/** k pairs of n values with y = A·s for a diagonal A in [1, 3] (so yᵀs > 0), and their ρ. */
function pairs(n: number, k: number, seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const a = Float64Array.from({ length: n }, () => 2 + 2 * next());
  const S = Array.from({ length: k }, () => Float32Array.from({ length: n }, next));
  const Y = S.map((s) => Float32Array.from(s, (v, i) => (a[i] as number) * v));
  const rho = S.map((s, j) => {
    let ys = 0;
    for (let i = 0; i < n; i++) ys += (s[i] as number) * ((Y[j] as Float32Array)[i] as number);
    return 1 / ys;
  });
  return { S, Y, rho, next };
}

it("twoLoop on both threads gives −H·g: the secant equation H·y = s for the newest pair, and the float64 recursion", async (t) => {
  if (!(await nativeAvailable())) return t.skip("the native backend is not built here");
  const backend = await createNativeBackend();
  const twoLoop = backend.vectors.twoLoop;
  if (!twoLoop) return assert.fail("the native backend offers no twoLoop");
  // 100,003 values: split across the threads (from 2^15), and not a whole number of 256-blocks.
  const n = 100_003;
  for (const k of [1, 2, 7]) {
    const { S, Y, rho, next } = pairs(n, k, k);
    const hDiag = 0.37;
    // BFGS updates keep H·y = s for the newest pair whatever the older ones: with g = y, d = −s.
    const d = new Float32Array(n);
    assert.equal(twoLoop(Y[k - 1] as Float32Array, S, Y, rho, hDiag, d), true);
    const newest = S[k - 1] as Float32Array;
    let worst = 0;
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs((d[i] as number) + (newest[i] as number)));
    assert.ok(worst < 1e-4, `k = ${k}: |d + s| up to ${worst}`);
    // Against the recursion in float64 for another gradient.
    const g = Float32Array.from({ length: n }, next);
    twoLoop(g, S, Y, rho, hDiag, d);
    const q = Float64Array.from(g, (v) => -v);
    const alpha: number[] = [];
    const dot = (x: ArrayLike<number>) => {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (x[i] as number) * (q[i] as number);
      return sum;
    };
    for (let j = k - 1; j >= 0; j--) {
      alpha[j] = (rho[j] as number) * dot(S[j] as Float32Array);
      for (let i = 0; i < n; i++)
        q[i] = (q[i] as number) - (alpha[j] as number) * ((Y[j] as Float32Array)[i] as number);
    }
    for (let i = 0; i < n; i++) q[i] = hDiag * (q[i] as number);
    for (let j = 0; j < k; j++) {
      const c = (alpha[j] as number) - (rho[j] as number) * dot(Y[j] as Float32Array);
      for (let i = 0; i < n; i++) q[i] = (q[i] as number) + c * ((S[j] as Float32Array)[i] as number);
    }
    let error = 0;
    let size = 0;
    for (let i = 0; i < n; i++) {
      error = Math.max(error, Math.abs((d[i] as number) - (q[i] as number)));
      size = Math.max(size, Math.abs(q[i] as number));
    }
    assert.ok(error <= 1e-5 * size, `k = ${k}: max error ${error} against max |d| ${size}`);
  }
  // No pairs: d = −hDiag · g.
  const g = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
  const d = new Float32Array(n);
  twoLoop(g, [], [], [], 2, d);
  assert.deepEqual(
    d,
    Float32Array.from(g, (v) => -2 * v),
  );
  // Float64 vectors are left to the optimiser's own recursion.
  const d64 = new Float64Array(4);
  assert.equal(twoLoop(new Float64Array(4), [], [], [], 1, d64), false);
  assert.equal(
    twoLoop(new Float32Array(4), [new Float32Array(3)], [new Float32Array(4)], [1], 1, new Float32Array(4)),
    false,
  );
});

it("L-BFGS with the native twoLoop follows the JavaScript run to float32 rounding", async (t) => {
  if (!(await nativeAvailable())) return t.skip("the native backend is not built here");
  const backend = await createNativeBackend();
  const { logistic } = await import("../optim/problems.ts");
  const p = logistic(30, 300, 1e-3, 5);
  let calls = 0;
  const twoLoop = backend.vectors.twoLoop;
  if (!twoLoop) return assert.fail("the native backend offers no twoLoop");
  const counted = {
    ...backend.vectors,
    twoLoop: (...args: Parameters<typeof twoLoop>) => {
      calls++;
      return twoLoop(...args);
    },
  };
  const plain = lbfgs(p.full, new Float32Array(30), { maxIter: 25 });
  const native = lbfgs(p.full, new Float32Array(30), { maxIter: 25, vectors: counted });
  assert.equal(calls, native.iterations);
  assert.equal(native.iterations, plain.iterations);
  assert.ok(Math.abs(native.cost - plain.cost) <= 1e-5 * Math.abs(plain.cost), `${native.cost} vs ${plain.cost}`);
});

it("loading the addon leaves the floating-point mode of JavaScript's thread alone (subnormals stay)", async (t) => {
  if (!(await nativeAvailable())) return t.skip("the native backend is not built here");
  const backend = await createNativeBackend();
  backend.biasSigmoid(backend.zeros(1, 1), backend.zeros(1, 1), backend.zeros(1, 1));
  // Parsed at run time so that nothing is folded at compile time; with flush-to-zero both are 0.
  const [tiny, big] = JSON.parse("[1e-300, 1e260]") as [number, number];
  assert.ok(tiny * 1e-10 > 0, `${tiny} × 1e-10 = ${tiny * 1e-10}`);
  const f = new Float32Array(1);
  f[0] = tiny * big;
  assert.ok(f[0] > 0, `1e-40 as a float32 is ${f[0]}`);
});
