// A CSV file's chunks for the reading thread (idx-stream-worker-file.ts): runs of whole records
// whose byte offsets the first pass found (csv-stream-file.ts), read at their offset, or in file
// order from a gzip stream; each parsed by CsvParser into the RowStore's chunk as the in-memory
// reader and scaleInputs give the values: float32 ÷ the run's scale, or bytes where they stay bytes.
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { CsvParser } from "./csv.ts";
import { type ChunkSource, type CsvLayout, fnv1a, type StreamLayout } from "./idx-stream-layout.ts";
import type { RowStore } from "./pixels-wasm.ts";

/** Reads the text of chunk c into `text` (from 0); returns its length. */
type TextReader = { read(c: number, text: Buffer): Promise<number>; close(): void };

function plainText(layout: StreamLayout, offsets: number[]): TextReader {
  const fd = openSync(layout.path, "r");
  return {
    read: async (c, text) => {
      const from = offsets[c] as number;
      const want = (offsets[c + 1] as number) - from;
      let got = 0;
      while (got < want) {
        const r = readSync(fd, text, got, want - got, from + got);
        if (r === 0) throw new Error(`${layout.path}: ended in chunk ${c}: the file changed since it was first read`);
        got += r;
      }
      return want;
    },
    close: () => closeSync(fd),
  };
}

/** The inflated text in file order: chunk c, once every chunk before it was read (the reader asks in order). */
function gzipText(layout: StreamLayout, offsets: number[]): TextReader {
  const source = createReadStream(layout.path);
  const pieces = (source.pipe(createGunzip()) as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  let at = 0; // the text's byte that `rest` starts at
  let rest: Buffer = Buffer.alloc(0);
  return {
    read: async (c, text) => {
      const [from, to] = [offsets[c] as number, offsets[c + 1] as number];
      if (at > from)
        throw new Error(`${layout.path}: chunk ${c} asked for after a later one: a gzip stream is read in order`);
      let filled = 0;
      while (at < to) {
        if (rest.length === 0) {
          const piece = await pieces.next();
          if (piece.done)
            throw new Error(`${layout.path}: ended in chunk ${c}: the file changed since it was first read`);
          rest = piece.value;
        }
        const skip = Math.min(rest.length, Math.max(0, from - at));
        const take = Math.min(rest.length - skip, to - at - skip);
        rest.copy(text, filled, skip, skip + take);
        filled += take;
        rest = rest.subarray(skip + take);
        at += skip + take;
      }
      return filled;
    },
    close: () => {
      void pieces.return?.();
      source.destroy();
    },
  };
}

/** The chunks of a CSV file whose first pass gave `layout.csv` (opened now; close it). */
export function csvChunks(layout: StreamLayout, store: RowStore): ChunkSource {
  const csv = layout.csv as CsvLayout;
  const { starts, offsets, scale } = csv;
  const n = layout.inputSize;
  const count = starts.length - 1;
  let longest = 0;
  for (let c = 0; c < count; c++) longest = Math.max(longest, (offsets[c + 1] as number) - (offsets[c] as number));
  const text = Buffer.allocUnsafe(longest);
  const reader = layout.gzip ? gzipText(layout, offsets) : plainText(layout, offsets);
  // Records only, of the first pass's label column: no header, nothing to detect.
  const parser = new CsvParser({
    file: layout.path,
    header: false,
    labelColumn: csv.labelColumn,
    delimiter: csv.delimiter,
    float32: true,
  });
  let next = 0;
  /** Chunk c's values ÷ scale into the store's chunk; its rows. */
  const parse = async (c: number): Promise<number> => {
    const length = await reader.read(c, text);
    parser.push(text.subarray(0, length));
    const { values, count: got } = parser.drain(true);
    const rows = (starts[c + 1] as number) - (starts[c] as number);
    if (got < rows || values.length !== got * n) {
      throw new Error(
        `${layout.path}: chunk ${c} holds ${got} rows, the first pass found ${rows}: the file changed since`,
      );
    }
    const raw = values as Float32Array;
    if (csv.bytes) {
      // Integers 0…255 at scale 255 stay bytes, as in memory: the store divides them as it does pixels.
      const out = store.memory;
      for (let i = 0, at = store.chunkAt; i < rows * n; i++) out[at + i] = raw[i] as number;
    } else {
      const out = new Float32Array(store.memory.buffer, store.chunkAt, rows * n);
      for (let i = 0; i < rows * n; i++) out[i] = (raw[i] as number) / scale;
    }
    return rows;
  };
  const read = async (c: number, each: (chunk: number, rows: number) => void) => {
    // A gzip stream is read in order: the chunks before c too (their rows are kept, as IDX's).
    for (let k = layout.gzip ? next : c; k <= c; k++) each(k, await parse(k));
    next = Math.max(next, c + 1);
  };
  return {
    count,
    first: (c) => starts[c] as number,
    chunkOf: (row) => {
      // Once an epoch or so, where a chunk is first wanted: a binary search over the starts.
      let [lo, hi] = [0, count - 1];
      while (lo < hi) {
        const mid = (lo + hi + 1) >> 1;
        if ((starts[mid] as number) <= row) lo = mid;
        else hi = mid - 1;
      }
      return lo;
    },
    read,
    close: () => {
      reader.close();
      parser.release();
    },
    // As checkpoint.ts hashes the examples held: their bytes where they stay bytes, else the float32 values.
    checksum: async (h) => {
      let hash = h;
      const bytesPerValue = csv.bytes ? 1 : 4;
      for (let c = 0; c < count; c++) {
        const rows = await parse(c);
        hash = fnv1a(hash, new Uint8Array(store.memory.buffer, store.chunkAt, rows * n * bytesPerValue));
      }
      return hash;
    },
  };
}
