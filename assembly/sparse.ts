// Products with a sparse matrix S (m × n) in compressed sparse rows: rowStart (m + 1 i32),
// colIndex (nnz i32), values (nnz f32), and the kernels that build those arrays. The data layer
// of MNIST is 81 % zeros, and these skip them: S·Wᵀ reads a row of Wᵀ per non-zero; Dᵀ·S
// (sparseTMulBlocks) reads the same non-zeros in column order within blocks of rows, and adds a
// row of D per non-zero into registers, then into a row of the result per column and block.

import { madd, storeTransposed } from "./lanes";
import { claim } from "./threads";
import { biasSigmoid } from "./elementwise";

/**
 * sparseMulT over rows [0, rows) in chunks of `chunk` rows that the threads take in turn from the
 * i32 counter at `counter` (zero before the first starts): each row is computed alone, so which
 * thread takes it changes no bit, and a core slowed by other work takes fewer chunks.
 */
export function sparseMulTClaimed(
  counter: usize, chunk: i32, rows: i32,
  rowStart: usize, colIndex: usize, values: usize, Wt: usize, h: i32, Z: usize, bias: usize,
): void {
  for (;;) {
    const r0 = claim(counter) * chunk;
    if (r0 >= rows) return;
    sparseMulT(r0, min(rows, r0 + chunk), rowStart, colIndex, values, Wt, h, Z, bias);
  }
}

/**
 * Z rows [r0, r1) (each h wide) = S rows [r0, r1) · Wᵀ, with Wt = Wᵀ stored n × h; with a bias
 * row (h f32; 0 for none), σ(that + bias) by biasSigmoid, over the row while it is in L1. Each
 * row of Z is summed in place, four non-zeros a pass: per column,
 * z ← x₃w₃ + (x₂w₂ + (x₁w₁ + (x₀w₀ + z))), the very multiply-adds in the very order of a sum kept
 * in registers, so the bits are those of one. A pass reads four rows of Wᵀ front to back and the
 * row of Z from L1; summed in registers, 20 columns (five vectors) a pass, every non-zero read its
 * row of Wᵀ from L2 in slices of 20 columns, one a pass, and each pass waited on the latency of
 * five chains.
 */
export function sparseMulT(
  r0: i32, r1: i32, rowStart: usize, colIndex: usize, values: usize, Wt: usize, h: i32, Z: usize, bias: usize,
): void {
  const rowBytes = <usize>h << 2;
  const h4 = h & ~3;
  for (let i = r0; i < r1; i++) {
    const p1 = load<i32>(rowStart + (<usize>(i + 1) << 2));
    let p = load<i32>(rowStart + (<usize>i << 2));
    const z = Z + <usize>i * rowBytes;
    for (let c = 0; c < h4; c += 4) v128.store(z + (<usize>c << 2), f32x4.splat(0));
    for (let c = h4; c < h; c++) store<f32>(z + (<usize>c << 2), 0);
    for (; p + 4 <= p1; p += 4) {
      const at = <usize>p << 2;
      const x0 = v128.load32_splat(values + at);
      const x1 = v128.load32_splat(values + at, 4);
      const x2 = v128.load32_splat(values + at, 8);
      const x3 = v128.load32_splat(values + at, 12);
      const w0 = Wt + <usize>load<i32>(colIndex + at) * rowBytes;
      const w1 = Wt + <usize>load<i32>(colIndex + at, 4) * rowBytes;
      const w2 = Wt + <usize>load<i32>(colIndex + at, 8) * rowBytes;
      const w3 = Wt + <usize>load<i32>(colIndex + at, 12) * rowBytes;
      for (let c = 0; c < h4; c += 4) {
        const o = <usize>c << 2;
        let a = v128.load(z + o);
        a = madd(x0, v128.load(w0 + o), a);
        a = madd(x1, v128.load(w1 + o), a);
        a = madd(x2, v128.load(w2 + o), a);
        a = madd(x3, v128.load(w3 + o), a);
        v128.store(z + o, a);
      }
      for (let c = h4; c < h; c++) {
        const o = <usize>c << 2;
        let s = load<f32>(z + o);
        s += f32x4.extract_lane(x0, 0) * load<f32>(w0 + o);
        s += f32x4.extract_lane(x1, 0) * load<f32>(w1 + o);
        s += f32x4.extract_lane(x2, 0) * load<f32>(w2 + o);
        s += f32x4.extract_lane(x3, 0) * load<f32>(w3 + o);
        store<f32>(z + o, s);
      }
    }
    for (; p < p1; p++) {
      const at = <usize>p << 2;
      const x = v128.load32_splat(values + at);
      const w = Wt + <usize>load<i32>(colIndex + at) * rowBytes;
      for (let c = 0; c < h4; c += 4) {
        const o = <usize>c << 2;
        v128.store(z + o, madd(x, v128.load(w + o), v128.load(z + o)));
      }
      for (let c = h4; c < h; c++) {
        const o = <usize>c << 2;
        store<f32>(z + o, load<f32>(z + o) + f32x4.extract_lane(x, 0) * load<f32>(w + o));
      }
    }
    if (bias != 0) biasSigmoid(z, bias, 1, h, z);
  }
}

/**
 * Rows of a column block (columnBlocks, sparseTMulBlocks). A pass of sparseTMulBlocks reads a
 * TB-column slice of the block's rows of D: 256 rows × two cache lines, 32 KiB, in L1. Dᵀ·S of
 * the first autoencoder per block size (ms, `npm run bench:profile`, 2 threads): 32: 65, 64: 58,
 * 128: 56, 256: 53, 512: 61, 1024: 73, 2048: 81.
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
 * value at a time, this took 159 µs of fromDense's 267 for 256 MNIST rows; branch-free,
 * fromDense with free takes 178–181 µs instead of 261–285.
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
 * Columns of Gt summed in registers per column of a block: five f32x4. At 256-row blocks Dᵀ·S
 * took 68 ms with four, 53 with five, 57 with six; ten (at 32 rows) 71 against 65 with five (same
 * command as BLOCK_ROWS).
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
 * time took 173.
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
