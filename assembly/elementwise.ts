// Element-wise maps and reductions: the sigmoid with its bias row, the deltas of
// backpropagation, the softmax of rows with its cost, and column sums split over threads.

import { hsum64, madd, SUM_BLOCK } from "./lanes";
import { exp4, flush1, flush4, sigmoid1, sigmoid4 } from "./math";

/** out (rows × cols) = σ(Z + 1·bᵀ): the bias row b (cols) added to every row, then the sigmoid. */
export function biasSigmoid(Z: usize, b: usize, rows: i32, cols: i32, out: usize): void {
  for (let i = 0; i < rows; i++) {
    const z = Z + ((<usize>i * cols) << 2);
    const o = out + ((<usize>i * cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const off = <usize>j << 2;
      v128.store(o + off, sigmoid4(f32x4.add(v128.load(z + off), v128.load(b + off))));
    }
    for (; j < cols; j++) {
      const off = <usize>j << 2;
      store<f32>(o + off, sigmoid1(load<f32>(z + off) + load<f32>(b + off)));
    }
  }
}

/** out[0:n] = D ⊙ A ⊙ (1 − A): a delta times the sigmoid's derivative at activation A. */
export function sigmoidGradMul(A: usize, D: usize, n: i32, out: usize): void {
  const one = f32x4.splat(1);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    const a = v128.load(A + off);
    v128.store(out + off, flush4(f32x4.mul(f32x4.mul(v128.load(D + off), a), f32x4.sub(one, a))));
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    const a = load<f32>(A + off);
    store<f32>(out + off, flush1(load<f32>(D + off) * a * (1 - a)));
  }
}

/** D (rows × cols) = (D + 1·sᵀ) ⊙ A ⊙ (1 − A): the sparsity row s added to every row of D. */
export function addRowSigmoidGradMul(D: usize, s: usize, A: usize, rows: i32, cols: i32): void {
  const one = f32x4.splat(1);
  for (let i = 0; i < rows; i++) {
    const d = D + ((<usize>i * cols) << 2);
    const a = A + ((<usize>i * cols) << 2);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const off = <usize>j << 2;
      const av = v128.load(a + off);
      const dv = f32x4.add(v128.load(d + off), v128.load(s + off));
      v128.store(d + off, flush4(f32x4.mul(f32x4.mul(dv, av), f32x4.sub(one, av))));
    }
    for (; j < cols; j++) {
      const off = <usize>j << 2;
      const av = load<f32>(a + off);
      store<f32>(d + off, flush1((load<f32>(d + off) + load<f32>(s + off)) * av * (1 - av)));
    }
  }
}

/**
 * delta[0:n] = (A3 − X) ⊙ A3 ⊙ (1 − A3), the output delta of the autoencoder; returns Σ (A3 − X)²
 * (accumulated in float64 block by block). delta may alias A3.
 */
export function squaredErrorDelta(A3: usize, X: usize, n: i32, delta: usize): f64 {
  const one = f32x4.splat(1);
  let total: f64 = 0;
  let j = 0;
  while (j + 4 <= n) {
    const end = min(n & ~3, j + SUM_BLOCK);
    let acc = f32x4.splat(0);
    for (; j < end; j += 4) {
      const off = <usize>j << 2;
      const a = v128.load(A3 + off);
      const e = f32x4.sub(a, v128.load(X + off));
      acc = madd(e, e, acc);
      v128.store(delta + off, flush4(f32x4.mul(f32x4.mul(e, a), f32x4.sub(one, a))));
    }
    total += hsum64(acc);
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    const a = load<f32>(A3 + off);
    const e = a - load<f32>(X + off);
    total += <f64>e * <f64>e;
    store<f32>(delta + off, flush1(e * a * (1 - a)));
  }
  return total;
}

// ---------------------------------------------------------------------------------------------
// Softmax of rows (k classes each), four rows at a time, one in each lane: k is the number of
// classes (10 for MNIST), too few for vectors along a row.
// ---------------------------------------------------------------------------------------------

/** ln 2^-126: below it, e^x is not a normal float. */
const LN_FLT_MIN: f32 = -87.33654;

/** Lane r = the f32 at p + r·stride for r < count (1–4); the lanes past count repeat lane 0. */
@inline
function gatherRows(p: usize, stride: usize, count: i32): v128 {
  let v = f32x4.splat(load<f32>(p));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(p + stride));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(p + 2 * stride));
  if (count > 3) v = f32x4.replace_lane(v, 3, load<f32>(p + 3 * stride));
  return v;
}

