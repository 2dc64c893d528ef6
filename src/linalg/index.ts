import { ArgumentError } from "../errors.ts";
import type { Backend } from "./backend.ts";
import { JsBackend } from "./js-backend.ts";
import type { DType } from "./matrix.ts";
import { createNativeBackend, nativeAvailable } from "./native-backend.ts";
import { createWasmBackend, type WasmBackendOptions } from "./wasm/index.ts";

export type { Backend } from "./backend.ts";
export { JsBackend } from "./js-backend.ts";
export { checkShape, type DType, FLOAT32_MIN_NORMAL, type FloatArray, Matrix } from "./matrix.ts";
export {
  createNativeBackend,
  NativeBackend,
  type NativeKernels,
  NativeMissingError,
  nativeAvailable,
} from "./native-backend.ts";
export { Rng, type RngState } from "./rng.ts";
export { createWasmBackend, OutOfMemoryError, WasmBackend } from "./wasm/index.ts";

export type BackendName = "auto" | "native" | "wasm" | "js";
export const BACKENDS: readonly BackendName[] = ["auto", "native", "wasm", "js"];

/**
 * A backend by name: "auto" (the default: "native" where it is built, else "wasm"), "native"
 * (float32, OpenBLAS; Node, optional), "wasm" (float32 WebAssembly SIMD) or "js" (plain
 * TypeScript; float64 unless dtype says otherwise).
 */
export async function createBackend(
  name: BackendName = "auto",
  options: { dtype?: DType } & WasmBackendOptions = {},
): Promise<Backend> {
  if (name === "auto") {
    return createBackend((await nativeAvailable()) && options.dtype !== "float64" ? "native" : "wasm", options);
  }
  if (name === "native") {
    if (options.dtype !== undefined && options.dtype !== "float32") {
      throw new ArgumentError(`the native backend computes in float32, got dtype ${JSON.stringify(options.dtype)}`);
    }
    return createNativeBackend(options.threads === undefined ? {} : { threads: options.threads });
  }
  if (name === "wasm") {
    if (options.dtype !== undefined && options.dtype !== "float32") {
      throw new ArgumentError(`the wasm backend computes in float32, got dtype ${JSON.stringify(options.dtype)}`);
    }
    return createWasmBackend(options);
  }
  if (name === "js") return new JsBackend(options.dtype ?? "float64");
  throw new ArgumentError(`backend must be one of ${BACKENDS.join(", ")}, got ${JSON.stringify(name)}`);
}
