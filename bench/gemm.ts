// npm run bench:gemm — float32 GFLOP/s of gemm for the shapes of the reference experiment, for
// the WebAssembly kernel and plain JS, beside numpy's float32 matmul measured in the same run
// (when python3 with numpy is present). A benchmark, not a test: it asserts nothing.
//   --quick    fewer repetitions, and plain JS only on the smallest shape
//   --json     one JSON object instead of the table
import { spawnSync } from "node:child_process";
import type { Backend, FloatArray, Matrix } from "../src/linalg/index.ts";
import { JsBackend } from "../src/linalg/js-backend.ts";
import { createWasmBackend } from "../src/linalg/wasm-backend.ts";

interface Shape {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** Where the product occurs in the experiment. */
  what: string;
}

const SHAPES: Shape[] = [
  { M: 60000, N: 200, K: 784, transA: false, transB: true, what: "X·W1ᵀ (encode)" },
  { M: 200, N: 784, K: 60000, transA: true, transB: false, what: "Δ2ᵀ·X (∇W1)" },
  { M: 60000, N: 784, K: 200, transA: false, transB: true, what: "A2·W2ᵀ (decode)" },
  { M: 256, N: 200, K: 784, transA: false, transB: true, what: "minibatch X·W1ᵀ" },
];

const args = new Set(process.argv.slice(2));
const quick = args.has("--quick");
const json = args.has("--json");

function timeGemm(backend: Backend, s: Shape, reps: number): number {
  const A = backend.zeros(s.transA ? s.K : s.M, s.transA ? s.M : s.K);
  const B = backend.zeros(s.transB ? s.N : s.K, s.transB ? s.K : s.N);
  const C = backend.zeros(s.M, s.N);
  fillRandom(A);
  fillRandom(B);
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    backend.gemm(s.transA, s.transB, 1, A, B, 0, C);
    times.push(performance.now() - t0);
  }
  backend.free(C);
  backend.free(B);
  backend.free(A);
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  return (2 * s.M * s.N * s.K) / (median * 1e6);
}

function fillRandom(m: Matrix<FloatArray>): void {
  const d = m.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.random() - 0.5;
}

const NUMPY = `
import sys, time, json, numpy as np
out = []
for M, N, K, ta, tb, reps in json.loads(sys.argv[1]):
    rng = np.random.default_rng(0)
    A = rng.random((K, M) if ta else (M, K), dtype=np.float32)
    B = rng.random((N, K) if tb else (K, N), dtype=np.float32)
    a = A.T if ta else A
    b = B.T if tb else B
    a @ b
    ts = []
    for _ in range(reps):
        t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)
    ts.sort()
    out.append(2 * M * N * K / ts[len(ts) // 2] / 1e9)
print(json.dumps({"gflops": out, "numpy": np.__version__}))
`;

function numpyGflops(reps: number): { gflops: number[]; version: string } | null {
  const spec = JSON.stringify(SHAPES.map((s) => [s.M, s.N, s.K, s.transA, s.transB, reps]));
  const run = spawnSync("python3", ["-c", NUMPY, spec], { encoding: "utf8" });
  if (run.status !== 0) return null;
  const parsed = JSON.parse(run.stdout) as { gflops: number[]; numpy: string };
  return { gflops: parsed.gflops, version: parsed.numpy };
}

const wasm = await createWasmBackend();
const js = new JsBackend("float32");
const reps = quick ? 3 : 7;
const rows = SHAPES.map((s, i) => {
  const wasmGflops = timeGemm(wasm, s, reps);
  const runJs = !quick || i === SHAPES.length - 1;
  const jsGflops = runJs ? timeGemm(js, s, 1) : null;
  return { shape: s, wasmGflops, jsGflops };
});
const numpy = numpyGflops(reps);

const result = {
  date: new Date().toISOString(),
  node: process.version,
  wasmBuild: wasm.fma ? "relaxed SIMD (FMA)" : "SIMD",
  threads: 1,
  numpy: numpy?.version ?? null,
  gemm: rows.map((r, i) => {
    const np = numpy?.gflops[i] ?? null;
    return {
      shape: [r.shape.M, r.shape.N, r.shape.K],
      what: r.shape.what,
      wasm: round(r.wasmGflops),
      js: r.jsGflops === null ? null : round(r.jsGflops),
      numpy: np === null ? null : round(np),
      wasmToNumpy: np === null ? null : round(r.wasmGflops / np, 3),
    };
  }),
};

if (json) {
  console.log(JSON.stringify(result, null, 2));
} else {
  console.log(`gemm float32, GFLOP/s (median of ${reps}; plain JS once) — ${result.date}, Node ${result.node}`);
  console.log(`wasm build: ${result.wasmBuild}, 1 thread; numpy ${result.numpy ?? "not found"} (its own BLAS threads)`);
  console.log("   M      N      K  product               wasm     js  numpy  wasm/numpy");
  for (const g of result.gemm) {
    const [M, N, K] = g.shape as [number, number, number];
    console.log(
      `${pad(M, 6)} ${pad(N, 6)} ${pad(K, 6)}  ${g.what.padEnd(20)} ${pad(g.wasm, 6)} ${pad(g.js ?? "-", 6)} ${pad(g.numpy ?? "-", 6)}  ${pad(g.wasmToNumpy ?? "-", 10)}`,
    );
  }
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
function pad(x: number | string, n: number): string {
  return String(x).padStart(n);
}
