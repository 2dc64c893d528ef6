// The checks of a backend call's arguments that every call shares: a matrix of the backend's
// dtype that has not been freed, a flag, a scale, an Int32Array, an output that overlaps no input
// it overwrites. `contract` in backend.ts puts them together call by call.
import { ArgumentError, describe } from "../errors.ts";
import { type DType, Matrix } from "./matrix.ts";

const ARRAYS = { float32: Float32Array, float64: Float64Array } as const;

/** Checks that `m`, argument `name` of `op`, is a matrix of `dtype` that has not been freed. */
export function checkMatrix(op: string, name: string, m: unknown, dtype: DType): asserts m is Matrix {
  if (!(m instanceof Matrix)) throw new ArgumentError(`${op}: ${name} must be a Matrix, got ${describe(m)}`);
  if (m.freed) {
    throw new ArgumentError(
      `${op}: ${name} (${m.rows} × ${m.cols}) has been freed (backend.free): it can no longer be read or written`,
    );
  }
  const data = m.storage.array();
  if (!(data instanceof ARRAYS[dtype])) {
    throw new ArgumentError(
      `${op}: ${name} holds a ${data.constructor.name}, this backend's matrices are ${dtype}: make it with this backend's zeros() or fromValues()`,
    );
  }
}

/** Checks the flag argument `name` of `op`: a boolean. */
export function checkFlag(op: string, name: string, v: unknown): void {
  if (typeof v !== "boolean") throw new ArgumentError(`${op}: ${name} must be true or false, got ${describe(v)}`);
}

/** Checks the scale argument `name` of `op`: a number (NaN and ±∞ propagate as IEEE says). */
export function checkScalar(op: string, name: string, v: unknown): void {
  if (typeof v !== "number") throw new ArgumentError(`${op}: ${name} must be a number, got ${describe(v)}`);
}

export function checkInt32(op: string, name: string, v: unknown): void {
  if (!(v instanceof Int32Array)) throw new ArgumentError(`${op}: ${name} must be an Int32Array, got ${describe(v)}`);
}

/** Element ranges [start, end) of two matrices over the same buffer, or null when they share none. */
function overlap(a: Matrix, b: Matrix): "same" | "partial" | null {
  if (a.size === 0 || b.size === 0) return null;
  const x = a.data;
  const y = b.data;
  if (x.buffer !== y.buffer) return null;
  const [x0, x1] = [x.byteOffset, x.byteOffset + x.byteLength];
  const [y0, y1] = [y.byteOffset, y.byteOffset + y.byteLength];
  if (x0 >= y1 || y0 >= x1) return null;
  return x0 === y0 && x1 === y1 && a.cols === b.cols ? "same" : "partial";
}

/**
 * Checks that the output `out` of `op` shares no element with the inputs it would overwrite
 * before reading them; inputs in `same` may also be exactly `out` (element-wise passes in place).
 */
export function checkDisjoint(
  op: string,
  out: [string, Matrix],
  inputs: [string, Matrix][],
  same: string[] = [],
): void {
  const [outName, o] = out;
  for (const [name, m] of inputs) {
    const o2 = overlap(o, m);
    if (o2 === null || (o2 === "same" && same.includes(name))) continue;
    throw new ArgumentError(
      `${op}: ${outName} shares memory with ${name}${same.includes(name) ? " (it may be the same matrix, not a part of it)" : ""}: the result would overwrite ${name} as it is read; give ${outName} its own matrix`,
    );
  }
}

export type Args = [string, unknown][];

/** Checks each named argument as a matrix of `dtype`. */
export function matrices(op: string, dtype: DType, args: Args): void {
  for (const [name, m] of args) checkMatrix(op, name, m, dtype);
}
