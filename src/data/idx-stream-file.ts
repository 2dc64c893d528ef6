// An IDX images file read as training goes (issue #32): its header and its labels now, its
// examples in chunks by a thread of their own (stream-thread-file.ts), a few batches ahead,
// in the order the stream's seeded shuffle draws (stream-order.ts). Peak memory is the shuffle
// buffer, a chunk and the batches ahead, whatever the file's size.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import { checkNumber, DataError, fileErrorReason } from "../errors.ts";
import { readIdx } from "./files.ts";
import { isGzip } from "./idx.ts";
import type { StreamLayout } from "./idx-stream-layout.ts";
import type { ExampleStream } from "./stream.ts";
import { checkStreamShuffle } from "./stream-order.ts";
import { streamOfLayout } from "./stream-thread-file.ts";

export interface IdxStreamOptions {
  /** Examples the shuffle buffer holds (default 50,000). */
  shuffleBuffer?: number;
  /** Bytes read at once (default 4 MiB): a chunk is as many examples as fit. */
  chunkBytes?: number;
  /** Read only the first `limit` examples (--train-limit). */
  limit?: number;
  /** Batches read ahead (default 4). */
  ahead?: number;
}

export const DEFAULT_SHUFFLE_BUFFER = 50_000;
const DEFAULT_CHUNK_BYTES = 4 * 2 ** 20;

/**
 * The file's first bytes. Streaming reads at offsets, which a pipe (a FIFO, a shell's `<(…)`)
 * cannot do: that is a DataError, so that the data is loaded in memory instead, read in order.
 */
function readHeaderBytes(path: string, fd: number, into: Uint8Array): number {
  try {
    return readSync(fd, into, 0, into.length, 0);
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code !== "ESPIPE") throw cause;
    throw new DataError(
      `${path}: a pipe, not a file: it cannot be streamed (read at offsets); load it in memory`,
      path,
      {
        cause,
      },
    );
  }
}

/** The header of an IDX images file: its dimensions, and the bytes it takes. */
export function readIdxImagesHeader(path: string): { count: number; rows: number; cols: number; gzip: boolean } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
  }
  try {
    const start = new Uint8Array(65536);
    const got = readHeaderBytes(path, fd, start);
    const gzip = isGzip(start.subarray(0, got));
    let head = start.subarray(0, got);
    if (gzip) head = gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
    if (head.length < 16 || head[0] !== 0 || head[1] !== 0 || head[2] !== 8 || head[3] !== 3) {
      throw new DataError(
        `${path}: not an unsigned-byte IDX images file (magic 2051, 3 dimensions): a streamed data set is MNIST-style IDX files`,
        path,
      );
    }
    const view = new DataView(head.buffer, head.byteOffset, 16);
    const [count, rows, cols] = [view.getUint32(4), view.getUint32(8), view.getUint32(12)];
    if (!gzip) {
      const size = fstatSync(fd).size;
      if (size !== 16 + count * rows * cols) {
        throw new DataError(
          `${path}: the header says ${count} × ${rows} × ${cols} (${16 + count * rows * cols} bytes with the header), but the file has ${size} bytes`,
          path,
        );
      }
    }
    return { count, rows, cols, gzip };
  } finally {
    closeSync(fd);
  }
}

/** The images of `imagesPath` and the labels of `labelsPath` (read whole: a byte each), streamed. */
export function openIdxStream(imagesPath: string, labelsPath: string, options: IdxStreamOptions = {}): ExampleStream {
  const header = readIdxImagesHeader(imagesPath);
  const n = header.rows * header.cols;
  const limit = options.limit ?? header.count;
  checkNumber("limit", limit, { integer: true, min: 1 });
  const m = Math.min(header.count, limit);
  const labelBytes = readIdx(labelsPath, 1).data;
  if (labelBytes.length !== header.count) {
    throw new DataError(
      `${labelsPath}: has ${labelBytes.length} labels, ${imagesPath} ${header.count} images: give the labels of these images`,
      labelsPath,
    );
  }
  const labels = Int32Array.from(labelBytes.subarray(0, m));
  const chunkRows = Math.max(1, Math.floor((options.chunkBytes ?? DEFAULT_CHUNK_BYTES) / n));
  const shuffle = checkStreamShuffle({
    examples: m,
    chunkRows,
    bufferRows: options.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER,
    sequential: header.gzip,
  });
  const layout: StreamLayout = {
    path: imagesPath,
    gzip: header.gzip,
    headerBytes: 16,
    examples: m,
    inputSize: n,
    chunkRows,
    bufferRows: shuffle.bufferRows,
  };
  return streamOfLayout(layout, labels, shuffle, options.ahead ?? 4);
}