/** Stores lane r of v at p + r·stride for r < count (1–4). */
@inline
function scatterRows(p: usize, stride: usize, v: v128, count: i32): void {
  store<f32>(p, f32x4.extract_lane(v, 0));
  if (count > 1) store<f32>(p + stride, f32x4.extract_lane(v, 1));
  if (count > 2) store<f32>(p + 2 * stride, f32x4.extract_lane(v, 2));
  if (count > 3) store<f32>(p + 3 * stride, f32x4.extract_lane(v, 3));
}

/** The logit of each row's label, row r in lane r (r < count, 1–4; the lanes past it repeat lane 0). */
@inline
function labelLogits(P: usize, labels: usize, stride: usize, count: i32): v128 {
  let v = f32x4.splat(load<f32>(P + (<usize>load<i32>(labels) << 2)));
  if (count > 1) v = f32x4.replace_lane(v, 1, load<f32>(P + stride + (<usize>load<i32>(labels, 4) << 2)));
  if (count > 2) v = f32x4.replace_lane(v, 2, load<f32>(P + 2 * stride + (<usize>load<i32>(labels, 8) << 2)));
  if (count > 3) v = f32x4.replace_lane(v, 3, load<f32>(P + 3 * stride + (<usize>load<i32>(labels, 12) << 2)));
  return v;
}

/** −log softmax(z)[y] = log Σ e^(z − max) − (z_y − max), in float64. */
@inline
function nllOf(zy: f32, max: f32, sum: f32): f64 {
  return Math.log(<f64>sum) - (<f64>zy - <f64>max);
}

/** softmaxRows for `count` (1–4) rows at P, one per lane. */
@inline
function softmaxGroup(P: usize, labels: usize, k: i32, count: i32): f64 {
  const stride = <usize>k << 2;
  let max = gatherRows(P, stride, count);
  for (let c = 1; c < k; c++) max = f32x4.max(max, gatherRows(P + (<usize>c << 2), stride, count));
  // The labels' logits are read before the rows are overwritten.
  const zy = labelLogits(P, labels, stride, count);
  let sum = f32x4.splat(0);
  for (let c = 0; c < k; c++) {
    const at = P + (<usize>c << 2);
    const d = f32x4.sub(gatherRows(at, stride, count), max);
    // e^d, exactly 0 where it is below the smallest normal float (exp4 clamps there).
    const e = v128.andnot(exp4(d), f32x4.lt(d, f32x4.splat(LN_FLT_MIN)));
    sum = f32x4.add(sum, e);
    scatterRows(at, stride, e, count);
  }
  for (let c = 0; c < k; c++) {
    const at = P + (<usize>c << 2);
    scatterRows(at, stride, flush4(f32x4.div(gatherRows(at, stride, count), sum)), count);
  }
  let nll = nllOf(f32x4.extract_lane(zy, 0), f32x4.extract_lane(max, 0), f32x4.extract_lane(sum, 0));
  if (count > 1) nll += nllOf(f32x4.extract_lane(zy, 1), f32x4.extract_lane(max, 1), f32x4.extract_lane(sum, 1));
  if (count > 2) nll += nllOf(f32x4.extract_lane(zy, 2), f32x4.extract_lane(max, 2), f32x4.extract_lane(sum, 2));
  if (count > 3) nll += nllOf(f32x4.extract_lane(zy, 3), f32x4.extract_lane(max, 3), f32x4.extract_lane(sum, 3));
  return nll;
}

/**
 * Each of the `rows` rows of P (k logits each, row-major) becomes its softmax: e^(z − max z)
 * over its sum, stored as 0 below the smallest normal float. Returns Σ −log softmax(z)[y] over
 * the rows, y the row's label (labels: rows i32, each in [0, k)), from the logits (log-sum-exp),
 * so that a probability that rounds to 0 still gives a finite cost. A NaN logit gives NaN.
 */
export function softmaxRows(P: usize, labels: usize, rows: i32, k: i32): f64 {
  const stride = <usize>k << 2;
  let nll: f64 = 0;
  let i = 0;
  for (; i + 4 <= rows; i += 4) nll += softmaxGroup(P + <usize>i * stride, labels + (<usize>i << 2), k, 4);
  const left = rows - i;
  if (left == 1) nll += softmaxGroup(P + <usize>i * stride, labels + (<usize>i << 2), k, 1);
  else if (left == 2) nll += softmaxGroup(P + <usize>i * stride, labels + (<usize>i << 2), k, 2);
  else if (left == 3) nll += softmaxGroup(P + <usize>i * stride, labels + (<usize>i << 2), k, 3);
  return nll;
}

// ---------------------------------------------------------------------------------------------
// Column sums over ranges of rows, one range per thread, and the output delta with its column
// sums in one pass.
// ---------------------------------------------------------------------------------------------

