// stackae float32 kernels, compiled to WebAssembly SIMD (and to a relaxed-SIMD variant with
// fused multiply-add). Every function works on raw byte addresses into the one linear memory
// that the host owns (`--importMemory`); nothing here allocates. Row-major throughout.

// ---------------------------------------------------------------------------------------------
// SGEMM: C = alpha · op(A) · op(B) + beta · C, op(A) M × K, op(B) K × N, C M × N.
// Goto/BLIS blocking: a KC × NC panel of op(B) and an MC × KC block of op(A) are packed into
// contiguous slivers (NR columns / MR rows, k-major), and a 4 × 8 micro-kernel keeps its tile of
// C in eight f32x4 accumulators. 4 × 8 is the largest tile that fits V8's 16 XMM registers
// without spilling (DESIGN.md, "Kernel craft").
// ---------------------------------------------------------------------------------------------

const MR: i32 = 4;
const NR: i32 = 8;
/**
 * Most depth of a packed block: a 4 × KC sliver of A (8 KiB) and a KC × 8 sliver of B (16 KiB).
 * KC = 512 and MC = 96 measured 15–30 % faster than 256 and 128 on the experiment's shapes
 * (scratch sweep, 3 interleaved rounds, FMA, 1 thread, 2026-11-25).
 */
const KC: i32 = 512;
/** Rows of the packed A block (MC × KC · 4 B = 192 KiB, in L2). */
const MC: i32 = 96;
/** Columns of the packed B panel (KC × NC · 4 B = 4 MiB, in L3). */
const NC: i32 = 2048;

/** Bytes the host must reserve for the packing buffers `packA` and `packB`, and the edge tile. */
export const PACK_A_BYTES: i32 = MC * KC * 4;
export const PACK_B_BYTES: i32 = KC * NC * 4;
export const TILE_BYTES: i32 = MR * NR * 4;

@inline
function madd(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) {
    return f32x4.relaxed_madd(a, b, c);
  } else {
    return f32x4.add(f32x4.mul(a, b), c);
  }
}

/** True when this build uses relaxed-SIMD fused multiply-add. */
export function usesRelaxedSimd(): bool {
  return ASC_FEATURE_RELAXED_SIMD;
}

