// The inner part of SGEMM (gemm.ts): packing of op(A) and op(B) into contiguous slivers (NR
// columns / MR rows, k-major), and a 4 × 8 micro-kernel that keeps its tile of C in eight f32x4
// accumulators. 4 × 8 is the largest tile that fits V8's 16 XMM registers without spilling.

import { MR, NR } from "./memory";
import { madd, storeTransposed } from "./lanes";
import { sigmoid1, sigmoid4 } from "./math";

/**
 * Packs depths [k0, k0+kc) × columns [c0, c0+count) of a matrix stored depth by depth (row k at
 * M + k·ld) into slivers of `width` (MR or NR) columns, k-major, the last zero-padded: a
 * transposed A or a plain B. Each depth's row is read once, front to back, and its `width`
 * values for each sliver stored; a sliver at a time, the reads would stride down the rows (one
 * thread: Hᵀ·H, K = 60000, 112 → 93 ms).
 */
@inline
function packRows(M: usize, ld: i32, k0: i32, c0: i32, kc: i32, count: i32, width: i32, dst: usize): void {
  // width is MR (4) or NR (8): one or two vectors per sliver and depth.
  const whole = count & ~(width - 1);
  const sliverBytes = <usize>kc * width * 4;
  for (let k = 0; k < kc; k++) {
    const src = M + ((<usize>(k0 + k) * ld + c0) << 2);
    let d = dst + ((<usize>k * width) << 2);
    for (let c = 0; c < whole; c += width) {
      const from = src + (<usize>c << 2);
      v128.store(d, v128.load(from));
      if (width == 8) v128.store(d, v128.load(from, 16), 16);
      d += sliverBytes;
    }
    if (whole < count) {
      for (let j = 0; j < width; j++) {
        store<f32>(d + (<usize>j << 2), whole + j < count ? load<f32>(src + (<usize>(whole + j) << 2)) : 0);
      }
    }
  }
}

/**
 * Packs rows [r0, r0+count) × depths [k0, k0+kc) of a matrix stored row by row (depth k of row r
 * at M + (r·ld + k)·4) into slivers of `width` (MR or NR) rows, k-major, the last zero-padded: a
 * plain A or a transposed B, the mirror of packRows. Whole slivers move 4 × 4 blocks through
 * registers, four rows at a time, rather than one float at a time.
 */
@inline
function packDepthRows(M: usize, ld: i32, r0: i32, k0: i32, count: i32, kc: i32, width: i32, dst: usize): void {
  const rowBytes = <usize>ld << 2;
  const depthBytes = <usize>width << 2; // one depth of a sliver
  for (let s = 0; s < count; s += width) {
    const rows = min(width, count - s);
    const src = M + ((<usize>(r0 + s) * ld + k0) << 2);
    if (rows == width) {
      for (let q = 0; q < width; q += 4) {
        const s0 = src + <usize>q * rowBytes;
        const d0 = dst + (<usize>q << 2);
        let k = 0;
        for (; k + 4 <= kc; k += 4) {
          const p = s0 + (<usize>k << 2);
          const v0 = v128.load(p);
          const v1 = v128.load(p + rowBytes);
          const v2 = v128.load(p + 2 * rowBytes);
          const v3 = v128.load(p + 3 * rowBytes);
          storeTransposed(v0, v1, v2, v3, d0 + <usize>k * depthBytes, depthBytes);
        }
        for (; k < kc; k++) {
          const p = s0 + (<usize>k << 2);
          const d = d0 + <usize>k * depthBytes;
          store<f32>(d, load<f32>(p));
          store<f32>(d, load<f32>(p + rowBytes), 4);
          store<f32>(d, load<f32>(p + 2 * rowBytes), 8);
          store<f32>(d, load<f32>(p + 3 * rowBytes), 12);
        }
      }
    } else {
      // The last sliver: its rows one float at a time, the missing ones as zeros.
      for (let i = 0; i < width; i++) {
        const d = dst + (<usize>i << 2);
        if (i < rows) {
          const row = src + <usize>i * rowBytes;
          for (let k = 0; k < kc; k++) store<f32>(d + <usize>k * depthBytes, load<f32>(row + (<usize>k << 2)));
        } else {
          for (let k = 0; k < kc; k++) store<f32>(d + <usize>k * depthBytes, 0);
        }
      }
    }
    dst += <usize>kc * depthBytes;
  }
}

/** Packs rows [i0, i0+mc) × depths [k0, k0+kc) of op(A) into MR-row slivers, k-major, zero-padded. */
export function packA(transA: bool, A: usize, lda: i32, i0: i32, k0: i32, mc: i32, kc: i32, dst: usize): void {
  if (transA) {
    // A is stored K × M: op(A)'s columns are A's rows.
    packRows(A, lda, k0, i0, kc, mc, MR, dst);
  } else {
    packDepthRows(A, lda, i0, k0, mc, kc, MR, dst);
  }
}

