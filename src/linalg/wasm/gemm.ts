// C = alpha · op(A) · op(B) + beta · C by the kernels' packed sgemm, split across the threads
// in chunks of rows (or columns) of C that they claim in turn.
import { gemmDims } from "../backend.ts";
import type { Matrix } from "../matrix.ts";
import type { WasmContext } from "./context.ts";

/**
 * Fewest rows (columns) of C in a gemm chunk when there are enough for four chunks per thread.
 * A chunk repacks the other operand (K × N for a row chunk), which costs about as much as
 * multiplying 20 of its rows by it.
 */
const MIN_CHUNK = 1024;

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
  // Small products stay on the calling thread.
  const ways = threads.ways(M * N * K, 1 << 22);
  if (ways === 1) {
    const { packA, packB, tile } = threads.buffers(0);
    k.sgemm(ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, packA, packB, tile, bias);
    return;
  }
  // Split by rows of C, or by columns when C has fewer rows than columns (Δ2ᵀ·X, 200 × 784 with
  // K = 60000), into chunks that the threads claim in turn: four per thread where chunks stay
  // at least MIN_CHUNK rows or columns deep (each chunk packs the whole other operand again).
  const byRows = M >= N;
  const unit = byRows ? 4 : 8;
  const total = byRows ? M : N;
  const chunk = Math.ceil(Math.max(total / (ways * 4), Math.min(total / ways, MIN_CHUNK)) / unit) * unit;
  memory.view()[threads.counter / 4] = 0; // +0.0 has the bits of the i32 0: no new view per call
  const parts: number[][] = [];
  for (let w = 0; w < ways; w++) {
    const { packA, packB, tile } = threads.buffers(w);
    const product = [ta, tb, M, N, K, alpha, a, lda, b, ldb, beta, c, ldc, packA, packB, tile, bias];
    parts.push([threads.counter, chunk, byRows ? 1 : 0, ...product]);
  }
  threads.run("sgemmChunked", parts);
}
