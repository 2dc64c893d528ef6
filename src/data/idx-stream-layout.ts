// What the two threads of a streamed IDX file share (idx-stream-file.ts, the training side;
// idx-stream-worker-file.ts, the reading side): the file's layout and the words of shared memory.

/** The file, and how it is cut and read ahead. */
export interface StreamLayout {
  path: string;
  gzip: boolean;
  /** Bytes before the first example (of the inflated stream, for gzip). */
  headerBytes: number;
  /** Examples read (the file's, or fewer: --train-limit), and bytes each. */
  examples: number;
  inputSize: number;
  /** Examples per chunk read at once, and the shuffle buffer's size. */
  chunkRows: number;
  bufferRows: number;
}

/** The Int32 words of the control block: the epoch in progress, a failure, a reply; then 4 per slot. */
export const SLOT = { generation: 0, error: 1, reply: 2 } as const;

/** A slot's words: its state (0 free, 1 filled), and the epoch, position and size of its batch. */
export function slotOffsets(k: number): { state: number; generation: number; position: number; count: number } {
  const base = 4 + 4 * k;
  return { state: base, generation: base + 1, position: base + 2, count: base + 3 };
}

/** Words of a control block for `slots` slots. */
export const controlWords = (slots: number) => 4 + 4 * slots;

/** FNV-1a, 32-bit, over `bytes`, continued from `h` (train/checkpoint.ts's checksum, in parts). */
export function fnv1a(h: number, bytes: Uint8Array): number {
  let x = h;
  for (let i = 0; i < bytes.length; i++) x = Math.imul(x ^ (bytes[i] as number), 0x01000193);
  return x;
}
