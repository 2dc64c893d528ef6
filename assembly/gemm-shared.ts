// SGEMM shared by the threads, BLIS-style: the threads pack each KC × NC panel of op(B) once,
// together, into one of two shared buffers, then take the blocks of C over it (rows × columns,
// never depth) from a counter as they come free. No thread packs what another has packed, and a
// core slowed by other work takes fewer blocks instead of holding the others up.
//
// The work of the whole product is one sequence of items, handed out in order by one counter:
// for each panel (columns jc, depths pc) its pack items (a few per thread), then its compute
// items (a block of rows × columns of C: the thread packs those rows of op(A) into its own buffer
// and runs the micro-kernel over the panel). Instead of a barrier per panel, an item waits only
// for what it needs: a compute item for the pack items it reads and for the same block of C to
// be multiplied in the depth block before (it adds into it first), a pack item for the panel two
// back (which used the same buffer) to be multiplied. A thread that arrives late joins wherever
// the counter is. Every element of C is summed over the same depth blocks, in the same order, by the
// same micro-kernel as in sgemm, and the blocks start at multiples of MR and NR, so the edge tiles
// are the same too: the result is the same to the bit, whatever the threads and their timing.

import { KC, MC, MR, NC, NR } from "./memory";
import { microKernel, packA, packB } from "./gemm-kernel";
import { arrive, claim, publish, waitAtLeast } from "./threads";

/** Floats in a panel buffer (PACK_B_BYTES). */
const PANEL_FLOATS: i32 = KC * NC;
/** Compute items a panel is cut into at least, per thread; pack items, a quarter of that. */
const ITEMS_PER_THREAD: i32 = 8;

// i32 words of the sync block (zeroed by the host before each call).
const NEXT: usize = 0;
const MULTIPLIED: usize = 8; // two words: panels of even and of odd number
const SLEEPERS: usize = 16;
/** Bytes of the sync block. */
export const GEMM_SYNC_BYTES: i32 = 64;

/**
 * Thread `part` of `parts`' share of C = alpha · op(A) · op(B) + beta · C (sgemm's arguments),
 * every thread with the same arguments but its own packA buffer and tile; panel0 and panel1
 * (PACK_B_BYTES each), the sync block (GEMM_SYNC_BYTES) and the flags (an i32 for each block of
 * C and each pack item of a buffer: ceil(M / MR) + 32 · parts of them) are shared, all zeroed. beta is 0 or 1
 * (the host scales C first otherwise), K > 0 and alpha ≠ 0.
 */
