// Correction-pair histories for the two-loop recursion, and the recursion in float64: used by
// vectors.test.ts and by two-loop-stress.ts, the child process of wasm-vectors.test.ts.
import type { FloatArray } from "../../src/linalg/matrix.ts";
import type { VectorOps } from "../../src/linalg/vectors.ts";

/** k pairs of n values with y = A·s for a diagonal A in [1, 3] (so yᵀs > 0), their ρ, and a gradient. */
export function history(vec: VectorOps, n: number, k: number, seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648 - 0.5;
  };
  const vector = (values: ArrayLike<number>): Float32Array => {
    const v = vec.zeros ? vec.zeros(n) : new Float32Array(n);
    v.set(values);
    return v;
  };
  const a = Float64Array.from({ length: n }, () => 2 + 2 * next());
  const S = Array.from({ length: k }, () => vector(Float32Array.from({ length: n }, next)));
  const Y = S.map((s) => vector(Float32Array.from(s, (v, i) => (a[i] as number) * v)));
  const rho = S.map((s, j) => {
    let ys = 0;
    for (let i = 0; i < n; i++) ys += (s[i] as number) * ((Y[j] as Float32Array)[i] as number);
    return 1 / ys;
  });
  const g = vector(Float32Array.from({ length: n }, next));
  const d = vector([]);
  const release = () => {
    for (const v of [...S, ...Y, g, d]) vec.release?.(v);
  };
  return { S, Y, rho, g, d, release };
}

/** The two-loop recursion in float64 (Nocedal & Wright, Algorithm 7.4). */
export function recursion64(
  g: FloatArray,
  S: FloatArray[],
  Y: FloatArray[],
  rho: number[],
  hDiag: number,
): Float64Array {
  const n = g.length;
  const q = Float64Array.from(g, (v) => -v);
  const dot = (x: FloatArray) => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (x[i] as number) * (q[i] as number);
    return sum;
  };
  const alpha: number[] = [];
  for (let j = S.length - 1; j >= 0; j--) {
    const a = (rho[j] as number) * dot(S[j] as FloatArray);
    alpha[j] = a;
    const y = Y[j] as FloatArray;
    for (let i = 0; i < n; i++) q[i] = (q[i] as number) - a * (y[i] as number);
  }
  for (let i = 0; i < n; i++) q[i] = hDiag * (q[i] as number);
  for (let j = 0; j < S.length; j++) {
    const c = (alpha[j] as number) - (rho[j] as number) * dot(Y[j] as FloatArray);
    const s = S[j] as FloatArray;
    for (let i = 0; i < n; i++) q[i] = (q[i] as number) + c * (s[i] as number);
  }
  return q;
}

export function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): { error: number; size: number } {
  let error = 0;
  let size = 0;
  for (let i = 0; i < b.length; i++) {
    error = Math.max(error, Math.abs((a[i] as number) - (b[i] as number)));
    size = Math.max(size, Math.abs(b[i] as number));
  }
  return { error, size };
}
