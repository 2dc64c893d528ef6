// Bytes to floats ÷ 255, a batch at a time, for the reading thread of a streamed IDX file: in
// assembly/pixels.ts's WebAssembly SIMD (its 0.3 kB embedded in pixels-wasm-bytes.ts), ~0.05 µs
// for a 784-byte picture where a JS loop took ~1.7 µs, which the reading thread, sharing two cores
// with the training's, cannot spare. Where WebAssembly SIMD is missing, a JS loop does it.
import { ArgumentError } from "../errors.ts";
import { compileEmbedded } from "./embedded-wasm.ts";
import { PIXELS_WASM } from "./pixels-wasm-bytes.ts";

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  scalePixels(src: number, dst: number, count: number): void;
}

let compiled: WebAssembly.Module | null | undefined;
let enabled = true;

/** Turns WebAssembly off (or on again) for scalers made after: the tests check both paths. */
export function usePixelsWasm(on: boolean): void {
  enabled = on;
}

/** Each byte's value ÷ 255 in float32, as scalePixels stores it. */
const PIXEL = Float32Array.from({ length: 256 }, (_, b) => b / 255);

/** A batch's bytes, written by the caller into `bytes`, and their values ÷ 255, into `floats` by scale. */
export class PixelScaler {
  /** Room for `capacity` bytes, then for their floats. */
  readonly bytes: Uint8Array;
  readonly floats: Float32Array;
  /** Whether WebAssembly scales (the tests ask). */
  readonly wasm: boolean;
  readonly #scale: (count: number) => void;

  constructor(capacity: number) {
    compiled ??= compileEmbedded(PIXELS_WASM);
    const ex = enabled && compiled ? (new WebAssembly.Instance(compiled).exports as unknown as Exports) : null;
    this.wasm = ex !== null;
    if (ex === null) {
      this.bytes = new Uint8Array(capacity);
      this.floats = new Float32Array(capacity);
      this.#scale = (count) => {
        for (let i = 0; i < count; i++) this.floats[i] = PIXEL[this.bytes[i] as number] as number;
      };
      return;
    }
    const align = (x: number) => Math.ceil(x / 16) * 16;
    const bytesAt = align(ex.heapBase());
    const floatsAt = align(bytesAt + capacity);
    const need = floatsAt + 4 * capacity;
    const have = ex.memory.buffer.byteLength;
    if (need > have) ex.memory.grow(Math.ceil((need - have) / 65536));
    this.bytes = new Uint8Array(ex.memory.buffer, bytesAt, capacity);
    this.floats = new Float32Array(ex.memory.buffer, floatsAt, capacity);
    this.#scale = (count) => ex.scalePixels(bytesAt, floatsAt, count);
  }

  /** floats[0, count) = bytes[0, count) ÷ 255. */
  scale(count: number): void {
    if (!Number.isInteger(count) || count < 0 || count > this.bytes.length) {
      throw new ArgumentError(`scale(${count}): count must be an integer in [0, ${this.bytes.length}]`);
    }
    this.#scale(count);
  }
}
