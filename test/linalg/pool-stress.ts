// Many back-to-back hand-overs to the worker pool. wasm-threads.test.ts runs this as a child
// process, so that a deadlock fails the test through a timeout instead of hanging the suite.
import { createWasmBackend } from "../../src/linalg/wasm/index.ts";

const backend = await createWasmBackend({ threads: 2, relaxedSimd: false });
const n = 162; // 162³ multiply-adds: just over the 2^22 threshold, so every call is split in two
const A = backend.zeros(n, n);
const C = backend.zeros(n, n);
A.data.fill(0.5);
const calls = Number(process.argv[2] ?? 20000);
for (let i = 0; i < calls; i++) backend.gemm(false, true, 1, A, A, 0, C);
console.log(`ok ${calls} ${C.data[0]}`);
await backend.dispose();
