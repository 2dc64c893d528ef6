// Kernels over flat vectors for the optimisers: a minibatch's gather of rows, sums, dot and axpy,
// the minibatch updates (Adam, SGD) and L-BFGS's two-loop recursion split over threads.

import { hsum64, madd, SUM_BLOCK } from "./lanes";
import { meet } from "./threads";

/** Rows [i0, i1) of dst (n f32 each) = the rows of src listed in the i32 list: a minibatch's gather. */
export function copyRows(src: usize, n: i32, list: usize, i0: i32, i1: i32, dst: usize): void {
  const bytes = <usize>n << 2;
  for (let i = i0; i < i1; i++) {
    memory.copy(dst + <usize>i * bytes, src + <usize>load<i32>(list + (<usize>i << 2)) * bytes, bytes);
  }
}

/** Σ x², accumulated in float64 block by block. */
export function sumSquares(x: usize, n: i32): f64 {
  let total: f64 = 0;
  let j = 0;
  while (j + 4 <= n) {
    const end = min(n & ~3, j + SUM_BLOCK);
    let acc = f32x4.splat(0);
    for (; j < end; j += 4) {
      const v = v128.load(x + (<usize>j << 2));
      acc = madd(v, v, acc);
    }
    total += hsum64(acc);
  }
  for (; j < n; j++) {
    const v = <f64>load<f32>(x + (<usize>j << 2));
    total += v * v;
  }
  return total;
}

/**
 * Σ |x| in float64 (two accumulators of two lanes): NaN or ∞ exactly when some element is, as
 * float32 values cannot overflow it.
 */
export function sumAbs(x: usize, n: i32): f64 {
  let a = f64x2.splat(0);
  let b = f64x2.splat(0);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const v = f32x4.abs(v128.load(x + (<usize>j << 2)));
    a = f64x2.add(a, f64x2.promote_low_f32x4(v));
    b = f64x2.add(b, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
  }
  let total = f64x2.extract_lane(a, 0) + f64x2.extract_lane(a, 1) + f64x2.extract_lane(b, 0) + f64x2.extract_lane(b, 1);
  for (; j < n; j++) total += Math.abs(<f64>load<f32>(x + (<usize>j << 2)));
  return total;
}

/** Σ x ⊙ y, accumulated in float64 block by block. */
export function dot(x: usize, y: usize, n: i32): f64 {
  let total: f64 = 0;
  let j = 0;
  while (j + 4 <= n) {
    const end = min(n & ~3, j + SUM_BLOCK);
    let acc = f32x4.splat(0);
    for (; j < end; j += 4) {
      const off = <usize>j << 2;
      acc = madd(v128.load(x + off), v128.load(y + off), acc);
    }
    total += hsum64(acc);
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    total += <f64>load<f32>(x + off) * <f64>load<f32>(y + off);
  }
  return total;
}

/** y[0:n] += alpha · x. */
export function axpy(alpha: f32, x: usize, y: usize, n: i32): void {
  const va = f32x4.splat(alpha);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    v128.store(y + off, madd(va, v128.load(x + off), v128.load(y + off)));
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    store<f32>(y + off, load<f32>(y + off) + alpha * load<f32>(x + off));
  }
}

/** y[0:n] += alpha · x, then returns Σ next ⊙ y over the new y: an axpy and the next dot in one pass. */
function axpyDot(alpha: f32, x: usize, y: usize, next: usize, n: i32): f64 {
  const va = f32x4.splat(alpha);
  let total: f64 = 0;
  let j = 0;
  while (j + 4 <= n) {
    const end = min(n & ~3, j + SUM_BLOCK);
    let acc = f32x4.splat(0);
    for (; j < end; j += 4) {
      const off = <usize>j << 2;
      const v = madd(va, v128.load(x + off), v128.load(y + off));
      v128.store(y + off, v);
      acc = madd(v128.load(next + off), v, acc);
    }
    total += hsum64(acc);
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    const v = load<f32>(y + off) + alpha * load<f32>(x + off);
    store<f32>(y + off, v);
    total += <f64>load<f32>(next + off) * <f64>v;
  }
  return total;
}

