// SGEMM: C = alpha · op(A) · op(B) + beta · C, op(A) M × K, op(B) K × N, C M × N.
// Goto/BLIS blocking: a KC × NC panel of op(B) and an MC × KC block of op(A) are packed
// (gemm-kernel.ts) and the micro-kernel walks its tiles of C over them.

import { KC, MC, MR, NC, NR } from "./memory";
import { biasSigmoid } from "./elementwise";
import { microKernel, packA, packB } from "./gemm-kernel";

/**
 * C (M × N, leading dimension ldc) = alpha · op(A) · op(B) + beta · C. op(A) is M × K (A stored
 * K × M with leading dimension lda when transA), op(B) is K × N (B stored N × K when transB).
 * beta = 0 overwrites C (NaN in C does not propagate). packA, packB and tile are scratch
 * buffers of PACK_A_BYTES, PACK_B_BYTES and TILE_BYTES, 16-byte aligned. With a bias row
 * (N f32; 0 for none), C = σ(that + 1·biasᵀ), applied to each tile of the last depth block as it
 * is stored: biasSigmoid's arithmetic without its pass over C.
 */
export function sgemm(
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
  packABuf: usize, packBBuf: usize, tile: usize, bias: usize,
): void {
  // beta = 0 with work to do: the first depth block stores its tiles instead of adding to C.
  const overwrite = beta == 0 && K > 0 && alpha != 0;
  if (beta != 1 && !overwrite) {
    for (let i = 0; i < M; i++) scaleRow(C + ((<usize>i * ldc) << 2), N, beta);
  }
  if (K == 0 || alpha == 0) {
    if (bias != 0) {
      for (let i = 0; i < M; i++) {
        const row = C + ((<usize>i * ldc) << 2);
        biasSigmoid(row, bias, 1, N, row);
      }
    }
    return;
  }
  for (let jc = 0; jc < N; jc += NC) {
    const nc = min(NC, N - jc);
    // Depth blocks of equal size, none deeper than KC: K = 784 with KC = 512 gives 2 × 392
    // rather than 512 + 272 (a thin last block costs a whole extra pass over C).
    const kBlocks = (K + KC - 1) / KC;
    const kStep = (K + kBlocks - 1) / kBlocks;
    for (let pc = 0; pc < K; pc += kStep) {
      const kc = min(kStep, K - pc);
      const last = bias != 0 && pc + kc >= K;
      packB(transB, B, ldb, pc, jc, kc, nc, packBBuf);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = min(MC, M - ic);
        packA(transA, A, lda, ic, pc, mc, kc, packABuf);
        for (let jr = 0; jr < nc; jr += NR) {
          const pb = packBBuf + <usize>jr * kc * 4;
          const nr = min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            microKernel(
              kc, packABuf + <usize>ir * kc * 4, pb,
              C + ((<usize>(ic + ir) * ldc + jc + jr) << 2), ldc, alpha, min(MR, mc - ir), nr, tile, overwrite && pc == 0,
              last ? bias + (<usize>(jc + jr) << 2) : 0,
            );
          }
        }
      }
    }
  }
}

/** x[0:n] *= beta, with beta = 0 writing exact zeros. */
function scaleRow(x: usize, n: i32, beta: f32): void {
  const vb = f32x4.splat(beta);
  let j = 0;
  if (beta == 0) {
    for (; j + 4 <= n; j += 4) v128.store(x + (<usize>j << 2), f32x4.splat(0));
    for (; j < n; j++) store<f32>(x + (<usize>j << 2), 0);
  } else {
    for (; j + 4 <= n; j += 4) {
      const p = x + (<usize>j << 2);
      v128.store(p, f32x4.mul(v128.load(p), vb));
    }
    for (; j < n; j++) {
      const p = x + (<usize>j << 2);
      store<f32>(p, load<f32>(p) * beta);
    }
  }
}
