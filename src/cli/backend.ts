import type { Backend } from "../linalg/backend.ts";
import { NativeBackend } from "../linalg/native-backend.ts";
import { WasmBackend } from "../linalg/wasm/index.ts";

/** "wasm (FMA, 2 threads)", "native (OpenBLAS, 2 threads)", "js (float32)". */
export function describeBackend(backend: Backend): string {
  if (backend instanceof WasmBackend) {
    return `wasm (${backend.fma ? "relaxed SIMD with FMA" : "SIMD"}, ${backend.threads} thread${backend.threads === 1 ? "" : "s"})`;
  }
  if (backend instanceof NativeBackend)
    return `native (OpenBLAS, ${backend.threads} thread${backend.threads === 1 ? "" : "s"})`;
  return `${backend.name} (${backend.dtype})`;
}