/** y[0:n] = s · y with the product in f64, as JavaScript scales a Float32Array. */
function scale64(s: f64, y: usize, n: i32): void {
  const vs = f64x2.splat(s);
  let j = 0;
  for (; j + 4 <= n; j += 4) {
    const off = <usize>j << 2;
    const v = v128.load(y + off);
    const lo = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v), vs));
    const hi = f32x4.demote_f64x2_zero(f64x2.mul(f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)), vs));
    v128.store(y + off, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
  for (; j < n; j++) {
    const off = <usize>j << 2;
    store<f32>(y + off, <f32>(s * <f64>load<f32>(y + off)));
  }
}

// ---------------------------------------------------------------------------------------------
// The minibatch optimisers' updates (src/optim/minibatch.ts) over elements [i0, i1), so that the
// threads split a vector between them. Each is the JavaScript loop's arithmetic in f64, operation
// for operation; WebAssembly neither fuses nor reassociates, and keeps subnormals, so the results
// are the loop's to the bit. Two elements at a time, one f64x2 each.
// ---------------------------------------------------------------------------------------------

/**
 * Adam over x, g (f32) and the moments m, v (f64): m ← β1·m + (1 − β1)·g,
 * v ← β2·v + ((1 − β2)·g)·g, x ← x − (stepPerM·m) / (√(v·perV) + ε).
 */
export function adamRange(
  x: usize, g: usize, m: usize, v: usize, i0: i32, i1: i32,
  beta1: f64, beta2: f64, epsilon: f64, stepPerM: f64, perV: f64,
): void {
  const b1 = f64x2.splat(beta1);
  const c1 = f64x2.splat(1 - beta1);
  const b2 = f64x2.splat(beta2);
  const c2 = f64x2.splat(1 - beta2);
  const eps = f64x2.splat(epsilon);
  const sm = f64x2.splat(stepPerM);
  const pv = f64x2.splat(perV);
  let i = i0;
  for (; i + 2 <= i1; i += 2) {
    const o4 = <usize>i << 2;
    const o8 = <usize>i << 3;
    const gi = f64x2.promote_low_f32x4(v128.load64_zero(g + o4));
    const mi = f64x2.add(f64x2.mul(b1, v128.load(m + o8)), f64x2.mul(c1, gi));
    const vi = f64x2.add(f64x2.mul(b2, v128.load(v + o8)), f64x2.mul(f64x2.mul(c2, gi), gi));
    v128.store(m + o8, mi);
    v128.store(v + o8, vi);
    const step = f64x2.div(f64x2.mul(sm, mi), f64x2.add(f64x2.sqrt(f64x2.mul(vi, pv)), eps));
    const xi = f64x2.sub(f64x2.promote_low_f32x4(v128.load64_zero(x + o4)), step);
    v128.store64_lane(x + o4, f32x4.demote_f64x2_zero(xi), 0);
  }
  for (; i < i1; i++) {
    const o4 = <usize>i << 2;
    const o8 = <usize>i << 3;
    const gi = <f64>load<f32>(g + o4);
    const mi = beta1 * load<f64>(m + o8) + (1 - beta1) * gi;
    const vi = beta2 * load<f64>(v + o8) + (1 - beta2) * gi * gi;
    store<f64>(m + o8, mi);
    store<f64>(v + o8, vi);
    store<f32>(x + o4, <f32>(<f64>load<f32>(x + o4) - (stepPerM * mi) / (Math.sqrt(vi * perV) + epsilon)));
  }
}

/**
 * SGD with momentum over x, g and the velocity v (all f32): v ← μ·v − η·g in f64, stored in f32;
 * x ← x + v, or with Nesterov (nesterov ≠ 0) x ← x + (μ·v − η·g), with the f64 v.
 */
