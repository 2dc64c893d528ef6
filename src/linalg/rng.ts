import { checkNumber } from "../errors.ts";

/**
 * A seeded pseudo-random generator: xoshiro128** (Blackman & Vigna, 2018) seeded through
 * splitmix32, so that every run is reproducible from one integer seed. Its whole state is
 * readable and settable (for checkpoints).
 */
/** A generator's whole state: four 32-bit words and the spare normal deviate. */
export interface RngState {
  s: number[];
  spare: number | null;
}

export class Rng {
  #s = new Uint32Array(4);
  /** A second normal deviate from the last Box–Muller pair, or NaN. */
  #spare = Number.NaN;

  constructor(seed: number) {
    checkNumber("seed", seed, { integer: true, min: 0, max: 2 ** 32 - 1 });
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.#s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }

  /** The next 32 random bits as an unsigned integer. */
  nextUint32(): number {
    const s = this.#s;
    const s0 = s[0] as number;
    const s1 = s[1] as number;
    const s2 = s[2] as number;
    const s3 = s[3] as number;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = (s2 ^ s0) >>> 0;
    const n3 = (s3 ^ s1) >>> 0;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11);
    return result;
  }

  /** Uniform in [0, 1), with 53 random bits. */
  uniform(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** Uniform in [lo, hi). */
  uniformIn(lo: number, hi: number): number {
    return lo + (hi - lo) * this.uniform();
  }

  /** Standard normal, by the Box–Muller transform. */
  normal(): number {
    if (!Number.isNaN(this.#spare)) {
      const z = this.#spare;
      this.#spare = Number.NaN;
      return z;
    }
    let u = 0;
    while (u === 0) u = this.uniform();
    const v = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    this.#spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** An integer uniform in [0, n). */
  int(n: number): number {
    return Math.floor(this.uniform() * n);
  }

  /** Shuffles `a` in place (Fisher–Yates). */
  shuffle<T extends { length: number; [i: number]: number }>(a: T): T {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = a[i] as number;
      a[i] = a[j] as number;
      a[j] = t;
    }
    return a;
  }

  /** The whole state: four 32-bit words and the spare normal deviate. */
  get state(): RngState {
    return { s: Array.from(this.#s), spare: Number.isNaN(this.#spare) ? null : this.#spare };
  }

  set state(state: RngState) {
    if (state.s.length !== 4) throw new RangeError(`Rng state needs 4 words, got ${state.s.length}`);
    this.#s.set(state.s);
    this.#spare = state.spare ?? Number.NaN;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
