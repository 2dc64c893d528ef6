// C = alpha · op(A) · op(B) + beta · C by the kernels' packed sgemm: on the calling thread when
// small, else by sgemmShared on every thread, which pack op(B) once together and share C's blocks.
import { gemmDims } from "../backend.ts";
import type { Matrix } from "../matrix.ts";
import type { WasmContext } from "./context.ts";
import { split } from "./threads.ts";

/** The most rows of B (transposed) that sgemmThinNT takes instead of the packed product. */
const THIN = 16;

/** Bytes of sgemmShared's sync block (GEMM_SYNC_BYTES in assembly/gemm-shared.ts). */
const SYNC_BYTES = 64;

/** gemm; with a bias row (its byte address, else 0), then C = σ(C + 1·biasᵀ) in the same pass. */
export function gemm(
  cx: WasmContext,
  transA: boolean,
  transB: boolean,
  alpha: number,
  A: Matrix<Float32Array>,
  B: Matrix<Float32Array>,
  beta: number,
  C: Matrix<Float32Array>,
  bias = 0,
): void {
  const [M, N, K] = gemmDims(transA, transB, A, B, C);
  const { k, memory, threads } = cx;
  const a = memory.address("A", A);
  const b = memory.address("B", B);
  const c = memory.address("C", C);
  const [lda, ldb, ldc] = [A.cols, B.cols, C.cols];
  const ta = transA ? 1 : 0;
  const tb = transB ? 1 : 0;
  if (!transA && transB && N <= THIN && M * N * K >= 1 << 16 && alpha !== 0 && bias === 0) {
    // B of a few rows (the softmax layer's classes): rows of C by dot products, split by rows.
    const parts = split(M, threads.ways(M * K, 1 << 18), 1).map(([r, n]) => [
      a + r * lda * 4,
      lda,
      n,
      K,
      b,
      N,
      alpha,
      beta,
      c + r * ldc * 4,
      ldc,
    ]);
    threads.run("sgemmThinNT", parts);
    return;
  }
  // Small products stay on the calling thread.
  const ways = threads.ways(M * N * K, 1 << 22);
  if (ways === 1) {
    const { packA, packB, tile } = threads.buffers(0);
    k.sgemm(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, packA, packB, tile, bias);
    return;
  }
  if (K === 0 || alpha === 0) {
    const { packA, packB, tile } = threads.buffers(0);
    k.sgemm(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, packA, packB, tile, bias);
    return;
  }
  if (beta !== 0 && beta !== 1) {
    // C = beta · C first, as sgemm itself starts (K = 0 does only that); the product then adds.
    const { packA, packB, tile } = threads.buffers(0);
    k.sgemm(ta, tb, M, N, 0, alpha, a, lda, b, ldb, beta, c, ldc, packA, packB, tile, 0);
    beta = 1;
  }
  // The threads pack each panel of op(B) once into two shared buffers (the first two threads'
  // packB) and take blocks of C over it in turn (assembly/gemm-shared.ts).
  const flags = threads.flags(4 * (Math.ceil(M / 4) + 32 * ways));
  const view = memory.view();
  view.fill(0, threads.sync / 4, (threads.sync + SYNC_BYTES) / 4); // +0.0: the i32 0
  view.fill(0, flags / 4, flags / 4 + Math.ceil(M / 4) + 32 * ways);
  const panel0 = threads.buffers(0).packB;
  const panel1 = threads.buffers(1).packB;
  const parts: number[][] = [];
  for (let w = 0; w < ways; w++) {
    const { packA, tile } = threads.buffers(w);
    parts.push([
      threads.sync,
      flags,
      panel0,
      panel1,
      ta,
      tb,
      M,
      N,
      K,
      alpha,
      a,
      lda,
      b,
      ldb,
      beta,
      c,
      ldc,
      packA,
      ways,
      tile,
      bias,
    ]);
  }
  threads.run("sgemmShared", parts);
}
