// The optimisers' vector kernels (Backend.vectors) over vectors in the WebAssembly memory: dot,
// axpy and Σ|x|, L-BFGS's two-loop recursion, and Adam's and SGD's updates, the last three split
// across the threads. Offered only over a shared memory: growing a private one detaches every
// view of it, a shared one's stay.
import { ArgumentError } from "../../errors.ts";
import type { FloatArray } from "../matrix.ts";
import { kernelVectorOps, type VectorOps } from "../vectors.ts";
import type { WasmContext } from "./context.ts";
import { align } from "./memory.ts";
import { split } from "./threads.ts";

/**
 * What `zeros` leaves free of the memory's maximum for the matrices and scratch that a cost
 * evaluation allocates and frees again; past it, vectors go to JavaScript's memory.
 */
const VECTOR_HEADROOM = 128 * 2 ** 20;

/** Float32Array or Float64Array, as a constructor. */
interface VectorType<T> {
  new (n: number): T;
  new (buffer: ArrayBufferLike, start: number, n: number): T;
  readonly BYTES_PER_ELEMENT: number;
}

/** VectorOps whose kernels take the vectors that its `zeros` and `zeros64` made in the memory. */
export function wasmVectorOps(cx: WasmContext): VectorOps {
  const { k, memory, threads } = cx;
  /** Every SharedArrayBuffer of the memory that a `zeros` view was made on (one per size). */
  const buffers = new WeakSet<ArrayBufferLike>();
  /** The vectors that `zeros` made in JavaScript's memory, the WebAssembly memory being full. */
  const outside = new WeakSet<Float32Array | Float64Array>();
  const here = (v: FloatArray): v is Float32Array => v instanceof Float32Array && buffers.has(v.buffer);
  const here64 = (v: FloatArray): v is Float64Array => v instanceof Float64Array && buffers.has(v.buffer);
  /** Runs an update kernel over [0, n) split across the threads from 2^15 elements each. */
  const update = (fn: "adamRange" | "sgdRange", n: number, args: (i0: number, i1: number) => number[]) => {
    threads.run(
      fn,
      split(n, threads.ways(n, 1 << 15), 4).map(([i0, count]) => args(i0, i0 + count)),
    );
  };
  /**
   * A zeroed vector. One that does not fit (L-BFGS keeps 2 × 100 vectors of the parameters' size)
   * goes in JavaScript's memory, and the optimiser's work on it there: slower, where running out
   * of memory would end the run.
   */
  const vector = <T extends Float32Array | Float64Array>(n: number, type: VectorType<T>): T => {
    const start = memory.alloc(n * type.BYTES_PER_ELEMENT, memory.maxBytes - VECTOR_HEADROOM);
    if (start < 0) {
      const v = new type(n);
      outside.add(v);
      return v;
    }
    const buffer = memory.memory.buffer;
    buffers.add(buffer);
    return new type(buffer, start, n).fill(0) as T;
  };
  const kernels = kernelVectorOps({
    takes: here,
    takes64: here64,
    dot: (x, y) => k.dot(x.byteOffset, y.byteOffset, x.length),
    axpy: (alpha, x, y) => k.axpy(alpha, x.byteOffset, y.byteOffset, x.length),
    sumAbs: (x) => k.sumAbs(x.byteOffset, x.length),
    twoLoop: (g, S, Y, rho, hDiag, d) => twoLoop(cx, g, S, Y, rho, hDiag, d),
    adamStep: (x, g, m, v, c) => {
      const [xs, gs, ms, vs] = [x.byteOffset, g.byteOffset, m.byteOffset, v.byteOffset];
      update("adamRange", x.length, (i0, i1) => [
        xs,
        gs,
        ms,
        vs,
        i0,
        i1,
        c.beta1,
        c.beta2,
        c.epsilon,
        c.stepPerM,
        c.perV,
      ]);
    },
    sgdStep: (x, g, v, c) => {
      const [xs, gs, vs] = [x.byteOffset, g.byteOffset, v.byteOffset];
      update("sgdRange", x.length, (i0, i1) => [xs, gs, vs, i0, i1, c.momentum, c.rate, c.nesterov ? 1 : 0]);
    },
  });
  return {
    ...kernels,
    zeros: (n) => vector(n, Float32Array),
    zeros64: (n) => vector(n, Float64Array),
    release: (v) => {
      if (here(v) || here64(v)) memory.release(v.byteOffset);
      else if (!outside.delete(v)) {
        throw new ArgumentError("vectors.release: this vector was not made by vectors.zeros or vectors.zeros64");
      }
    },
  };
}

/**
 * d = −H·g by the two-loop recursion (Nocedal 1980) over vectors in the memory: the pairs'
 * offsets, ρ, the barrier and each thread's α in one scratch block; the vectors split across
 * the threads from 2^15 values.
 */
function twoLoop(
  { memory, threads }: WasmContext,
  g: Float32Array,
  S: readonly Float32Array[],
  Y: readonly Float32Array[],
  rho: readonly number[],
  hDiag: number,
  d: Float32Array,
): void {
  const count = S.length;
  const parts = threads.ways(g.length, 1 << 15);
  // [sList: count i32][yList: count i32][rho: count f64][sync: 4 i32, 2·parts f64][alpha: parts·count f64]
  const rhoAt = align(8 * count);
  const sync = rhoAt + align(8 * count);
  const alpha = sync + align(16 + 16 * parts);
  const block = memory.alloc(alpha + 8 * parts * count);
  try {
    const buffer = memory.memory.buffer;
    const offsets = new Int32Array(buffer, block, 2 * count);
    S.forEach((s, i) => {
      offsets[i] = s.byteOffset;
      offsets[count + i] = (Y[i] as Float32Array).byteOffset;
    });
    new Float64Array(buffer, block + rhoAt, count).set(rho);
    new Int32Array(buffer, block + sync, 4).fill(0);
    const args = (part: number) => [
      ...[part, parts, g.byteOffset, block, block + 4 * count, block + rhoAt, count, hDiag],
      ...[d.byteOffset, g.length, block + sync, block + alpha],
    ];
    threads.run(
      "twoLoop",
      Array.from({ length: parts }, (_, part) => args(part)),
    );
  } finally {
    memory.release(block);
  }
}
