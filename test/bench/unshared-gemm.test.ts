import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { fillOperand, startUnshared } from "../../bench/unshared-gemm.ts";
import { enableRelaxedSimd } from "../../src/platform/relaxed-simd.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Σ of op(A)·op(B) in float64, the operands rebuilt as the worker with this seed builds them. */
function referenceSum(M: number, N: number, K: number, transA: boolean, transB: boolean, seed: number) {
  const f = new Float32Array(M * K + N * K);
  fillOperand(f, M * K, N * K, fillOperand(f, 0, M * K, seed));
  const a = (i: number, k: number) => f[transA ? k * M + i : i * K + k] as number;
  const b = (k: number, j: number) => f[M * K + (transB ? j * K + k : k * N + j)] as number;
  let sum = 0;
  let size = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let c = 0;
      for (let k = 0; k < K; k++) c += a(i, k) * b(k, j);
      sum += c;
      size += Math.abs(c);
    }
  }
  return { sum, size };
}

describe("bench/unshared-gemm", () => {
  it("runs a whole copy of the product on each thread, each with its own operands, sample after sample", async () => {
    enableRelaxedSimd();
    for (const [threads, transA, transB] of [
      [1, false, true],
      [2, true, false],
    ] as const) {
      const shape = { M: 20, N: 12, K: 9, transA, transB };
      const unshared = await startUnshared(ROOT, threads, shape, 1);
      try {
        assert.equal(unshared.checksums.length, threads);
        unshared.checksums.forEach((checksum, w) => {
          const { sum, size } = referenceSum(shape.M, shape.N, shape.K, transA, transB, w + 1);
          assert.ok(Math.abs(checksum - sum) <= 1e-5 * size, `worker ${w}: Σ C ${checksum} against ${sum}`);
        });
        for (let s = 0; s < 3; s++) {
          const gflops = await unshared.sample();
          assert.ok(Number.isFinite(gflops) && gflops > 0, `${threads} threads, sample ${s}: ${gflops}`);
        }
      } finally {
        await unshared.close();
      }
    }
  });

  it("fails where the checkout has no built kernels", async () => {
    await assert.rejects(
      startUnshared("/nonexistent/", 1, { M: 4, N: 4, K: 4, transA: false, transB: false }),
      /kernels-relaxed\.wasm/,
    );
  });
});