export function sgemmShared(
  sync: usize, flags: usize, panel0: usize, panel1: usize,
  transA: bool, transB: bool, M: i32, N: i32, K: i32, alpha: f32,
  A: usize, lda: i32, B: usize, ldb: i32, beta: f32, C: usize, ldc: i32,
  packABuf: usize, parts: i32, tile: usize, bias: usize,
): void {
  const overwrite = beta == 0;
  const kBlocks = (K + KC - 1) / KC;
  const kStep = (K + kBlocks - 1) / kBlocks;
  const panels = ((N + NC - 1) / NC) * kBlocks;
  // Blocks of rows as deep as sgemm's (MC, fewer where that evens them out), and where they are
  // too few for every thread to take several, columns cut too. Deep blocks of op(A): its rows
  // share each sliver of B loaded into L1.
  const target = parts * ITEMS_PER_THREAD;
  const rowUnits = (M + MC - 1) / MC;
  const rowUnit = roundUp((M + rowUnits - 1) / rowUnits, MR);
  const colCuts = rowUnits * 2 >= target ? 1 : (target + rowUnits - 1) / rowUnits;
  const sleepers = sync + SLEEPERS;
  // The flags: one per block of C, then one per pack item (at most 8 per thread) and buffer.
  const blockFlags = (M + MR - 1) / MR + 16 * parts;
  // The panel this thread walks, where its items start, and the count the wait for a buffer needs:
  // compute items of the earlier panels of each parity.
  let p = 0;
  let first = 0;
  let even = 0;
  let odd = 0;
  let packedPanel = -1; // which rows of op(A) this thread's buffer holds
  let packedRows = -1;
  for (;;) {
    const item = claim(sync + NEXT);
    // Walk forward to the panel that holds the item.
    let jc = 0, pc = 0, nc = 0, kc = 0, packCols = 0, packsB = 0, packs = 0, colUnit = 0, colUnits = 0, units = 0;
    let sharedA = false;
    for (;;) {
      if (p >= panels) return;
      jc = (p / kBlocks) * NC;
      pc = (p % kBlocks) * kStep;
      nc = min(NC, N - jc);
      kc = min(kStep, K - pc);
      packCols = roundUp((nc + parts * 4 - 1) / (parts * 4), NR);
      packsB = (nc + packCols - 1) / packCols;
      // Where columns are cut, every thread would pack each block of op(A) again: op(A) is packed
      // once too, together, behind the panel of B in the same buffer, where it fits.
      sharedA = colCuts > 1 && kc * (roundUp(nc, NR) + rowUnits * rowUnit) <= PANEL_FLOATS;
      packs = packsB + (sharedA ? rowUnits : 0);
      colUnit = roundUp((nc + colCuts - 1) / colCuts, NR);
      colUnits = (nc + colUnit - 1) / colUnit;
      units = rowUnits * colUnits;
      if (item < first + packs + units) break;
      first += packs + units;
      if (p & 1) odd += units;
      else even += units;
      p++;
    }
    const panel = p & 1 ? panel1 : panel0;
    const multiplied = sync + MULTIPLIED + ((<usize>(p & 1)) << 2);
    const packFlags = flags + ((<usize>(blockFlags + (p & 1) * parts * 8)) << 2);
    const local = item - first;
    if (local < packs) {
      // The buffer is free once the panel two back is multiplied.
      waitAtLeast(multiplied, p & 1 ? odd : even, sleepers);
      if (local < packsB) {
        const c0 = local * packCols;
        packB(transB, B, ldb, pc, jc + c0, kc, min(packCols, nc - c0), panel + <usize>c0 * kc * 4);
      } else {
        const i0 = (local - packsB) * rowUnit;
        const rows = panel + <usize>kc * (roundUp(nc, NR) + i0) * 4;
        packA(transA, A, lda, i0, pc, min(rowUnit, M - i0), kc, rows);
      }
      publish(packFlags + (<usize>local << 2), p + 1, sleepers);
      continue;
    }
    // The same block of C in the depth block before adds into it first: its flag holds the number
    // of the last panel that multiplied it, plus one.
    const flag = flags + (<usize>(local - packs) << 2);
    if (pc > 0) waitAtLeast(flag, p, sleepers);
    const u = local - packs;
    const i0 = (u / colUnits) * rowUnit;
    const j0 = (u % colUnits) * colUnit;
    const mc = min(rowUnit, M - i0);
    const ncu = min(colUnit, nc - j0);
    // The pack items this block reads: its columns of B, and its rows of op(A) where shared. A
    // flag holds the number of the last panel that packed its item in this buffer, plus one.
    for (let q = j0 / packCols; q <= (j0 + ncu - 1) / packCols; q++) waitAtLeast(packFlags + (<usize>q << 2), p + 1, sleepers);
    if (sharedA) waitAtLeast(packFlags + (<usize>(packsB + i0 / rowUnit) << 2), p + 1, sleepers);
    let pa = panel + <usize>kc * (roundUp(nc, NR) + i0) * 4;
    if (!sharedA) {
      pa = packABuf;
      if (packedPanel != p || packedRows != i0) {
        packA(transA, A, lda, i0, pc, mc, kc, packABuf);
        packedPanel = p;
        packedRows = i0;
      }
    }
    const fresh = overwrite && pc == 0;
    const last = bias != 0 && pc + kc >= K;
    for (let jr = 0; jr < ncu; jr += NR) {
      const pb = panel + <usize>(j0 + jr) * kc * 4;
      const nr = min(NR, ncu - jr);
      const col = jc + j0 + jr;
      for (let ir = 0; ir < mc; ir += MR) {
        microKernel(
          kc, pa + <usize>ir * kc * 4, pb,
          C + ((<usize>(i0 + ir) * ldc + col) << 2), ldc, alpha, min(MR, mc - ir), nr, tile, fresh,
          last ? bias + (<usize>col << 2) : 0,
        );
      }
    }
    publish(flag, p + 1, sleepers);
    arrive(multiplied, sleepers);
  }
}

@inline
function roundUp(x: i32, unit: i32): i32 {
  return ((x + unit - 1) / unit) * unit;
}
