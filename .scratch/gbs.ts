import { createNativeBackend } from "../src/linalg/native-backend.ts";
const b = await createNativeBackend();
const k = (b as unknown as { kernels: Record<string, (...a: unknown[]) => void> });
const mk = (r: number, c: number) => b.fromValues(r, c, Float32Array.from({ length: r * c }, (_, i) => Math.sin(i * 0.37) * 0.1));
const A = mk(60000, 200), W = mk(784, 200), bias = mk(1, 784), C = b.zeros(60000, 784);
const { loadKernels } = { loadKernels: null };
// reach the addon through the platform
const { getPlatform } = await import("../src/platform/platform.ts");
const addon = (await (await getPlatform()).loadNative()) as Record<string, (...a: unknown[]) => void>;
const time = (label: string, f: () => void) => { f(); const t = performance.now(); for (let r = 0; r < 5; r++) f(); console.log(label, ((performance.now() - t) / 5).toFixed(1), "ms"); };
time("gemm + biasSigmoid", () => b.gemmBiasSigmoid(A, W, bias, C));
for (const rows of [256, 512, 1024, 2048, 4096]) time(`blocked ${rows}`, () => addon.gemmBiasSigmoid(60000, 784, 200, A.data, W.data, bias.data, C.data, rows));
