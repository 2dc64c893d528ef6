// C = alpha · A · Bᵀ + beta · C where B has a handful of rows (the softmax layer's 10 classes):
// each row of C is N dot products with A's row, taken four at a time as four chains of
// multiply-adds that share each load of A. The packed sgemm would copy all of A into its packing
// buffers (48 MB for the softmax's 60,000 × 200 features) to fill 10 of every 16 columns of its
// tiles. Each row of C is computed alone, in the same order on any number of threads.

import { madd } from "./lanes";

/** Σ of the four lanes, pairwise in float32. */
@inline
function lanes(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/** One element of C: the four-lane sum s, the tail of the dot product, then alpha and beta. */
@inline
function finish(s: v128, a: usize, b: usize, k4: i32, K: i32, alpha: f32, beta: f32, c: usize): void {
  let sum = lanes(s);
  for (let t = k4; t < K; t++) sum += load<f32>(a + (<usize>t << 2)) * load<f32>(b + (<usize>t << 2));
  store<f32>(c, beta == 0 ? alpha * sum : alpha * sum + beta * load<f32>(c));
}

/**
 * Rows [0, rows) of C (row stride ldc) = alpha · A · Bᵀ + beta · C, A rows × K (row stride lda),
 * B N × K (rows packed, K apart); beta = 0 ignores what C holds.
 */
export function sgemmThinNT(
  A: usize, lda: i32, rows: i32, K: i32, B: usize, N: i32, alpha: f32, beta: f32, C: usize, ldc: i32,
): void {
  const k4 = K & ~3;
  const rowB = <usize>K << 2;
  for (let i = 0; i < rows; i++) {
    const a = A + ((<usize>i * <usize>lda) << 2);
    const c = C + ((<usize>i * <usize>ldc) << 2);
    for (let j = 0; j < N; j += 4) {
      // A last group of fewer than four reads its first row again in the missing places and
      // stores only the rows that exist.
      const b0 = B + <usize>j * rowB;
      const b1 = j + 1 < N ? b0 + rowB : b0;
      const b2 = j + 2 < N ? b0 + 2 * rowB : b0;
      const b3 = j + 3 < N ? b0 + 3 * rowB : b0;
      let s0 = f32x4.splat(0);
      let s1 = s0;
      let s2 = s0;
      let s3 = s0;
      for (let t = 0; t < k4; t += 4) {
        const at = <usize>t << 2;
        const x = v128.load(a + at);
        s0 = madd(x, v128.load(b0 + at), s0);
        s1 = madd(x, v128.load(b1 + at), s1);
        s2 = madd(x, v128.load(b2 + at), s2);
        s3 = madd(x, v128.load(b3 + at), s3);
      }
      const cj = c + (<usize>j << 2);
      finish(s0, a, b0, k4, K, alpha, beta, cj);
      if (j + 1 < N) finish(s1, a, b1, k4, K, alpha, beta, cj + 4);
      if (j + 2 < N) finish(s2, a, b2, k4, K, alpha, beta, cj + 8);
      if (j + 3 < N) finish(s3, a, b3, k4, K, alpha, beta, cj + 12);
    }
  }
}
