import { createNativeBackend } from "../src/linalg/native-backend.ts";
const b = await createNativeBackend();
const mk = (r: number, c: number) => b.fromValues(r, c, Float32Array.from({ length: r * c }, (_, i) => Math.sin(i * 0.37)));
const H = mk(60000, 200), Ws = mk(10, 200), P = mk(60000, 10), C = b.zeros(60000, 200), G = b.zeros(10, 200), Z = b.zeros(60000, 10);
const time = (label: string, f: () => void) => { f(); const t = performance.now(); for (let r = 0; r < 10; r++) f(); console.log(label, ((performance.now() - t) / 10).toFixed(2), "ms"); };
time("H·Wsᵀ (N=10)", () => b.gemm(false, true, 1, H, Ws, 0, Z));
time("P·Ws (K=10)", () => b.gemm(false, false, 1, P, Ws, 0, C));
time("Pᵀ·H (M=10)", () => b.gemm(true, false, 1, P, H, 0, G));
