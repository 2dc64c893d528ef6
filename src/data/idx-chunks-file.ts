// An IDX images file's chunks for the reading thread (idx-stream-worker-file.ts): chunkRows
// pictures each, read at their offset into the RowStore's chunk, or inflated in file order from a
// gzip stream; and the checksum of its pixel bytes.
import { closeSync, createReadStream, openSync, readSync } from "node:fs";
import { createGunzip } from "node:zlib";
import { type ChunkSource, fnv1a, type StreamLayout } from "./idx-stream-layout.ts";
import type { RowStore } from "./pixels-wasm.ts";

/** The file's inflated bytes after the header, in pieces, ending after the last example. */
async function* inflatedBytes(layout: StreamLayout): AsyncGenerator<Buffer> {
  const source = createReadStream(layout.path, layout.gzip ? {} : { start: layout.headerBytes });
  const stream = layout.gzip ? source.pipe(createGunzip()) : source;
  let skip = layout.gzip ? layout.headerBytes : 0;
  let left = layout.examples * layout.inputSize;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      let bytes = piece;
      if (skip > 0) {
        const cut = Math.min(skip, bytes.length);
        skip -= cut;
        bytes = bytes.subarray(cut);
      }
      if (bytes.length > left) bytes = bytes.subarray(0, left);
      left -= bytes.length;
      if (bytes.length > 0) yield bytes;
      if (left === 0) return;
    }
    throw new Error(`${layout.path}: ended ${left} bytes before the last example: the file is truncated`);
  } finally {
    source.destroy();
  }
}

type Reader = Pick<ChunkSource, "read" | "close">;

function plainChunks(layout: StreamLayout, store: RowStore): Reader {
  const { examples: m, inputSize: n, chunkRows } = layout;
  const fd = openSync(layout.path, "r");
  return {
    read: async (c, each) => {
      const rows = Math.min(chunkRows, m - c * chunkRows);
      const want = rows * n;
      let got = 0;
      while (got < want) {
        const at = store.chunkAt + got;
        const r = readSync(fd, store.memory, at, want - got, layout.headerBytes + c * chunkRows * n + got);
        if (r === 0) throw new Error(`${layout.path}: ended at chunk ${c}: the file is truncated`);
        got += r;
      }
      each(c, rows);
    },
    close: () => closeSync(fd),
  };
}

function gzipChunks(layout: StreamLayout, store: RowStore): Reader {
  const { examples: m, inputSize: n, chunkRows } = layout;
  const pieces = inflatedBytes(layout);
  let next = 0;
  let filled = 0;
  let rest: Buffer = Buffer.alloc(0);
  return {
    read: async (c, each) => {
      while (next <= c) {
        const rows = Math.min(chunkRows, m - next * chunkRows);
        const want = rows * n;
        while (filled < want) {
          if (rest.length === 0) {
            const piece = await pieces.next();
            if (piece.done) throw new Error(`${layout.path}: ended at chunk ${next}: the file is truncated`);
            rest = piece.value;
          }
          const take = Math.min(want - filled, rest.length);
          rest.copy(store.memory, store.chunkAt + filled, 0, take);
          filled += take;
          rest = rest.subarray(take);
        }
        each(next, rows);
        next++;
        filled = 0;
      }
    },
    close: () => void pieces.return(undefined),
  };
}

/** The chunks of an IDX images file (opened now; close it). */
export function idxChunks(layout: StreamLayout, store: RowStore): ChunkSource {
  const { examples: m, inputSize: n, chunkRows } = layout;
  const count = Math.ceil(m / chunkRows);
  const reader = layout.gzip ? gzipChunks(layout, store) : plainChunks(layout, store);
  return {
    count,
    first: (c) => c * chunkRows,
    chunkOf: (row) => Math.floor(row / chunkRows),
    read: reader.read,
    close: reader.close,
    // FNV-1a of the examples' bytes in file order.
    checksum: async (h) => {
      let hash = h;
      if (layout.gzip) {
        for await (const bytes of inflatedBytes(layout)) hash = fnv1a(hash, bytes);
        return hash;
      }
      // Through one buffer: the pieces of a read stream would be garbage the size of the file.
      const chunk = (rows: number) => store.memory.subarray(store.chunkAt, store.chunkAt + rows * n);
      for (let c = 0; c < count; c++) await reader.read(c, (_, rows) => void (hash = fnv1a(hash, chunk(rows))));
      return hash;
    },
  };
}
