// Small vector helpers for the optimisers; sums are accumulated in float64 whatever the dtype.
import type { FloatArray } from "../linalg/matrix.ts";
import type { VectorOps } from "../linalg/vectors.ts";

export { axpy, dot, sumAbs } from "../linalg/vectors.ts";

/** out = x + t · d */
export function addScaled(x: FloatArray, t: number, d: FloatArray, out: FloatArray): void {
  for (let i = 0; i < x.length; i++) out[i] = (x[i] as number) + t * (d[i] as number);
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

/**
 * An optimiser's working vectors, of x0's type: in a backend's memory where its `vectors` offers
 * `zeros` (and `zeros64`) and x0 is float32, so that the backend's kernels can take them; plain
 * arrays otherwise. `release` hands back every vector it took from the backend.
 */
export class WorkVectors<T extends FloatArray> {
  readonly #ops: VectorOps | undefined;
  readonly #like: T;
  readonly #owned: (Float32Array | Float64Array)[] = [];

  constructor(ops: VectorOps | undefined, like: T) {
    this.#ops = like instanceof Float32Array ? ops : undefined;
    this.#like = like;
  }

  /** Whether `zeros` takes its vectors from the backend. */
  get inBackend(): boolean {
    return this.#ops?.zeros !== undefined;
  }

  /** A zeroed vector of x0's type and length. */
  zeros(): T {
    const v = this.#ops?.zeros?.(this.#like.length);
    if (v === undefined) return zerosLike(this.#like);
    this.#owned.push(v);
    return v as FloatArray as T;
  }

  /** A zeroed float64 vector of x0's length. */
  zeros64(): Float64Array {
    const v = this.#ops?.zeros64?.(this.#like.length);
    if (v === undefined) return new Float64Array(this.#like.length);
    this.#owned.push(v);
    return v;
  }

  /** Whether v is one of the backend's vectors, to copy before it is released. */
  owns(v: FloatArray): boolean {
    return (this.#owned as FloatArray[]).includes(v);
  }

  release(): void {
    for (const v of this.#owned.splice(0)) this.#ops?.release?.(v);
  }
}
