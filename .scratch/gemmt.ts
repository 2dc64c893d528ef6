import { setFlagsFromString } from "node:v8";
setFlagsFromString("--experimental-wasm-relaxed-simd");
const { createWasmBackend } = await import("../src/index.ts");
for (const threads of [1, 2]) {
  const b = await createWasmBackend({ threads, relaxedSimd: true });
  const A = b.fromValues(60000, 200, Float32Array.from({ length: 60000 * 200 }, (_, i) => Math.sin(i)));
  const B = b.fromValues(60000, 200, Float32Array.from({ length: 60000 * 200 }, (_, i) => Math.cos(i)));
  const W = b.fromValues(200, 200, Float32Array.from({ length: 200 * 200 }, (_, i) => Math.cos(i)));
  const C = b.zeros(200, 200);
  const D = b.zeros(60000, 200);
  const time = (label: string, f: () => void) => {
    f();
    const t = performance.now();
    for (let r = 0; r < 5; r++) f();
    console.log(threads, label, ((performance.now() - t) / 5).toFixed(1), "ms");
  };
  time("Aᵀ·B (K=60000)", () => b.gemm(true, false, 1, A, B, 0, C));
  time("A·W  (K=200)  ", () => b.gemm(false, false, 1, A, W, 0, D));
  time("A·Wᵀ (K=200)  ", () => b.gemm(false, true, 1, A, W, 0, D));
  await b.dispose();
}
