// Products with a sparse data matrix whose compressed-sparse-row (CSR) arrays live in the
// WebAssembly memory (assembly/kernels.ts: csrFill, columnBlocks, sparseMulT, sparseTMulBlocks).
import { ArgumentError } from "../../errors.ts";
import type { Matrix } from "../matrix.ts";
import { mulTransposedDims, type SparseMatrix, type SparseOps, transposedMulDims } from "../sparse.ts";
import type { WasmContext } from "./context.ts";
import { align, type WasmMemory } from "./memory.ts";
import { split } from "./threads.ts";

type F32 = Matrix<Float32Array>;

/** A sparse matrix in a WebAssembly memory: byte addresses of its CSR arrays. */
class WasmCsr implements SparseMatrix {
  constructor(
    readonly owner: WasmMemory,
    readonly rows: number,
    readonly cols: number,
    readonly nnz: number,
    /** -1 once freed. */
    public rowStart: number,
    readonly colIndex: number,
    readonly values: number,
    /** The non-zeros in column order within blocks of BLOCK_ROWS rows (assembly/kernels.ts, columnBlocks). */
    readonly colStart: number,
    readonly row: number,
    readonly blockValues: number,
  ) {}
}

/** The sparse products of a WasmBackend, over the context's memory and threads. */
export function wasmSparseOps(cx: WasmContext): SparseOps<Float32Array> {
  const { k, memory } = cx;
  const own = (S: SparseMatrix): WasmCsr => {
    if (!(S instanceof WasmCsr) || S.owner !== memory) {
      throw new ArgumentError("this sparse matrix was not made by this backend's sparse.fromDense");
    }
    if (S.rowStart < 0) throw new ArgumentError("this sparse matrix has been freed");
    return S;
  };
  return {
    // A fresh copy of a 256-image minibatch costs less than its two products save over dense ones.
    perBatch: true,
    nonZeros: (A) => k.countNonZeros(memory.address("A", A), A.size),
    fromDense: (A) => fromDense(cx, A),
    mulTransposed: (S, W, C, bias) => mulTransposed(cx, own(S), W, C, bias),
    transposedMul: (alpha, D, S, C) => transposedMul(cx, alpha, D, own(S), C),
    free: (S) => {
      const s = own(S);
      for (const start of [s.rowStart, s.colIndex, s.values, s.colStart, s.row, s.blockValues]) memory.release(start);
      s.rowStart = -1;
    },
  };
}

/** A's non-zeros in CSR, and again in column order within blocks of rows for Dᵀ·S (transposedMul). */
function fromDense({ k, memory }: WasmContext, A: F32): WasmCsr {
  const a = memory.address("A", A);
  const nnz = k.countNonZeros(a, A.size);
  // csrFill's last store may fall up to four past the non-zeros: hence nnz + 4.
  const rowStart = memory.alloc((A.rows + 1) * 4);
  const colIndex = memory.alloc((nnz + 4) * 4);
  const values = memory.alloc((nnz + 4) * 4);
  k.csrFill(a, A.rows, A.cols, rowStart, colIndex, values);
  const blockRows = k.BLOCK_ROWS.value as number;
  const starts = Math.ceil(A.rows / blockRows) * (A.cols + 1);
  const colStart = memory.alloc(starts * 4);
  const row = memory.alloc(nnz * 2);
  const blockValues = memory.alloc(nnz * 4);
  const next = memory.alloc(A.cols * 4);
  k.columnBlocks(rowStart, colIndex, values, A.rows, A.cols, colStart, row, blockValues, next);
  memory.release(next);
  return new WasmCsr(memory, A.rows, A.cols, nnz, rowStart, colIndex, values, colStart, row, blockValues);
}

