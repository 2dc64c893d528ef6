// What the two threads of a streamed file share (stream-thread-file.ts, the training side;
// idx-stream-worker-file.ts, the reading side): the file's layout, the words of shared memory,
// and what the reading thread asks of a source of chunks (an IDX file's, a CSV file's).

/** The file, and how it is cut and read ahead. */
export interface StreamLayout {
  path: string;
  gzip: boolean;
  /** A CSV file's text (its chunks cut at records by a first pass); absent: IDX pixel bytes. */
  csv?: CsvLayout;
  /** An image folder's pictures (a chunk is chunkRows of them, decoded together); `path` is the folder. */
  images?: ImagesLayout;
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

/** How a streamed CSV's text is cut and turned into values (csv-stream-file.ts's first pass finds it). */
export interface CsvLayout {
  /** The first example of each chunk, and the examples after the last (chunks + 1 entries). */
  starts: number[];
  /** The byte of the text each chunk starts at, and where the last ends (chunks + 1 entries). */
  offsets: number[];
  labelColumn: number;
  delimiter: string;
  /** Inputs are the values ÷ scale, rounded to float32 (as scaleInputs gives them in memory). */
  scale: number;
  /** Every value is an integer 0…255 and the scale 255: in memory they stay bytes (a float64 batch and the checksum take them so). */
  bytes: boolean;
}

/** A file's chunks as the reading thread reads them into a RowStore's chunk. */
export interface ChunkSource {
  /** Chunks in the file. */
  readonly count: number;
  /** The first example of chunk c, and the chunk of an example. */
  first(c: number): number;
  chunkOf(row: number): number;
  /**
   * Reads chunk c into the store's memory at chunkAt (rows of values), and, where the file can
   * only be read in order (gzip), the chunks before it not read yet, calling `each` with each
   * chunk and its number of rows.
   */
  read(c: number, each: (chunk: number, rows: number) => void): Promise<void>;
  /** The checksum a checkpoint of the examples held in memory records, continued from h (reads every chunk). */
  checksum(h: number): Promise<number>;
  close(): void;
}

/** The pictures of a streamed image folder, in row order, and the size each is made (image-stream-file.ts). */
export interface ImagesLayout {
  files: string[];
  rows: number;
  cols: number;
  /** Prepared as `predict --center` prepares them (digitToInput) rather than resized. */
  center: boolean;
}
