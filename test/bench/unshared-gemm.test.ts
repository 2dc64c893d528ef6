import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { startUnshared } from "../../bench/unshared-gemm.ts";
import { enableRelaxedSimd } from "../../src/platform/relaxed-simd.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));

describe("bench/unshared-gemm", () => {
  it("times a whole copy of the product on each thread at once, sample after sample", async () => {
    enableRelaxedSimd();
    for (const threads of [1, 2]) {
      const shape = { M: 20, N: 12, K: 9, transA: true, transB: false };
      const unshared = await startUnshared(ROOT, threads, shape, 1);
      try {
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
