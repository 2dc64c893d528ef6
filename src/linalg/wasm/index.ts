// The WebAssembly backend's public face: the rest of the library and its users import it here.
export { createWasmBackend, WasmBackend, type WasmBackendOptions } from "./backend.ts";
export { OutOfMemoryError } from "./memory.ts";