/**
 * Column sums (colSumsRange, squaredErrorDeltaRange) add rows in float32 for blocks of SUM_ROWS
 * rows into `partial` (cols f32), and the blocks into `total` (cols f64): the error does not grow
 * with the number of rows. partial and total are scratch buffers the host provides, one pair per
 * thread; colSumsOut adds the threads' totals.
 */
const SUM_ROWS: i32 = 256;

/** total[0:cols] (f64) = Σ_{r0 ≤ i < r1} A[i, :] (A rows × cols), by blocks of SUM_ROWS rows from r0. */
export function colSumsRange(A: usize, r0: i32, r1: i32, cols: i32, partial: usize, total: usize): void {
  for (let j = 0; j < cols; j++) store<f64>(total + (<usize>j << 3), 0);
  for (let i0 = r0; i0 < r1; i0 += SUM_ROWS) {
    const i1 = min(r1, i0 + SUM_ROWS);
    for (let j = 0; j < cols; j++) store<f32>(partial + (<usize>j << 2), 0);
    for (let i = i0; i < i1; i++) {
      const a = A + ((<usize>i * cols) << 2);
      let j = 0;
      for (; j + 4 <= cols; j += 4) {
        const off = <usize>j << 2;
        v128.store(partial + off, f32x4.add(v128.load(partial + off), v128.load(a + off)));
      }
      for (; j < cols; j++) {
        const off = <usize>j << 2;
        store<f32>(partial + off, load<f32>(partial + off) + load<f32>(a + off));
      }
    }
    for (let j = 0; j < cols; j++) {
      const t = total + (<usize>j << 3);
      store<f64>(t, load<f64>(t) + <f64>load<f32>(partial + (<usize>j << 2)));
    }
  }
}

/**
 * squaredErrorDelta over rows [r0, r1) of A3, X and delta (cols wide; delta may alias A3),
 * returning Σ (A3 − X)² (f32 per row, f64 across rows), and total[0:cols] (f64) = the column
 * sums of delta by blocks of SUM_ROWS rows from r0, as colSumsRange adds them: the output
 * bias's gradient in the same pass.
 */
export function squaredErrorDeltaRange(
  A3: usize, X: usize, r0: i32, r1: i32, cols: i32, delta: usize, partial: usize, total: usize,
): f64 {
  const one = f32x4.splat(1);
  let squares: f64 = 0;
  for (let j = 0; j < cols; j++) store<f64>(total + (<usize>j << 3), 0);
  for (let i0 = r0; i0 < r1; i0 += SUM_ROWS) {
    const i1 = min(r1, i0 + SUM_ROWS);
    for (let j = 0; j < cols; j++) store<f32>(partial + (<usize>j << 2), 0);
    for (let i = i0; i < i1; i++) {
      const row = (<usize>i * cols) << 2;
      const a = A3 + row;
      const x = X + row;
      const d = delta + row;
      let acc = f32x4.splat(0);
      let j = 0;
      for (; j + 4 <= cols; j += 4) {
        const off = <usize>j << 2;
        const av = v128.load(a + off);
        const e = f32x4.sub(av, v128.load(x + off));
        acc = madd(e, e, acc);
        const v = flush4(f32x4.mul(f32x4.mul(e, av), f32x4.sub(one, av)));
        v128.store(d + off, v);
        v128.store(partial + off, f32x4.add(v128.load(partial + off), v));
      }
      squares += hsum64(acc);
      for (; j < cols; j++) {
        const off = <usize>j << 2;
        const av = load<f32>(a + off);
        const e = av - load<f32>(x + off);
        squares += <f64>e * <f64>e;
        const v = flush1(e * av * (1 - av));
        store<f32>(d + off, v);
        store<f32>(partial + off, load<f32>(partial + off) + v);
      }
    }
    for (let j = 0; j < cols; j++) {
      const t = total + (<usize>j << 3);
      store<f64>(t, load<f64>(t) + <f64>load<f32>(partial + (<usize>j << 2)));
    }
  }
  return squares;
}

/** out[j] = scale · Σ_q totals[q][j]: the f64 totals of `parts` colSumsRange calls, `stride` bytes apart, added in order. */
export function colSumsOut(totals: usize, parts: i32, stride: usize, cols: i32, scale: f64, out: usize): void {
  for (let j = 0; j < cols; j++) {
    let s: f64 = 0;
    for (let q = 0; q < parts; q++) s += load<f64>(totals + <usize>q * stride + (<usize>j << 3));
    store<f32>(out + (<usize>j << 2), <f32>(scale * s));
  }
}
