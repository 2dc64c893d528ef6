// The WebAssembly backend's passes over whole matrices other than products: element-wise maps,
// column sums and other reductions, and row gathers. Large passes are split across the threads
// by rows (or by elements), each part the same kernel on offset pointers.
import { checkClassLabels, checkGatherRows, checkRow, checkSize } from "../backend.ts";
import { checkSameShape, type Matrix } from "../matrix.ts";
import type { WasmContext } from "./context.ts";
import { align } from "./memory.ts";
import type { PoolFunction } from "./thread-pool.ts";
import { split } from "./threads.ts";

type F32 = Matrix<Float32Array>;

/** out (m × n) = σ(Z + 1·bᵀ), b (1 × n). */
export function biasSigmoid({ memory, threads }: WasmContext, Z: F32, b: F32, out: F32): void {
  checkSameShape("Z", Z, "out", out);
  checkRow("b", b, Z.cols);
  const [z, bias, o] = [memory.address("Z", Z), memory.address("b", b), memory.address("out", out)];
  const parts = split(Z.rows, threads.ways(Z.size, 1 << 18), 1).map(([r, n]) => [
    z + r * Z.cols * 4,
    bias,
    n,
    Z.cols,
    o + r * Z.cols * 4,
  ]);
  threads.run("biasSigmoid", parts);
}

/** out = D ⊙ A ⊙ (1 − A). */
export function sigmoidGradMul({ memory, threads }: WasmContext, A: F32, D: F32, out: F32): void {
  checkSize("A", A, "D", D);
  checkSize("A", A, "out", out);
  const [a, d, o] = [memory.address("A", A), memory.address("D", D), memory.address("out", out)];
  const parts = split(A.size, threads.ways(A.size, 1 << 18), 4).map(([i, n]) => [a + i * 4, d + i * 4, n, o + i * 4]);
  threads.run("sigmoidGradMul", parts);
}

/** D (m × n) = (D + 1·sᵀ) ⊙ A ⊙ (1 − A), s (1 × n). */
export function addRowSigmoidGradMul({ memory, threads }: WasmContext, D: F32, s: F32, A: F32): void {
  checkSameShape("D", D, "A", A);
  checkRow("s", s, D.cols);
  const [d, sv, a] = [memory.address("D", D), memory.address("s", s), memory.address("A", A)];
  const parts = split(D.rows, threads.ways(D.size, 1 << 18), 1).map(([r, n]) => [
    d + r * D.cols * 4,
    sv,
    a + r * D.cols * 4,
    n,
    D.cols,
  ]);
  threads.run("addRowSigmoidGradMul", parts);
}

/** delta = (A3 − X) ⊙ A3 ⊙ (1 − A3), and sums = scale · its column sums where given; returns Σ (A3 − X)². */
export function squaredErrorDelta(cx: WasmContext, A3: F32, X: F32, delta: F32, sums?: F32, scale = 1): number {
  const { memory, threads } = cx;
  checkSameShape("A3", A3, "X", X);
  checkSameShape("A3", A3, "delta", delta);
  const [a, x, d] = [memory.address("A3", A3), memory.address("X", X), memory.address("delta", delta)];
  if (sums) {
    checkRow("sums", sums, A3.cols);
    return byColumns(cx, A3.rows, A3.cols, scale, memory.address("sums", sums), (r0, r1, partial, total) => [
      "squaredErrorDeltaRange",
      [a, x, r0, r1, A3.cols, d, partial, total],
    ]);
  }
  const parts = split(A3.size, threads.ways(A3.size, 1 << 18), 4).map(([i, n]) => [a + i * 4, x + i * 4, n, d + i * 4]);
  return threads.sum("squaredErrorDelta", parts);
}

/** Each row of P (m × k logits) becomes its softmax; returns Σᵢ −log P[i, yᵢ]. */
export function softmaxRows({ memory, threads }: WasmContext, P: F32, labels: Int32Array): number {
  checkClassLabels(P, labels);
  const p = memory.address("P", P);
  if (P.rows === 0) return 0;
  const l = memory.scratch(labels.length * 4);
  new Int32Array(memory.memory.buffer, l, labels.length).set(labels);
  const k = P.cols;
  const parts = split(P.rows, threads.ways(P.size, 1 << 16), 4).map(([r, n]) => [p + r * k * 4, l + r * 4, n, k]);
  return threads.sum("softmaxRows", parts);
}

/** out (1 × n) = scale · column sums of A (m × n). */
export function colSums(cx: WasmContext, A: F32, scale: number, out: F32): void {
  checkRow("out", out, A.cols);
  const a = cx.memory.address("A", A);
  const o = cx.memory.address("out", out);
  byColumns(cx, A.rows, A.cols, scale, o, (r0, r1, partial, total) => [
    "colSumsRange",
    [a, r0, r1, A.cols, partial, total],
  ]);
}

/**
 * A pass that sums columns, on every thread: each takes whole blocks of 256 rows (the kernels'
 * SUM_ROWS); `call` names its kernel and arguments for rows [r0, r1) with its own f32 partial
 * and f64 totals; the totals are then added in order into out, times scale. Returns the sum of
 * the kernel's results.
 */
function byColumns(
  { k, memory, threads }: WasmContext,
  rows: number,
  cols: number,
  scale: number,
  out: number,
  call: (r0: number, r1: number, partial: number, total: number) => [PoolFunction, number[]],
): number {
  const ranges = split(rows, threads.ways(rows * cols, 1 << 18), 256);
  const stride = align(cols * 8) + align(cols * 4);
  const scratch = memory.scratch(stride * ranges.length);
  const calls = ranges.map(([r, n], q) => call(r, r + n, scratch + q * stride + align(cols * 8), scratch + q * stride));
  const [fn] = calls[0] as [PoolFunction, number[]];
  const results = threads.run(
    fn,
    calls.map(([, args]) => args),
  );
  k.colSumsOut(scratch, ranges.length, stride, cols, scale, out);
  return results.reduce((sum, v) => sum + v, 0);
}

/** Σ x². */
export function sumSquares({ k, memory }: WasmContext, x: F32): number {
  return k.sumSquares(memory.address("x", x), x.size);
}

/** Σ x ⊙ y. */
export function dot({ k, memory }: WasmContext, x: F32, y: F32): number {
  checkSize("x", x, "y", y);
  return k.dot(memory.address("x", x), memory.address("y", y), x.size);
}

/** y += alpha · x. */
export function axpy({ k, memory }: WasmContext, alpha: number, x: F32, y: F32): void {
  checkSize("x", x, "y", y);
  k.axpy(alpha, memory.address("x", x), memory.address("y", y), x.size);
}

/**
 * out's rows = the rows of A listed in `rows`, by the kernel's memory.copy, on two threads from
 * 2^16 values: a JavaScript `set` between views of a shared memory is slower than a plain one's.
 * `npm run bench:steps` times both: 256 random rows of a 60000 × 784 matrix take about twice as
 * long by a `set` per row as by the kernel on one thread, four times as long as on two.
 */
export function gatherRows({ memory, threads }: WasmContext, A: F32, rows: Int32Array, out: F32): void {
  checkGatherRows(A, rows, out);
  const [src, dst] = [memory.address("A", A), memory.address("out", out)];
  const list = memory.scratch(rows.length * 4);
  new Int32Array(memory.memory.buffer, list, rows.length).set(rows);
  const parts = split(rows.length, threads.ways(out.size, 1 << 16), 1).map(([i0, count]) => [
    src,
    A.cols,
    list,
    i0,
    i0 + count,
    dst,
  ]);
  threads.run("copyRows", parts);
}
