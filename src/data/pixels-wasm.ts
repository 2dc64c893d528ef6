// Where the reading thread of a streamed IDX file keeps its rows: the chunk just read, the
// shuffle buffer's rows in a slab of fixed-size slots, and a batch gathered from the slab and
// divided by 255. In WebAssembly memory, where assembly/pixels.ts (its 0.4 kB embedded in
// pixels-wasm-bytes.ts) gathers and scales a batch in one call, ~0.4 µs a 784-byte picture where
// a JS loop took ~1.7 µs and per-row copies more: the reading thread shares two cores with the
// training's threads and cannot spare it. Where WebAssembly SIMD is missing, JS loops do it.
import { ArgumentError } from "../errors.ts";
import { compileEmbedded } from "./embedded-wasm.ts";
import { PIXELS_WASM } from "./pixels-wasm-bytes.ts";

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  scalePixels(src: number, dst: number, count: number): void;
  gatherScale(slab: number, n: number, slots: number, count: number, dst: number): void;
}

let compiled: WebAssembly.Module | null | undefined;
let enabled = true;

/** Turns WebAssembly off (or on again) for stores made after: the tests check both paths. */
export function usePixelsWasm(on: boolean): void {
  enabled = on;
}

/** Each byte's value ÷ 255 in float32, as scalePixels stores it. */
const PIXEL = Float32Array.from({ length: 256 }, (_, b) => b / 255);

const align = (x: number) => Math.ceil(x / 16) * 16;

/**
 * Rows of `n` values: a chunk's worth read into `memory` at `chunkAt`, kept in slots of a slab
 * (grown when it must be), and gathered into batches of float32 values. Rows of bytes (`"u8"`,
 * pictures) are gathered ÷ 255; rows of float32 (`"f32"`, a CSV's values, scaled when parsed) as
 * they are. Its memory is laid out as [chunk | slab | a batch's slot list | the batch's floats];
 * the last two hold nothing from call to call, so the slab grows into them.
 */
export class RowStore {
  readonly n: number;
  /** Bytes a row takes: n, or 4n for float32 rows. */
  readonly rowBytes: number;
  readonly chunkAt: number;
  readonly slabAt: number;
  /** Whether WebAssembly gathers (the tests ask). */
  readonly wasm: boolean;
  #slabRows: number;
  #ex: Exports | null;
  #buffer: ArrayBuffer;
  #u8: Uint8Array;

  constructor(n: number, chunkRows: number, slabRows: number, values: "u8" | "f32" = "u8") {
    for (const [name, x] of [
      ["n", n],
      ["chunkRows", chunkRows],
      ["slabRows", slabRows],
    ] as const) {
      if (!Number.isInteger(x) || x < 1)
        throw new ArgumentError(`RowStore: ${name} must be a positive integer, not ${x}`);
    }
    compiled ??= compileEmbedded(PIXELS_WASM);
    this.#ex = enabled && compiled ? (new WebAssembly.Instance(compiled).exports as unknown as Exports) : null;
    this.wasm = this.#ex !== null;
    this.n = n;
    this.rowBytes = values === "f32" ? 4 * n : n;
    this.chunkAt = align(this.#ex ? this.#ex.heapBase() : 0);
    this.slabAt = align(this.chunkAt + chunkRows * this.rowBytes);
    this.#slabRows = slabRows;
    this.#buffer = this.#ex ? this.#ex.memory.buffer : new ArrayBuffer(0);
    this.#u8 = new Uint8Array(this.#buffer);
    this.#reserve(0);
  }

  /** The memory's bytes: read a chunk into it at chunkAt. A new view after the slab grows. */
  get memory(): Uint8Array {
    return this.#u8;
  }

  get slabRows(): number {
    return this.#slabRows;
  }

  /** Doubles the slab; its rows stay. */
  growSlab(): void {
    this.#slabRows *= 2;
    this.#reserve(0);
  }

  /** Copies the chunk's row i into slot s. */
  keep(i: number, s: number): void {
    if (!(s >= 0 && s < this.#slabRows)) throw new ArgumentError(`RowStore.keep: slot ${s} of ${this.#slabRows}`);
    const n = this.rowBytes;
    this.#u8.copyWithin(this.slabAt + s * n, this.chunkAt + i * n, this.chunkAt + (i + 1) * n);
  }

  /** The rows of slots[0, count) (bytes ÷ 255), one after another (a view, valid until the next call). */
  gather(slots: Int32Array, count: number): Float32Array {
    if (!Number.isInteger(count) || count < 0 || count > slots.length) {
      throw new ArgumentError(`RowStore.gather: count must be an integer in [0, ${slots.length}], not ${count}`);
    }
    const n = this.n;
    const listAt = align(this.slabAt + this.#slabRows * this.rowBytes);
    const floatsAt = align(listAt + 4 * count);
    this.#reserve(floatsAt + 4 * count * n);
    for (let k = 0; k < count; k++) {
      const s = slots[k] as number;
      if (!(s >= 0 && s < this.#slabRows)) throw new ArgumentError(`RowStore.gather: slot ${s} of ${this.#slabRows}`);
    }
    new Int32Array(this.#buffer, listAt, count).set(slots.subarray(0, count));
    const floats = new Float32Array(this.#buffer, floatsAt, count * n);
    if (this.rowBytes !== n) {
      for (let k = 0; k < count; k++) {
        floats.set(new Float32Array(this.#buffer, this.slabAt + (slots[k] as number) * this.rowBytes, n), k * n);
      }
    } else if (this.#ex) {
      this.#ex.gatherScale(this.slabAt, n, listAt, count, floatsAt);
    } else {
      const u8 = this.#u8;
      for (let k = 0; k < count; k++) {
        const from = this.slabAt + (slots[k] as number) * n;
        for (let j = 0; j < n; j++) floats[k * n + j] = PIXEL[u8[from + j] as number] as number;
      }
    }
    return floats;
  }

  /** Makes the memory hold the slab and `end` bytes. */
  #reserve(end: number): void {
    const need = Math.max(end, this.slabAt + this.#slabRows * this.rowBytes);
    const have = this.#buffer.byteLength;
    if (need <= have) return;
    if (this.#ex) {
      this.#ex.memory.grow(Math.ceil((need - have) / 65536));
      this.#buffer = this.#ex.memory.buffer;
    } else {
      const buffer = new ArrayBuffer(Math.max(need, 2 * have));
      new Uint8Array(buffer).set(this.#u8);
      this.#buffer = buffer;
    }
    this.#u8 = new Uint8Array(this.#buffer);
  }
}