/** First byte the host may use: everything below belongs to this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

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

/** Stores the 4 × 4 block whose rows are r0…r3 transposed: its columns at d, d + stride, … */
@inline
function storeTransposed(r0: v128, r1: v128, r2: v128, r3: v128, d: usize, stride: usize): void {
  const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
  v128.store(d, i64x2.shuffle(t0, t1, 0, 2));
  v128.store(d + stride, i64x2.shuffle(t0, t1, 1, 3));
  v128.store(d + 2 * stride, i64x2.shuffle(t2, t3, 0, 2));
  v128.store(d + 3 * stride, i64x2.shuffle(t2, t3, 1, 3));
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
function packA(transA: bool, A: usize, lda: i32, i0: i32, k0: i32, mc: i32, kc: i32, dst: usize): void {
  if (transA) {
    // A is stored K × M: op(A)'s columns are A's rows.
    packRows(A, lda, k0, i0, kc, mc, MR, dst);
  } else {
    packDepthRows(A, lda, i0, k0, mc, kc, MR, dst);
  }
}

/** Packs depths [k0, k0+kc) × columns [j0, j0+nc) of op(B) into NR-column slivers, k-major, zero-padded. */
function packB(transB: bool, B: usize, ldb: i32, k0: i32, j0: i32, kc: i32, nc: i32, dst: usize): void {
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
 * a bias (nr f32) is given. tile is an MR × NR scratch.
 */
@inline
function microKernel(
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
    // The last depth block of gemmBiasSigmoid: σ(C + b) stored while the tile is in registers.
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

/**
 * C (M × N, leading dimension ldc) = alpha · op(A) · op(B) + beta · C. op(A) is M × K (A stored
 * K × M with leading dimension lda when transA), op(B) is K × N (B stored N × K when transB).
 * beta = 0 overwrites C (NaN in C does not propagate). packA, packB and tile are scratch
 * buffers of PACK_A_BYTES, PACK_B_BYTES and TILE_BYTES, 16-byte aligned. With a bias row
 * (N f32; 0 for none), C = σ(that + 1·biasᵀ), applied to each tile of the last depth block as it
 * is stored: biasSigmoid's arithmetic without its pass over C.
 */
export function sgemm(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
  packABuf: usize, packBBuf: usize, tile: usize, bias: usize,
): void {
  // beta = 0 with work to do: the first depth block stores its tiles instead of adding to C.
  const overwrite = beta == 0 && K > 0 && alpha != 0;
  if (beta != 1 && !overwrite) {
    for (let i = 0; i < M; i++) scaleRow(C + ((<usize>i * ldc) << 2), N, beta);
  }
  if (K == 0 || alpha == 0) {
    if (bias != 0) {
      for (let i = 0; i < M; i++) {
        const row = C + ((<usize>i * ldc) << 2);
        biasSigmoid(row, bias, 1, N, row);
      }
    }
    return;
  }
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    // Depth blocks of equal size, none deeper than KC: K = 784 with KC = 512 gives 2 × 392
    // rather than 512 + 272 (a thin last block costs a whole extra pass over C).
    const kBlocks = (K + KC - 1) / KC;
    const kStep = (K + kBlocks - 1) / kBlocks;
    for (let pc = 0; pc < K; pc += kStep) {
      const kc = min(kStep, K - pc);
      const last = bias != 0 && pc + kc >= K;
      packB(transB, B, ldb, pc, jc, kc, nc, packBBuf);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(transA, A, lda, ic, pc, mc, kc, packABuf);
        for (let jr = 0; jr < nc; jr += NR) {
          const pb = packBBuf + <usize>jr * kc * 4;
          const nr = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(
              kc, packABuf + <usize>ir * kc * 4, pb,
              C + ((<usize>(ic + ir) * ldc + jc + jr) << 2), ldc, alpha, min(MR, mc - ir), nr, tile, overwrite && pc == 0,
              last ? bias + (<usize>(jc + jr) << 2) : 0,
            );
          }
        }
      }
    }
  }
}

/** Takes the next chunk number from the shared counter at `counter` (atomically where threads exist). */
@inline
function claim(counter: usize): i32 {
  if (ASC_FEATURE_THREADS) {
    return atomic.add<i32>(counter, 1);
  } else {
    const c = load<i32>(counter);
    store<i32>(counter, c + 1);
    return c;
  }
}

/**
 * sgemm in chunks that the calling threads take turns to claim: rows of C (`byRows`) or columns,
 * `chunk` at a time (a multiple of MR or NR), chunk k taken by whichever thread asks k-th through
 * the i32 counter at `counter` (zero before the first thread starts). Every thread runs this with
 * the same arguments but its own packing buffers; a core slowed by other work takes fewer chunks
 * instead of holding the others up at the end.
 */
export function sgemmChunked(
  counter: usize, chunk: i32, byRows: bool,
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
  packABuf: usize, packBBuf: usize, tile: usize, bias: usize,
): void {
  const total = byRows ? M : N;
  for (;;) {
    const start = claim(counter) * chunk;
    if (start >= total) return;
    const count = min(chunk, total - start);
    if (byRows) {
      const a = A + ((transA ? <usize>start : <usize>start * lda) << 2);
      const c = C + ((<usize>start * ldc) << 2);
      sgemm(transA, transB, count, N, K, alpha, a, lda, B, ldb, beta, c, ldc, packABuf, packBBuf, tile, bias);
    } else {
      const b = B + ((transB ? <usize>start * ldb : <usize>start) << 2);
      const at = bias != 0 ? bias + (<usize>start << 2) : 0;
      sgemm(transA, transB, M, count, K, alpha, A, lda, b, ldb, beta, C + (<usize>start << 2), ldc, packABuf, packBBuf, tile, at);
    }
  }
}

