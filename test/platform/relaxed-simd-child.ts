// Run by relaxed-simd.test.ts in a fresh process, whose V8 flags no other test has set: what the
// probe says before and after enableRelaxedSimd(), beside what the shipped relaxed-SIMD kernels say.
import { readFileSync } from "node:fs";
import { enableRelaxedSimd, relaxedSimdAvailable } from "../../src/platform/relaxed-simd.ts";

const kernel = readFileSync(new URL("../../wasm/kernels-relaxed.wasm", import.meta.url));
const kernelValid = () => WebAssembly.validate(kernel);
const before = { probe: relaxedSimdAvailable(), kernel: kernelValid() };
const enabled = enableRelaxedSimd();
const after = { probe: relaxedSimdAvailable(), kernel: kernelValid() };
enableRelaxedSimd();
console.log(JSON.stringify({ before, enabled, after }));
