// Relaxed SIMD (f32x4.relaxed_madd: the kernels' fused multiply-add) on Node. Node 20's V8 has it
// behind `--experimental-wasm-relaxed-simd`; Node 22 and later have it on and no longer know the
// flag: `node --experimental-wasm-relaxed-simd` exits with "bad option", and
// `v8.setFlagsFromString` prints "unrecognized flag" to stderr. So the flag is set only where a
// relaxed-SIMD module does not validate without it.
import { setFlagsFromString } from "node:v8";

/** (module (func (param v128 v128 v128) (result v128) local.get 0..2 f32x4.relaxed_madd)). */
const PROBE = new Uint8Array([
  ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00], // "\0asm", version 1
  ...[0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b], // types: (v128 v128 v128) → v128
  ...[0x03, 0x02, 0x01, 0x00], // functions: one, of type 0
  ...[0x0a, 0x0d, 0x01, 0x0b, 0x00], // code: one body of 11 bytes, no locals
  ...[0x20, 0x00, 0x20, 0x01, 0x20, 0x02], // local.get 0, 1, 2
  ...[0xfd, 0x85, 0x02, 0x0b], // f32x4.relaxed_madd (0xfd 0x105), end
]);

/** Whether this engine compiles relaxed-SIMD WebAssembly now. */
export function relaxedSimdAvailable(): boolean {
  return WebAssembly.validate(PROBE);
}

/**
 * Turns relaxed SIMD on where this Node has it behind a flag (Node 20), and says whether it is on.
 * Call it before the first `createBackend` or `createWasmBackend`, which pick the fused
 * multiply-add kernels only when the engine accepts them. On Node 22 and later it changes nothing.
 */
export function enableRelaxedSimd(): boolean {
  if (relaxedSimdAvailable()) return true;
  setFlagsFromString("--experimental-wasm-relaxed-simd");
  return relaxedSimdAvailable();
}