/** x[0:n] *= beta, with beta = 0 writing exact zeros. */
function scaleRow(x: usize, n: i32, beta: f32): void {
  const vb = f32x4.splat(beta);
  let j = 0;
  if (beta == 0) {
    for (; j + 4 <= n; j += 4) v128.store(x + (<usize>j << 2), f32x4.splat(0));
    for (; j < n; j++) store<f32>(x + (<usize>j << 2), 0);
  } else {
    for (; j + 4 <= n; j += 4) {
      const p = x + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), vb));
    }
    for (; j < n; j++) {
      const p = x + (<usize>j << 2);
      store<f32>(p, load<f32>(p) * beta);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Element-wise maps and reductions.
// ---------------------------------------------------------------------------------------------

const LOG2E: f32 = 1.4426950408889634;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
/** 1.5 · 2^23: a float in [2^23, 2^24) has no fraction bits, so adding it rounds to an integer. */
const ROUNDER: f32 = 12582912;
const ROUNDER_BITS: i32 = 0x4b400000;

/**
 * e^x for four lanes: x = n·ln2 + r with |r| ≤ ln2/2, e^r by its degree-6 Taylor polynomial
 * (relative error < 2e-7 on that interval), 2^n built in the exponent bits. x is clamped to
 * [-87.3, 88.3] so that 2^n stays a normal float.
 */
@inline
function exp4(x: v128): v128 {
  // pmin/pmax are one instruction each (minps/maxps); min/max take several for their NaN and
  // signed-zero rules. A NaN x stays NaN: it is the first operand.
  x = f32x4.pmin(f32x4.pmax(x, f32x4.splat(-87.3)), f32x4.splat(88.3));
  // n = round(x · log2 e) by adding 1.5 · 2^23, whose float holds n in its low mantissa bits:
  // the bits give 2^n below without a float-to-int conversion (several instructions in V8).
  const t = madd(x, f32x4.splat(LOG2E), f32x4.splat(ROUNDER));
  const n = f32x4.sub(t, f32x4.splat(ROUNDER));
  let r = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.splat(1.0 / 720.0);
  p = madd(p, r, f32x4.splat(1.0 / 120.0));
  p = madd(p, r, f32x4.splat(1.0 / 24.0));
  p = madd(p, r, f32x4.splat(1.0 / 6.0));
  p = madd(p, r, f32x4.splat(0.5));
  p = madd(p, r, f32x4.splat(1.0));
  p = madd(p, r, f32x4.splat(1.0));
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127 - ROUNDER_BITS)), 23);
  return f32x4.mul(p, scale);
}

/** The smallest normal float, 2^-126. */
const FLT_MIN: f32 = 1.17549435e-38;

/**
 * v with every lane below the smallest normal float in magnitude set to 0 (NaN stays NaN).
 * Subnormal operands make Intel's cores multiply through a microcode assist, so that a product
 * of saturated activations or deltas runs many times slower; results this small are zeros to
 * every sum they enter.
 */
@inline
function flush4(v: v128): v128 {
  return v128.andnot(v, f32x4.lt(f32x4.abs(v), f32x4.splat(FLT_MIN)));
}

@inline
function flush1(v: f32): f32 {
  return abs<f32>(v) < FLT_MIN ? 0 : v;
}

/**
 * σ(z) = 1 / (1 + e^−z) for four lanes. Below z = −87 the quotient would be subnormal, and
 * dividing into a subnormal costs a microcode assist on Intel's cores (the sigmoids of one
 * saturated first-autoencoder evaluation: 132 ms against 82, bench:profile --scale 20): those
 * lanes divide by e^87 instead, σ(−87) ≈ 1.6e-38 is still normal, and then they are set to 0, as
 * flush4 would set the true σ(z) < 1.2e-38 of z below about −87.3.
 */
@inline
function sigmoid4(z: v128): v128 {
  const one = f32x4.splat(1);
  const low = f32x4.splat(-87);
  const q = f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(f32x4.pmax(z, low)))));
  return v128.andnot(q, f32x4.lt(z, low));
}

@inline
function sigmoid1(z: f32): f32 {
  return f32x4.extract_lane(sigmoid4(f32x4.splat(z)), 0);
}

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

