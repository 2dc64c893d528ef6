import assert from "node:assert/strict";
import type { Backend } from "../src/linalg/backend.ts";
import { JsBackend } from "../src/linalg/js-backend.ts";
import { createNativeBackend, nativeAvailable } from "../src/linalg/native-backend.ts";
import { createWasmBackend } from "../src/linalg/wasm/index.ts";
import { enableRelaxedSimd } from "../src/platform/relaxed-simd.ts";

export interface BackendCase {
  label: string;
  backend: Backend;
  /** Relative tolerance for results compared with float64. */
  tolerance: number;
}

// Relaxed SIMD (fused multiply-add) needs a V8 flag on Node 20; the CLI sets it the same way.
enableRelaxedSimd();

/** Every backend present, with the precision its results can be held to. */
export async function allBackends(): Promise<BackendCase[]> {
  const cases: BackendCase[] = [
    { label: "js float64", backend: new JsBackend("float64"), tolerance: 1e-12 },
    { label: "js float32", backend: new JsBackend("float32"), tolerance: 1e-5 },
    {
      label: "wasm SIMD, 1 thread",
      backend: await createWasmBackend({ threads: 1, relaxedSimd: false }),
      tolerance: 1e-5,
    },
    {
      label: "wasm SIMD, 2 threads",
      backend: await createWasmBackend({ threads: 2, relaxedSimd: false }),
      tolerance: 1e-5,
    },
    {
      label: "wasm FMA, 1 thread",
      backend: await createWasmBackend({ threads: 1, relaxedSimd: true }),
      tolerance: 1e-5,
    },
    {
      label: "wasm FMA, 2 threads",
      backend: await createWasmBackend({ threads: 2, relaxedSimd: true }),
      tolerance: 1e-5,
    },
  ];
  // The native backend where it is built (OpenBLAS present at install); said in the output when not.
  if (await nativeAvailable()) {
    cases.push({ label: "native (OpenBLAS)", backend: await createNativeBackend(), tolerance: 1e-5 });
  } else {
    process.stderr.write("test: the native backend is not built here, so it is not tested\n");
  }
  return cases;
}

/** Asserts |actual − expected| ≤ tol · max(1, |expected|)… relative for large values. */
export function assertClose(actual: number, expected: number, tol: number, what = "value"): void {
  const scale = Math.max(Math.abs(expected), 1e-300);
  const rel = Math.abs(actual - expected) / scale;
  assert.ok(
    rel <= tol,
    `${what}: expected ${expected}, got ${actual} (relative difference ${rel.toExponential(2)} > ${tol})`,
  );
}

/** Max-norm difference of two arrays relative to the max-norm of `expected`. */
export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, "lengths differ");
  let diff = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    norm = Math.max(norm, Math.abs(expected[i] as number));
  }
  return norm === 0 ? diff : diff / norm;
}

export function norm2(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += (v[i] as number) ** 2;
  return Math.sqrt(s);
}

/** C = alpha·op(A)·op(B) + beta·C, naively in float64. */
export function referenceGemm(
  ta: boolean,
  tb: boolean,
  M: number,
  N: number,
  K: number,
  alpha: number,
  a: number[],
  b: number[],
  beta: number,
  c: number[],
): number[] {
  const out = c.map((v) => (beta === 0 ? 0 : beta * v));
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const aik = ta ? (a[k * M + i] as number) : (a[i * K + k] as number);
        const bkj = tb ? (b[j * K + k] as number) : (b[k * N + j] as number);
        s += aik * bkj;
      }
      out[i * N + j] = (out[i * N + j] as number) + alpha * s;
    }
  }
  return out;
}
