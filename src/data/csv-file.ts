// Reading a CSV file (Node): streamed in 1 MiB chunks, through gunzip when the file starts with
// gzip's magic bytes (1f 8b), whatever it is called; csv.ts does the parsing. The reading and the
// inflating run on libuv's thread pool while the main thread parses the chunk before.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import { open } from "node:fs/promises";
import { createGunzip, type ZlibOptions } from "node:zlib";
import { DataError, fileErrorReason } from "../errors.ts";
import { type CsvExamples, type CsvOptions, CsvParser } from "./csv.ts";

const CHUNK = 2 ** 20;
/** How much inflated text gunzip may hold ready while the parser works (4 chunks). */
const READ_AHEAD = 4 * CHUNK;

/** What takes a CSV's text: a CsvParser, or a pass that drains it as it goes (csv-stream-file.ts). */
export type CsvSink = Pick<CsvParser, "readBuffers" | "push">;

/** What a CSV file's first bytes and size say: gzipped or not, and the text's size (gzip's trailer gives it mod 2^32). */
export function probeCsv(path: string): { gzip: boolean; textBytes: number } {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (cause) {
    throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
  }
  try {
    const size = fstatSync(fd).size;
    const head = new Uint8Array(2);
    readSync(fd, head, 0, 2, 0);
    const gzip = head[0] === 0x1f && head[1] === 0x8b;
    if (!gzip || size < 18) return { gzip, textBytes: size };
    const tail = new Uint8Array(4);
    readSync(fd, tail, 0, 4, size - 4);
    return { gzip, textBytes: new DataView(tail.buffer).getUint32(0, true) };
  } catch (cause) {
    throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
  } finally {
    closeSync(fd);
  }
}

/** Pushes a plain file's bytes through `parser`: two buffers, the next read under way while one is parsed. */
async function pushPlain(path: string, parser: CsvSink): Promise<void> {
  const file = await open(path, "r");
  const bufs = parser.readBuffers(); // the fast path's own memory where it runs: no copy into it
  let i = 0;
  let next = file.read(bufs[0] as Uint8Array, 0, (bufs[0] as Uint8Array).length, null);
  try {
    for (;;) {
      const { bytesRead, buffer } = await next;
      if (bytesRead === 0) return;
      i ^= 1;
      next = file.read(bufs[i] as Uint8Array, 0, (bufs[i] as Uint8Array).length, null);
      // The parser copies what it keeps, so each buffer is free again once pushed.
      parser.push(buffer.subarray(0, bytesRead));
    }
  } finally {
    await next.catch(() => undefined); // a read still under way when the parser threw
    await file.close();
  }
}

/** Pushes a gzipped file's text through `parser`; gunzip (libuv's thread pool) runs up to READ_AHEAD ahead. */
async function pushGzip(path: string, parser: CsvSink): Promise<void> {
  const source = createReadStream(path, { highWaterMark: CHUNK });
  const gunzip = createGunzip({ chunkSize: CHUNK, readableHighWaterMark: READ_AHEAD } as ZlibOptions);
  source.on("error", (e) => gunzip.destroy(e));
  try {
    for await (const chunk of source.pipe(gunzip)) parser.push(chunk as Uint8Array);
  } finally {
    source.destroy();
  }
}

/**
 * Reads a CSV file, plain or gzipped (detected from its first two bytes), into examples; see
 * csv.ts for the header, label column and label rules. `options.file` defaults to `path`.
 * Streams: only a chunk or two and the record it ends in are held as text at any time.
 */
export async function readCsv(
  path: string,
  options: Omit<CsvOptions, "file"> & { file?: string } = {},
): Promise<CsvExamples> {
  const { textBytes } = probeCsv(path);
  const parser = new CsvParser({ expectedBytes: textBytes, ...options, file: options.file ?? path });
  await pushCsvFile(path, parser);
  return parser.finish();
}

/** Pushes the text of the CSV file at `path` (plain or gzipped, detected) into `sink`; a file's failure as a DataError naming it. */
export async function pushCsvFile(path: string, sink: CsvSink): Promise<void> {
  const { gzip } = probeCsv(path);
  try {
    await (gzip ? pushGzip(path, sink) : pushPlain(path, sink));
  } catch (cause) {
    if (cause instanceof DataError) throw cause;
    const code = (cause as { code?: string }).code ?? "";
    const why =
      code.startsWith("Z_") || code === "ERR_ZLIB"
        ? `the gzip stream is corrupt (${(cause as Error).message})`
        : `cannot be read (${fileErrorReason(cause)})`;
    throw new DataError(`${path}: ${why}`, path, { cause });
  }
}