/** Lanes summed in f64: partial f32 sums never run over more than one block. */
@inline
function hsum64(v: v128): f64 {
  return <f64>f32x4.extract_lane(v, 0) + <f64>f32x4.extract_lane(v, 1) +
    <f64>f32x4.extract_lane(v, 2) + <f64>f32x4.extract_lane(v, 3);
}

/** Block length for float32 partial sums before they are added into a float64 total. */
const SUM_BLOCK: i32 = 1024;

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

/**
 * Spins of a thread waiting at a barrier before it sleeps: about 33 µs here (0.5 ns a spin). The
 * steps between two barriers take tens of microseconds, and threads that each have a core meet
 * while spinning. With 4,096 spins (about 2 µs) they fell asleep: L-BFGS's iteration in
 * `npm run bench:lbfgs`, 2 threads, took 25 ms against 21 ms with 65,536.
 */
const SPINS: i32 = 65536;

/**
 * Waits until all `parts` threads have called it: i32 words at sync count the arrivals, the
 * generation (sync + 4) and the threads asleep (sync + 8). Spins, then sleeps
 * (memory.atomic.wait32) until the last thread to arrive wakes it: a thread without a core of its
 * own (more threads than cores, or other work on them) must not be kept from running by the
 * others' spinning, which made each L-BFGS iteration 25 times slower with 3 threads on 2 cores.
 * The last thread calls notify only when one sleeps: a sleeper counts itself before it waits, and
 * its wait returns at once if the generation has moved on.
 */
function barrier(sync: usize, parts: i32): void {
  if (ASC_FEATURE_THREADS) {
    const generation = atomic.load<i32>(sync, 4);
    if (atomic.add<i32>(sync, 1) == parts - 1) {
      atomic.store<i32>(sync, 0);
      atomic.add<i32>(sync, 1, 4);
      if (atomic.load<i32>(sync, 8) > 0) atomic.notify(sync + 4, parts - 1);
    } else {
      for (let spin = 0; atomic.load<i32>(sync, 4) == generation; spin++) {
        if (spin >= SPINS) {
          atomic.add<i32>(sync, 1, 8);
          atomic.wait<i32>(sync + 4, generation, -1);
          atomic.sub<i32>(sync, 1, 8);
        }
      }
    }
  }
}

/**
 * This part's share `mine` of a dot product in, the whole out: the parts' shares are f64 at
 * sync + 16 (two halves of `parts`, one per step parity, so that a step's sums are not overwritten
 * while a slower thread still reads them), added in order after the barrier.
 */
function meet(sync: usize, parts: i32, part: i32, step: i32, mine: f64): f64 {
  const half = sync + 16 + ((<usize>((step & 1) * parts)) << 3);
  store<f64>(half + (<usize>part << 3), mine);
  if (parts > 1) barrier(sync, parts);
  let total: f64 = 0;
  for (let p = 0; p < parts; p++) total += load<f64>(half + (<usize>p << 3));
  return total;
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
 * zero before the first thread starts (see barrier), then 2 · parts f64). Each step's axpy
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

// ---------------------------------------------------------------------------------------------
// Products with a sparse matrix S (m × n) in compressed sparse rows: rowStart (m + 1 i32),
// colIndex (nnz i32), values (nnz f32). The data layer of MNIST is 81 % zeros, and these skip
// them: S·Wᵀ reads a row of Wᵀ per non-zero; Dᵀ·S (sparseTMulBlocks) reads the same non-zeros
// in column order within blocks of rows, and adds a row of D per non-zero into registers, then
// into a row of the result per column and block. Five f32x4 per block: with more, V8 hoists the loads above the multiply-adds, runs
// out of registers and spills an accumulator to the stack (seen in --print-wasm-code): S·Wᵀ with
// eight per block took about 1.6 times as long as with five (scratch comparison of 4, 5, 6, 7, 8
// and 10 on the first autoencoder's shapes, one thread, 2026-11-25; Dᵀ·S varied less).
// ---------------------------------------------------------------------------------------------

const SB: i32 = 20;

