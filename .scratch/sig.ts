import { setFlagsFromString } from "node:v8";
setFlagsFromString("--experimental-wasm-relaxed-simd");
const { createWasmBackend } = await import("../src/index.ts");
for (const threads of [1, 2]) {
  const b = await createWasmBackend({ threads, relaxedSimd: true });
  for (const [rows, cols, reps] of [[256, 200, 2000], [60000, 784, 5]] as const) {
    const Z = b.fromValues(rows, cols, Float32Array.from({ length: rows * cols }, (_, i) => Math.sin(i)));
    const bias = b.zeros(1, cols);
    const O = b.zeros(rows, cols);
    b.biasSigmoid(Z, bias, Z);
    let t = performance.now();
    for (let r = 0; r < reps; r++) b.biasSigmoid(Z, bias, Z);
    const inPlace = (performance.now() - t) / reps;
    t = performance.now();
    for (let r = 0; r < reps; r++) b.biasSigmoid(Z, bias, O);
    const out = (performance.now() - t) / reps;
    console.log(`threads ${threads} ${rows}×${cols}: in place ${(inPlace * 1e6 / (rows * cols)).toFixed(3)} ns/elem, to other ${(out * 1e6 / (rows * cols)).toFixed(3)} ns/elem (${out.toFixed(2)} ms)`);
  }
  await b.dispose();
}