/** C (m × h) = S·Wᵀ, with σ(· + 1·biasᵀ) applied as it is stored where a bias is given. */
function mulTransposed({ k, memory, threads }: WasmContext, s: WasmCsr, W: F32, C: F32, bias?: F32): void {
  const [, n, h] = mulTransposedDims(s, W, C, bias);
  const w = memory.address("W", W);
  const c = memory.address("C", C);
  const b = bias ? memory.address("bias", bias) : 0;
  // Wᵀ (n × h) so that each non-zero S[i][k] reads one contiguous row k; h·n is small.
  const wt = memory.alloc(n * h * 4);
  try {
    k.transposeSum(w, 1, 0, h, n, 1, wt);
    const ways = threads.ways(s.nnz * h, 1 << 20);
    if (ways === 1) {
      k.sparseMulT(0, s.rows, s.rowStart, s.colIndex, s.values, wt, h, c, b);
    } else {
      // Chunks of rows taken in turn, several per thread, so that a slowed core takes fewer.
      const chunk = Math.max(16, Math.ceil(s.rows / (ways * 8)));
      memory.view()[threads.sync / 4] = 0; // +0.0: the i32 0
      const args = [threads.sync, chunk, s.rows, s.rowStart, s.colIndex, s.values, wt, h, c, b];
      threads.run(
        "sparseMulTClaimed",
        Array.from({ length: ways }, () => args),
      );
    }
  } finally {
    memory.release(wt);
  }
}

/**
 * C (h × n) = alpha · Dᵀ·S. Each thread adds whole column blocks into its own n × h sum, then one
 * pass adds them up, transposed and scaled, into C. Where S has fewer blocks of BLOCK_ROWS rows
 * than threads (a minibatch of 256 rows is one), the threads split D's columns instead, each
 * writing its own columns of one sum: on a minibatch that is the faster split, on a whole data
 * set the row split is.
 */
function transposedMul({ k, memory, threads }: WasmContext, alpha: number, D: F32, s: WasmCsr, C: F32): void {
  const [, n, h] = transposedMulDims(D, s, C);
  const d = memory.address("D", D);
  const c = memory.address("C", C);
  const blockRows = k.BLOCK_ROWS.value as number;
  const ways = threads.ways(s.nnz * h, 1 << 20);
  const byColumns = Math.ceil(s.rows / blockRows) < ways;
  const ranges: [r0: number, r1: number, c0: number, c1: number][] = byColumns
    ? split(h, ways, 4).map(([c0, width]) => [0, s.rows, c0, c0 + width])
    : rowsByWork(s, memory.view(), ways, blockRows).map(([r0, r1]) => [r0, r1, 0, h]);
  const count = byColumns ? 1 : ranges.length;
  const stride = align(n * h * 4);
  const sums = memory.alloc(stride * count);
  try {
    memory.view().fill(0, sums / 4, (sums + stride * count) / 4);
    const parts = ranges.map(([r0, r1, c0, c1], q) => [
      ...[r0, r1, c0, c1, n, s.colStart, s.row, s.blockValues, d, h],
      sums + (byColumns ? 0 : q) * stride,
    ]);
    threads.run("sparseTMulBlocks", parts);
    k.transposeSum(sums, count, stride, n, h, alpha, c);
  } finally {
    memory.release(sums);
  }
}

/** Splits S's rows into `parts` ranges [r0, r1) of about equal non-zeros, cut at multiples of `block`. */
function rowsByWork(S: WasmCsr, heap: Float32Array, parts: number, block = 1): [number, number][] {
  if (parts <= 1) return [[0, S.rows]];
  const rowStart = new Int32Array(heap.buffer, S.rowStart, S.rows + 1);
  const out: [number, number][] = [];
  let r0 = 0;
  for (let q = 1; q <= parts && r0 < S.rows; q++) {
    let r1 = S.rows;
    if (q < parts) {
      const target = (S.nnz * q) / parts;
      r1 = r0;
      const step = (r: number) => Math.min(S.rows, r + block);
      while (r1 < S.rows && (rowStart[step(r1)] as number) <= target) r1 = step(r1);
      r1 = Math.max(r1, step(r0));
    }
    out.push([r0, r1]);
    r0 = r1;
  }
  return out;
}
