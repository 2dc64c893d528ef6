// The project's small WebAssembly modules embedded in the sources as base64 (csv-parse-wasm.ts,
// pixels-wasm-bytes.ts), compiled synchronously in Node and browsers alike.

/** The module, or null where it cannot compile (no WebAssembly SIMD): the caller then works in JS. */
export function compileEmbedded(base64: string): WebAssembly.Module | null {
  try {
    const text = atob(base64);
    const bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
    return new WebAssembly.Module(bytes);
  } catch {
    return null;
  }
}