/**
 * Z rows [r0, r1) (each h wide) = S rows [r0, r1) · Wᵀ, with Wt = Wᵀ stored n × h; with a bias
 * row (h f32; 0 for none), σ(that + bias) as biasSigmoid computes it, applied in registers.
 */
export function sparseMulT(
  r0: i32, r1: i32, rowStart: usize, colIndex: usize, values: usize, Wt: usize, h: i32, Z: usize, bias: usize,
): void {
  const rowBytes = <usize>h << 2;
  for (let i = r0; i < r1; i++) {
    const p0 = load<i32>(rowStart + (<usize>i << 2));
    const p1 = load<i32>(rowStart + (<usize>(i + 1) << 2));
    const z = Z + <usize>i * rowBytes;
    let c = 0;
    for (; c + SB <= h; c += SB) {
      let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0);
      const wc = Wt + (<usize>c << 2);
      for (let p = p0; p < p1; p++) {
        const x = v128.load32_splat(values + (<usize>p << 2));
        const w = wc + <usize>load<i32>(colIndex + (<usize>p << 2)) * rowBytes;
        a0 = madd(x, v128.load(w), a0);
        a1 = madd(x, v128.load(w, 16), a1);
        a2 = madd(x, v128.load(w, 32), a2);
        a3 = madd(x, v128.load(w, 48), a3);
        a4 = madd(x, v128.load(w, 64), a4);
      }
      const o = z + (<usize>c << 2);
      if (bias != 0) {
        const bc = bias + (<usize>c << 2);
        a0 = sigmoid4(f32x4.add(a0, v128.load(bc)));
        a1 = sigmoid4(f32x4.add(a1, v128.load(bc, 16)));
        a2 = sigmoid4(f32x4.add(a2, v128.load(bc, 32)));
        a3 = sigmoid4(f32x4.add(a3, v128.load(bc, 48)));
        a4 = sigmoid4(f32x4.add(a4, v128.load(bc, 64)));
      }
      v128.store(o, a0);
      v128.store(o, a1, 16);
      v128.store(o, a2, 32);
      v128.store(o, a3, 48);
      v128.store(o, a4, 64);
    }
    for (; c + 4 <= h; c += 4) {
      let a0 = f32x4.splat(0);
      const wc = Wt + (<usize>c << 2);
      for (let p = p0; p < p1; p++) {
        const x = v128.load32_splat(values + (<usize>p << 2));
        a0 = madd(x, v128.load(wc + <usize>load<i32>(colIndex + (<usize>p << 2)) * rowBytes), a0);
      }
      v128.store(z + (<usize>c << 2), bias != 0 ? sigmoid4(f32x4.add(a0, v128.load(bias + (<usize>c << 2)))) : a0);
    }
    for (; c < h; c++) {
      let s: f32 = 0;
      const wc = Wt + (<usize>c << 2);
      for (let p = p0; p < p1; p++) {
        s += load<f32>(values + (<usize>p << 2)) * load<f32>(wc + <usize>load<i32>(colIndex + (<usize>p << 2)) * rowBytes);
      }
      store<f32>(z + (<usize>c << 2), bias != 0 ? sigmoid1(s + load<f32>(bias + (<usize>c << 2))) : s);
    }
  }
}

/**
 * Rows of a column block (columnBlocks, sparseTMulBlocks). A pass of sparseTMulBlocks reads a
 * TB-column slice of the block's rows of D: 256 rows × two cache lines, 32 KiB, in L1. Dᵀ·S of
 * the first autoencoder per block size (ms, `npm run bench:profile`, 2 threads, this project's
 * Xeon, 2026-12-01): 32: 65, 64: 58, 128: 56, 256: 53, 512: 61, 1024: 73, 2048: 81.
 */
export const BLOCK_ROWS: i32 = 256;

