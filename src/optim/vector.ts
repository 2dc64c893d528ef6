// Small vector helpers for the optimisers; sums are accumulated in float64 whatever the dtype.
import type { FloatArray } from "../linalg/matrix.ts";

export function dot(x: FloatArray, y: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (x[i] as number) * (y[i] as number);
  return s;
}

/** y += alpha · x */
export function axpy(alpha: number, x: FloatArray, y: FloatArray): void {
  for (let i = 0; i < x.length; i++) y[i] = (y[i] as number) + alpha * (x[i] as number);
}

/** out = x + t · d */
export function addScaled(x: FloatArray, t: number, d: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) + t * (d[i] as number);
}

export function sumAbs(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += Math.abs(x[i] as number);
  return s;
}

export function maxAbs(x: FloatArray): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s = Math.max(s, Math.abs(x[i] as number));
  return s;
}

export function allFinite(x: FloatArray): boolean {
  for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i] as number)) return false;
  return true;
}

/** A new zeroed array of the same type and length as `like`. */
export function zerosLike<T extends FloatArray>(like: T): T {
  return new (like.constructor as { new (n: number): T })(like.length);
}
