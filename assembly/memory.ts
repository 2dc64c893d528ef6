// The sizes the host needs to lay out this module's memory: the gemm tiles and blocks, the
// packing buffers each thread reserves, and where the static data ends.

/** Rows and columns of the micro-kernel's tile of C (gemm-kernel.ts). */
export const MR: i32 = 4;
export const NR: i32 = 8;
/**
 * Most depth of a packed block: a 4 × KC sliver of A (8 KiB) and a KC × 8 sliver of B (16 KiB).
 * KC = 512 and MC = 96 measured 15–30 % faster than 256 and 128 on the experiment's shapes
 * (one thread, fused multiply-add).
 */
export const KC: i32 = 512;
/** Rows of the packed A block (MC × KC · 4 B = 192 KiB, in L2). */
export const MC: i32 = 96;
/** Columns of the packed B panel (KC × NC · 4 B = 4 MiB, in L3). */
export const NC: i32 = 2048;

/** Bytes the host must reserve for the packing buffers `packA` and `packB`, and the edge tile. */
export const PACK_A_BYTES: i32 = MC * KC * 4;
export const PACK_B_BYTES: i32 = KC * NC * 4;
export const TILE_BYTES: i32 = MR * NR * 4;

/** First byte the host may use: everything below belongs to this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}