/** The number of non-zero values among a's n f32 (−0 is zero, NaN is not), four at a time. */
export function countNonZeros(a: usize, n: i32): i32 {
  const zero = f32x4.splat(0);
  let lanes = i32x4.splat(0);
  let i = 0;
  // f32x4.ne gives −1 in each lane that is not zero.
  for (; i + 4 <= n; i += 4) lanes = i32x4.sub(lanes, f32x4.ne(v128.load(a + (<usize>i << 2)), zero));
  let count =
    i32x4.extract_lane(lanes, 0) + i32x4.extract_lane(lanes, 1) + i32x4.extract_lane(lanes, 2) + i32x4.extract_lane(lanes, 3);
  for (; i < n; i++) count += <i32>(load<f32>(a + (<usize>i << 2)) != 0);
  return count;
}

/**
 * For each 4-bit mask of non-zero lanes, the i8x16.swizzle that moves those lanes, in order, to
 * the front of a vector (the rest are zeroed): 16 masks × 16 bytes.
 */
const COMPRESS: usize = memory.data<u8>([
  128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 128, 128, 128, 128, 128, 128, 128, 128,
  8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 128, 128, 128, 128,
  12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 12, 13, 14, 15, 128, 128, 128, 128,
  8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128, 128, 128, 128, 128,
  0, 1, 2, 3, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 128, 128, 128, 128,
  0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
]);

/**
 * The CSR arrays of a (rows × cols f32, row-major): rowStart (rows + 1 i32), colIndex (i32) and
 * values (f32), each of the non-zeros' count + 4. Four values at a time, the non-zeros are moved
 * to the front of the vector (COMPRESS), which is stored whole, and the next slot is the first
 * after them; one at a time at the end of a row, every value is stored and the next slot taken
 * only after a non-zero. So the loop has no branch on the data (MNIST's zeros and non-zeros come
 * in no order a branch predictor learns), and the last store may fall on the extra slots. One
 * value at a time it took 159 µs of fromDense's 267 for 256 MNIST rows; fromDense with free went
 * from 261–285 to 178–181 µs (scratch timings, 2026-12-02).
 */
export function csrFill(a: usize, rows: i32, cols: i32, rowStart: usize, colIndex: usize, values: usize): void {
  const zero = f32x4.splat(0);
  const four = i32x4.splat(4);
  let p = 0;
  for (let i = 0; i < rows; i++) {
    store<i32>(rowStart + (<usize>i << 2), p);
    const row = a + ((<usize>i * <usize>cols) << 2);
    let columns = i32x4(0, 1, 2, 3);
    let j = 0;
    for (; j + 4 <= cols; j += 4) {
      const v = v128.load(row + (<usize>j << 2));
      const mask = i32x4.bitmask(f32x4.ne(v, zero));
      const front = v128.load(COMPRESS + (<usize>mask << 4));
      v128.store(values + (<usize>p << 2), i8x16.swizzle(v, front));
      v128.store(colIndex + (<usize>p << 2), i8x16.swizzle(columns, front));
      p += <i32>popcnt(mask);
      columns = i32x4.add(columns, four);
    }
    for (; j < cols; j++) {
      const v = load<f32>(row + (<usize>j << 2));
      store<i32>(colIndex + (<usize>p << 2), j);
      store<f32>(values + (<usize>p << 2), v);
      p += <i32>(v != 0);
    }
  }
  store<i32>(rowStart + (<usize>rows << 2), p);
}

/**
 * The non-zeros of each block of BLOCK_ROWS rows of a CSR matrix (rows × n) in column order, for
 * sparseTMulBlocks: block b's non-zeros keep their places [rowStart[b·BLOCK_ROWS],
 * rowStart[(b + 1)·BLOCK_ROWS]); colStart (i32, n + 1 per block) is where each column starts,
 * row (u16) the row within the block, blockValues the value. next: n i32 of scratch.
 */
