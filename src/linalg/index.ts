import { ArgumentError } from "../errors.ts";
import type { Backend } from "./backend.ts";
import { JsBackend } from "./js-backend.ts";
import type { DType } from "./matrix.ts";
import { createWasmBackend, type WasmBackendOptions } from "./wasm-backend.ts";

export type { Backend } from "./backend.ts";
export { JsBackend } from "./js-backend.ts";
export { checkShape, type DType, type FloatArray, Matrix } from "./matrix.ts";
export { Rng, type RngState } from "./rng.ts";
export { createWasmBackend, OutOfMemoryError, WasmBackend } from "./wasm-backend.ts";

export type BackendName = "wasm" | "js";
export const BACKENDS: readonly BackendName[] = ["wasm", "js"];

/**
 * A backend by name: "wasm" (float32 WebAssembly SIMD, the default) or "js" (plain TypeScript;
 * float64 unless dtype says otherwise).
 */
export async function createBackend(
  name: BackendName = "wasm",
  options: { dtype?: DType } & WasmBackendOptions = {},
): Promise<Backend> {
  if (name === "wasm") {
    if (options.dtype !== undefined && options.dtype !== "float32") {
      throw new ArgumentError(`the wasm backend computes in float32, got dtype ${JSON.stringify(options.dtype)}`);
    }
    return createWasmBackend(options);
  }
  if (name === "js") return new JsBackend(options.dtype ?? "float64");
  throw new ArgumentError(`backend must be one of ${BACKENDS.join(", ")}, got ${JSON.stringify(name)}`);
}