/** Packs depths [k0, k0+kc) × columns [j0, j0+nc) of op(B) into NR-column slivers, k-major, zero-padded. */
export function packB(transB: bool, B: usize, ldb: i32, k0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
  if (transB) {
    // B is stored N × K: op(B)'s columns are B's rows.
    packDepthRows(B, ldb, j0, k0, nc, kc, NR, dst);
  } else {
    packRows(B, ldb, k0, j0, kc, nc, NR, dst);
  }
}

/**
 * C[0:mr, 0:nr] += alpha · (packed A sliver) · (packed B sliver), or = when `overwrite` (the first
 * depth block of a product with beta = 0: saves a pass that zeroes C); then C = σ(C + bias) where
 * a bias (nr f32) is given. tile is an MR × NR scratch. 91 lines: the tile is eight named
 * accumulators that no helper can hand back, and with its stores in inlined helpers Binaryen
 * compiles sgemm differently.
 */
@inline
export function microKernel(
  kc: i32, pa: usize, pb: usize, c: usize, ldc: i32, alpha: f32, mr: i32, nr: i32, tile: usize, overwrite: bool, bias: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb, 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa, 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa, 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa, 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    pa += 16;
    pb += 32;
  }
  const va = f32x4.splat(alpha);
  const rowBytes = <usize>ldc << 2;
  if (bias != 0 && mr == MR && nr == NR) {
    // The last depth block of a product with a bias: σ(C + b) stored while the tile is in registers.
    const b0 = v128.load(bias);
    const b1 = v128.load(bias, 16);
    let p = c;
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c00) : madd(va, c00, v128.load(p)), b0)));
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c01) : madd(va, c01, v128.load(p, 16)), b1)), 16);
    p += rowBytes;
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c10) : madd(va, c10, v128.load(p)), b0)));
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c11) : madd(va, c11, v128.load(p, 16)), b1)), 16);
    p += rowBytes;
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c20) : madd(va, c20, v128.load(p)), b0)));
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c21) : madd(va, c21, v128.load(p, 16)), b1)), 16);
    p += rowBytes;
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c30) : madd(va, c30, v128.load(p)), b0)));
    v128.store(p, sigmoid4(f32x4.add(overwrite ? f32x4.mul(va, c31) : madd(va, c31, v128.load(p, 16)), b1)), 16);
    return;
  }
  if (mr == MR && nr == NR) {
    let p = c;
    if (overwrite) {
      v128.store(p, f32x4.mul(va, c00));
      v128.store(p, f32x4.mul(va, c01), 16);
      p += rowBytes;
      v128.store(p, f32x4.mul(va, c10));
      v128.store(p, f32x4.mul(va, c11), 16);
      p += rowBytes;
      v128.store(p, f32x4.mul(va, c20));
      v128.store(p, f32x4.mul(va, c21), 16);
      p += rowBytes;
      v128.store(p, f32x4.mul(va, c30));
      v128.store(p, f32x4.mul(va, c31), 16);
      return;
    }
    v128.store(p, madd(va, c00, v128.load(p)));
    v128.store(p, madd(va, c01, v128.load(p, 16)), 16);
    p += rowBytes;
    v128.store(p, madd(va, c10, v128.load(p)));
    v128.store(p, madd(va, c11, v128.load(p, 16)), 16);
    p += rowBytes;
    v128.store(p, madd(va, c20, v128.load(p)));
    v128.store(p, madd(va, c21, v128.load(p, 16)), 16);
    p += rowBytes;
    v128.store(p, madd(va, c30, v128.load(p)));
    v128.store(p, madd(va, c31, v128.load(p, 16)), 16);
  } else {
    v128.store(tile, c00);
    v128.store(tile, c01, 16);
    v128.store(tile, c10, 32);
    v128.store(tile, c11, 48);
    v128.store(tile, c20, 64);
    v128.store(tile, c21, 80);
    v128.store(tile, c30, 96);
    v128.store(tile, c31, 112);
    for (let i = 0; i < mr; i++) {
      for (let j = 0; j < nr; j++) {
        const p = c + <usize>i * rowBytes + (<usize>j << 2);
        const t = alpha * load<f32>(tile + (<usize>(i * NR + j) << 2));
        const v = overwrite ? t : load<f32>(p) + t;
        store<f32>(p, bias != 0 ? sigmoid1(v + load<f32>(bias + (<usize>j << 2))) : v);
      }
    }
  }
}