export function columnBlocks(
  rowStart: usize, colIndex: usize, values: usize, rows: i32, n: i32,
  colStart: usize, row: usize, blockValues: usize, next: usize,
): void {
  for (let r0 = 0; r0 < rows; r0 += BLOCK_ROWS) {
    const r1 = min(rows, r0 + BLOCK_ROWS);
    const start = colStart + ((<usize>(r0 / BLOCK_ROWS) * (n + 1)) << 2);
    for (let k = 0; k <= n; k++) store<i32>(start + (<usize>k << 2), 0);
    const p0 = load<i32>(rowStart + (<usize>r0 << 2));
    const p1 = load<i32>(rowStart + (<usize>r1 << 2));
    for (let p = p0; p < p1; p++) {
      const at = start + (<usize>(load<i32>(colIndex + (<usize>p << 2)) + 1) << 2);
      store<i32>(at, load<i32>(at) + 1);
    }
    store<i32>(start, p0);
    for (let k = 0; k < n; k++) {
      const at = start + (<usize>k << 2);
      const s = load<i32>(at);
      store<i32>(at, s + load<i32>(at, 4), 4);
      store<i32>(next + (<usize>k << 2), s);
    }
    for (let i = r0; i < r1; i++) {
      const q1 = load<i32>(rowStart + (<usize>(i + 1) << 2));
      for (let p = load<i32>(rowStart + (<usize>i << 2)); p < q1; p++) {
        const slot = next + (<usize>load<i32>(colIndex + (<usize>p << 2)) << 2);
        const at = load<i32>(slot);
        store<i32>(slot, at + 1);
        store<u16>(row + (<usize>at << 1), <u16>(i - r0));
        store<f32>(blockValues + (<usize>at << 2), load<f32>(values + (<usize>p << 2)));
      }
    }
  }
}

/**
 * Columns of Gt summed in registers per column of a block: five f32x4, as in sparseMulT (SB).
 * At 256-row blocks Dᵀ·S took 68 ms with four, 53 with five, 57 with six; ten (at 32 rows)
 * 71 against 65 with five (same command as BLOCK_ROWS).
 */
const TB: i32 = 20;

/**
 * Gt (n × h) += Sᵀ · D over rows [r0, r1) of S (r0 a multiple of BLOCK_ROWS) and columns
 * [c0, c1) of D and Gt, from S's column blocks (columnBlocks): for each block and each column k,
 * Σ S[i][k] · D[i, c:c+TB] over the block's non-zeros of column k is summed in registers and
 * added to Gt once, so that each non-zero reads a slice of D from L1 instead of reading and
 * writing a slice of Gt (79 → 53 ms for the first autoencoder's Dᵀ·S, 2 threads).
 */
export function sparseTMulBlocks(
  r0: i32, r1: i32, c0: i32, c1: i32, n: i32, colStart: usize, row: usize, blockValues: usize, D: usize, h: i32, Gt: usize,
): void {
  const rowBytes = <usize>h << 2;
  for (let b0 = r0; b0 < r1; b0 += BLOCK_ROWS) {
    const start = colStart + ((<usize>(b0 / BLOCK_ROWS) * (n + 1)) << 2);
    const block = D + <usize>b0 * rowBytes;
    let c = c0;
    for (; c + TB <= c1; c += TB) {
      const dc = block + (<usize>c << 2);
      const gc = Gt + (<usize>c << 2);
      for (let k = 0; k < n; k++) {
        const p0 = load<i32>(start + (<usize>k << 2));
        const p1 = load<i32>(start + (<usize>k << 2), 4);
        if (p0 == p1) continue;
        let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0);
        for (let p = p0; p < p1; p++) {
          const x = v128.load32_splat(blockValues + (<usize>p << 2));
          const d = dc + <usize>load<u16>(row + (<usize>p << 1)) * rowBytes;
          a0 = madd(x, v128.load(d), a0);
          a1 = madd(x, v128.load(d, 16), a1);
          a2 = madd(x, v128.load(d, 32), a2);
          a3 = madd(x, v128.load(d, 48), a3);
          a4 = madd(x, v128.load(d, 64), a4);
        }
        const g = gc + <usize>k * rowBytes;
        v128.store(g, f32x4.add(v128.load(g), a0));
        v128.store(g, f32x4.add(v128.load(g, 16), a1), 16);
        v128.store(g, f32x4.add(v128.load(g, 32), a2), 32);
        v128.store(g, f32x4.add(v128.load(g, 48), a3), 48);
        v128.store(g, f32x4.add(v128.load(g, 64), a4), 64);
      }
    }
    for (; c + 4 <= c1; c += 4) {
      const dc = block + (<usize>c << 2);
      const gc = Gt + (<usize>c << 2);
      for (let k = 0; k < n; k++) {
        const p0 = load<i32>(start + (<usize>k << 2));
        const p1 = load<i32>(start + (<usize>k << 2), 4);
        if (p0 == p1) continue;
        let a0 = f32x4.splat(0);
        for (let p = p0; p < p1; p++) {
          const x = v128.load32_splat(blockValues + (<usize>p << 2));
          a0 = madd(x, v128.load(dc + <usize>load<u16>(row + (<usize>p << 1)) * rowBytes), a0);
        }
        const g = gc + <usize>k * rowBytes;
        v128.store(g, f32x4.add(v128.load(g), a0));
      }
    }
    for (; c < c1; c++) {
      const dc = block + (<usize>c << 2);
      const gc = Gt + (<usize>c << 2);
      for (let k = 0; k < n; k++) {
        const p0 = load<i32>(start + (<usize>k << 2));
        const p1 = load<i32>(start + (<usize>k << 2), 4);
        let s: f32 = 0;
        for (let p = p0; p < p1; p++) {
          s += load<f32>(blockValues + (<usize>p << 2)) * load<f32>(dc + <usize>load<u16>(row + (<usize>p << 1)) * rowBytes);
        }
        const g = gc + <usize>k * rowBytes;
        store<f32>(g, load<f32>(g) + s);
      }
    }
  }
}

