// Reading a CSV file (Node): streamed in 1 MiB chunks, through gunzip when the file starts with
// gzip's magic bytes (1f 8b), whatever it is called; csv.ts does the parsing.
import { closeSync, createReadStream, fstatSync, openSync, readSync } from "node:fs";
import type { Readable } from "node:stream";
import { createGunzip } from "node:zlib";
import { DataError, fileErrorReason } from "../errors.ts";
import { type CsvExamples, type CsvOptions, CsvParser } from "./csv.ts";

const CHUNK = 2 ** 20;

/** What a CSV file's first bytes and size say: gzipped or not, and the text's size (gzip's trailer gives it mod 2^32). */
function probe(path: string): { gzip: boolean; textBytes: number } {
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

/**
 * Reads a CSV file, plain or gzipped (detected from its first two bytes), into examples; see
 * csv.ts for the header, label column and label rules. `options.file` defaults to `path`.
 * Streams: only a chunk and the record it ends in are held as text at any time.
 */
export async function readCsv(
  path: string,
  options: Omit<CsvOptions, "file"> & { file?: string } = {},
): Promise<CsvExamples> {
  const { gzip, textBytes } = probe(path);
  const parser = new CsvParser({ expectedBytes: textBytes, ...options, file: options.file ?? path });
  const source = createReadStream(path, { highWaterMark: CHUNK });
  let stream: Readable = source;
  if (gzip) {
    const gunzip = createGunzip({ chunkSize: CHUNK });
    source.on("error", (e) => gunzip.destroy(e));
    stream = source.pipe(gunzip);
  }
  try {
    for await (const chunk of stream) parser.push(chunk as Uint8Array);
  } catch (cause) {
    source.destroy();
    if (cause instanceof DataError) throw cause;
    const code = (cause as { code?: string }).code ?? "";
    const why =
      code.startsWith("Z_") || code === "ERR_ZLIB"
        ? `the gzip stream is corrupt (${(cause as Error).message})`
        : `cannot be read (${fileErrorReason(cause)})`;
    throw new DataError(`${path}: ${why}`, path, { cause });
  }
  return parser.finish();
}
