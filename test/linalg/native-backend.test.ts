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

it("L-BFGS with the native backend's dot and axpy follows the JavaScript run to float32 rounding", async (t) => {
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

it("gives a freed matrix's, sparse copy's and optimiser vector's pages back to the system at once", async (t) => {
  if (!(await nativeAvailable())) return t.skip("the native backend is not built here");
  const backend = await createNativeBackend({ threads: 1 });
  const rss = () => process.memoryUsage().rss;
  const MiB = 2 ** 20;
  const A = backend.zeros(4096, 4096); // 64 MiB
  A.data.fill(0.5);
  const S = backend.sparse.fromDense(A); // every value non-zero: 14 bytes each, twice held
  const v = backend.vectors.zeros?.(16 * MiB) as Float32Array; // 64 MiB
  v.fill(1);
  let before = rss();
  backend.free(A);
  assert.ok(before - rss() > 48 * MiB, `the matrix: ${((before - rss()) / MiB).toFixed(1)} MiB given back`);
  before = rss();
  backend.sparse.free(S);
  assert.ok(before - rss() > 150 * MiB, `the sparse copy: ${((before - rss()) / MiB).toFixed(1)} MiB given back`);
  assert.throws(() => backend.sparse.free(S), /has been freed/);
  before = rss();
  backend.vectors.release?.(v);
  assert.ok(before - rss() > 48 * MiB, `the vector: ${((before - rss()) / MiB).toFixed(1)} MiB given back`);
  // An array the backend did not make is the caller's: left alone.
  const mine = new Float32Array(16 * MiB).fill(1);
  before = rss();
  backend.vectors.release?.(mine);
  assert.equal(mine[mine.length - 1], 1);
  assert.ok(Math.abs(before - rss()) < 16 * MiB);
  await backend.dispose();
});