/**
 * out (cols × rows) = alpha · (A₀ + A₁ + … + A_{parts−1})ᵀ, each Aₚ rows × cols, `stride` bytes
 * apart. In 4 × 4 blocks transposed in registers: 200 × 784 takes 51 µs, where one float at a
 * time took 173 (a scratch loop calling the kernel, 2026-12-02).
 */
export function transposeSum(A: usize, parts: i32, stride: usize, rows: i32, cols: i32, alpha: f32, out: usize): void {
  const rowBytes = <usize>cols << 2;
  const outBytes = <usize>rows << 2;
  const scale = f32x4.splat(alpha);
  const rows4 = rows & ~3;
  const cols4 = cols & ~3;
  for (let i = 0; i < rows4; i += 4) {
    for (let j = 0; j < cols4; j += 4) {
      const at = A + ((<usize>i * cols + j) << 2);
      let r0 = v128.load(at);
      let r1 = v128.load(at + rowBytes);
      let r2 = v128.load(at + 2 * rowBytes);
      let r3 = v128.load(at + 3 * rowBytes);
      for (let q = 1; q < parts; q++) {
        const aq = at + <usize>q * stride;
        r0 = f32x4.add(r0, v128.load(aq));
        r1 = f32x4.add(r1, v128.load(aq + rowBytes));
        r2 = f32x4.add(r2, v128.load(aq + 2 * rowBytes));
        r3 = f32x4.add(r3, v128.load(aq + 3 * rowBytes));
      }
      const d = out + ((<usize>j * rows + i) << 2);
      storeTransposed(f32x4.mul(r0, scale), f32x4.mul(r1, scale), f32x4.mul(r2, scale), f32x4.mul(r3, scale), d, outBytes);
    }
  }
  transposeSumScalar(A, parts, stride, rows, cols, alpha, out, 0, rows4, cols4, cols);
  transposeSumScalar(A, parts, stride, rows, cols, alpha, out, rows4, rows, 0, cols);
}

/** transposeSum's elements [i0, i1) × [j0, j1), one float at a time: the edges of its blocks. */
function transposeSumScalar(
  A: usize, parts: i32, stride: usize, rows: i32, cols: i32, alpha: f32, out: usize, i0: i32, i1: i32, j0: i32, j1: i32,
): void {
  for (let i = i0; i < i1; i++) {
    for (let j = j0; j < j1; j++) {
      const at = A + ((<usize>i * cols + j) << 2);
      let s: f32 = 0;
      for (let q = 0; q < parts; q++) s += load<f32>(at + <usize>q * stride);
      store<f32>(out + ((<usize>j * rows + i) << 2), alpha * s);
    }
  }
}