export function sgdRange(
  x: usize, g: usize, v: usize, i0: i32, i1: i32, momentum: f64, rate: f64, nesterov: i32,
): void {
  const mu = f64x2.splat(momentum);
  const eta = f64x2.splat(rate);
  let i = i0;
  for (; i + 2 <= i1; i += 2) {
    const o = <usize>i << 2;
    const gi = f64x2.promote_low_f32x4(v128.load64_zero(g + o));
    const vi = f64x2.sub(f64x2.mul(mu, f64x2.promote_low_f32x4(v128.load64_zero(v + o))), f64x2.mul(eta, gi));
    v128.store64_lane(v + o, f32x4.demote_f64x2_zero(vi), 0);
    const move = nesterov != 0 ? f64x2.sub(f64x2.mul(mu, vi), f64x2.mul(eta, gi)) : vi;
    const xi = f64x2.add(f64x2.promote_low_f32x4(v128.load64_zero(x + o)), move);
    v128.store64_lane(x + o, f32x4.demote_f64x2_zero(xi), 0);
  }
  for (; i < i1; i++) {
    const o = <usize>i << 2;
    const gi = <f64>load<f32>(g + o);
    const vi = momentum * <f64>load<f32>(v + o) - rate * gi;
    store<f32>(v + o, <f32>vi);
    store<f32>(x + o, <f32>(<f64>load<f32>(x + o) + (nesterov != 0 ? momentum * vi - rate * gi : vi)));
  }
}

/** The i-th byte offset in an i32 list. */
@inline
function at(list: usize, i: i32): usize {
  return <usize>load<i32>(list + (<usize>i << 2));
}

/**
 * One thread's part of L-BFGS's two-loop recursion (src/optim/lbfgs.ts): d[0:n] = −H·g over the k
 * correction pairs whose byte offsets are in the i32 lists sList and yList (oldest first), with
 * the f64 ρ at rho and the initial scaling hDiag. Every thread (part of parts) runs it with the
 * same arguments on its own slice of whole SUM_BLOCKs of every vector, so that the history streams
 * from memory on all cores; the parts of each dot product meet at a barrier in sync (four i32,
 * zero before the first thread starts (threads.ts, barrier), then 2 · parts f64). Each step's axpy
 * and the next step's dot product share one pass (axpyDot). alpha: k f64 scratch per part. The
 * arithmetic is that of dot and axpy above, in the recursion's order.
 */
export function twoLoop(
  part: i32, parts: i32, g: usize, sList: usize, yList: usize, rho: usize, k: i32, hDiag: f64,
  d: usize, n: i32, sync: usize, alpha: usize,
): void {
  const blocks = (n + SUM_BLOCK - 1) / SUM_BLOCK;
  const begin = min(n, blocks * part / parts * SUM_BLOCK);
  const len = min(n, blocks * (part + 1) / parts * SUM_BLOCK) - begin;
  const off = <usize>begin << 2;
  const dq = d + off;
  const gq = g + off;
  for (let j = 0; j < len; j++) store<f32>(dq + (<usize>j << 2), -load<f32>(gq + (<usize>j << 2)));
  if (k == 0) {
    scale64(hDiag, dq, len);
    return;
  }
  const alphas = alpha + ((<usize>(part * k)) << 3);
  let step = 0;
  // First loop, newest pair first: αⱼ = ρⱼ sⱼᵀd, d −= αⱼ yⱼ; then d = hDiag · d.
  let mine = dot(at(sList, k - 1) + off, dq, len);
  for (let j = k - 1; j >= 0; j--) {
    const a = load<f64>(rho + (<usize>j << 3)) * meet(sync, parts, part, step++, mine);
    store<f64>(alphas + (<usize>j << 3), a);
    if (j > 0) {
      mine = axpyDot(<f32>-a, at(yList, j) + off, dq, at(sList, j - 1) + off, len);
    } else {
      axpy(<f32>-a, at(yList, 0) + off, dq, len);
      scale64(hDiag, dq, len);
      mine = dot(at(yList, 0) + off, dq, len);
    }
  }
  // Second loop, oldest pair first: βⱼ = ρⱼ yⱼᵀd, d += (αⱼ − βⱼ) sⱼ.
  for (let j = 0; j < k; j++) {
    const b = load<f64>(rho + (<usize>j << 3)) * meet(sync, parts, part, step++, mine);
    const c = <f32>(load<f64>(alphas + (<usize>j << 3)) - b);
    if (j + 1 < k) mine = axpyDot(c, at(sList, j) + off, dq, at(yList, j + 1) + off, len);
    else axpy(c, at(sList, j) + off, dq, len);
  }
}
