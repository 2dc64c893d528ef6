// A CSV file (plain or gzipped) streamed as training goes (issue #32). A first pass reads the
// text once, holding no more than a piece of it: CsvParser decides the header, the label column,
// the labels and class names exactly as the in-memory reader does (and stops at the same errors,
// with the line and column), counts the rows, finds the largest value (for --input-scale max)
// and where each chunk of records starts; then the reading thread (csv-chunks-file.ts) parses
// the chunks it is asked for, at their offset (a gzip stream in file order), into the rows that
// the in-memory reader and scaleInputs would give.
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { constants, gunzipSync } from "node:zlib";
import { checkNumber, DataError, fileErrorReason } from "../errors.ts";
import { CsvParser } from "./csv.ts";
import { probeCsv, pushCsvFile } from "./csv-file.ts";
import type { LabelColumn } from "./csv-labels.ts";
import type { CsvLayout, StreamLayout } from "./idx-stream-layout.ts";
import { type InputScale, PIXEL_SCALE, resolveScale } from "./source.ts";
import type { ExampleStream } from "./stream.ts";
import { checkStreamShuffle } from "./stream-order.ts";
import { streamOfLayout } from "./stream-thread-file.ts";

export interface CsvStreamOptions {
  /** As readCsv's: the label's column, the classes' names, whether there is a header, the delimiter. */
  labelColumn?: LabelColumn;
  classNames?: readonly string[];
  header?: boolean;
  delimiter?: string;
  /** What the values are divided by (default "max": the largest value of the rows streamed, as in memory). */
  inputScale?: InputScale;
  /** Examples the shuffle buffer holds (default 50,000). */
  shuffleBuffer?: number;
  /** Bytes of text a chunk holds at least (default 4 MiB; a chunk ends at a record's end). */
  chunkBytes?: number;
  /** Stream only the first `limit` rows (--train-limit); the classes are still the whole file's, as in memory. */
  limit?: number;
  /** Batches read ahead (default 4). */
  ahead?: number;
}

/** A streamed CSV, and what the in-memory reader would have said of it. */
export interface CsvStream extends ExampleStream {
  classNames: string[];
  header: string[] | null;
  labelColumn: number;
  /** The number the values are divided by. */
  inputScale: number;
  /** Every value is an integer 0…255 (the in-memory reader would give bytes). */
  integerBytes: boolean;
}

const DEFAULT_SHUFFLE_BUFFER = 50_000;
const DEFAULT_CHUNK_BYTES = 4 * 2 ** 20;

/** What the first pass finds: the chunks (cut where at least chunkBytes of text were pushed), the label ids, the largest value. */
interface Scan {
  parser: CsvParser;
  starts: number[];
  offsets: number[];
  ids: Int32Array;
  rows: number;
  max: number;
  bytes: boolean;
}

async function scan(path: string, options: CsvStreamOptions, chunkBytes: number): Promise<Scan> {
  const { labelColumn, classNames, header, delimiter } = options;
  const parser = new CsvParser({
    file: path,
    ...(labelColumn !== undefined ? { labelColumn } : {}),
    ...(classNames !== undefined ? { classNames } : {}),
    ...(header !== undefined ? { header } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
  });
  const limit = options.limit ?? Number.POSITIVE_INFINITY;
  const s: Scan = { parser, starts: [0], offsets: [], ids: new Int32Array(1024), rows: 0, max: 0, bytes: true };
  let pushed = 0;
  let sincecut = 0;
  const cut = (final: boolean) => {
    sincecut = 0;
    const { values, ids, count } = parser.drain(final);
    if (count === 0) return;
    if (s.offsets.length === 0) s.offsets.push(parser.shape.dataStart);
    if (s.rows + count > s.ids.length) {
      const grown = new Int32Array(Math.max(2 * s.ids.length, s.rows + count));
      grown.set(s.ids.subarray(0, s.rows));
      s.ids = grown;
    }
    s.ids.set(ids, s.rows);
    // The scale's maximum over the rows trained on, as inputScaleOf takes it after --train-limit.
    const n = values.length / count;
    const upto = Math.max(0, Math.min(count, limit - s.rows)) * n;
    for (let i = 0; i < upto; i++) if ((values[i] as number) > s.max) s.max = values[i] as number;
    s.bytes &&= values instanceof Uint8Array;
    s.rows += count;
    s.starts.push(s.rows);
    s.offsets.push(final ? pushed : pushed - parser.pendingBytes);
  };
  await pushCsvFile(path, {
    readBuffers: () => parser.readBuffers(),
    push: (bytes: Uint8Array) => {
      // In pieces of at most what the chunk lacks: the reads' 1 MiB must not set the chunks' size.
      for (let at = 0; at < bytes.length; ) {
        const piece = bytes.subarray(at, at + chunkBytes - sincecut);
        parser.push(piece);
        at += piece.length;
        pushed += piece.length;
        sincecut += piece.length;
        if (sincecut >= chunkBytes) cut(false);
      }
    },
  });
  cut(true);
  parser.release();
  return s;
}

/** The CSV file at `path`, read once now (its labels kept: 4 bytes a row), then streamed. */
export async function openCsvStream(path: string, options: CsvStreamOptions = {}): Promise<CsvStream> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  checkNumber("chunkBytes", chunkBytes, { integer: true, min: 1 });
  if (options.limit !== undefined) checkNumber("limit", options.limit, { integer: true, min: 1 });
  const s = await scan(path, options, chunkBytes);
  const all = s.parser.labelsOf(s.ids, s.rows);
  const m = Math.min(s.rows, options.limit ?? s.rows);
  // The chunks that hold the first m rows; the last one's rows past m are parsed and left.
  const chunks = s.starts.findIndex((x) => x >= m);
  const starts = s.starts.slice(0, chunks + 1);
  starts[chunks] = m;
  const offsets = s.offsets.slice(0, chunks + 1);
  let chunkRows = 1;
  for (let c = 0; c < chunks; c++) chunkRows = Math.max(chunkRows, (starts[c + 1] as number) - (starts[c] as number));
  const shape = s.parser.shape;
  const scale = resolveScale(options.inputScale ?? "max", () => s.max);
  const csv: CsvLayout = {
    starts,
    offsets,
    labelColumn: shape.labelColumn,
    delimiter: options.delimiter ?? ",",
    scale,
    bytes: s.bytes && scale === PIXEL_SCALE,
  };
  const layout: StreamLayout = {
    path,
    gzip: probeCsv(path).gzip,
    csv,
    headerBytes: 0,
    examples: m,
    inputSize: shape.fields - 1,
    chunkRows,
    bufferRows: options.shuffleBuffer ?? DEFAULT_SHUFFLE_BUFFER,
  };
  const shuffle = checkStreamShuffle({
    examples: m,
    chunkRows,
    chunkStarts: starts,
    bufferRows: layout.bufferRows,
    sequential: layout.gzip,
  });
  const labels = all.labels.slice(0, m);
  return {
    ...streamOfLayout(layout, labels, shuffle, options.ahead ?? 4),
    classNames: all.classNames,
    header: shape.header,
    labelColumn: shape.labelColumn,
    inputScale: scale,
    integerBytes: s.bytes,
  };
}

/**
 * About how many bytes the in-memory reader would hold for the CSV at `path` (its first `limit`
 * rows), from its size and its first 64 KiB: rows × values × 5 where the values look like bytes
 * (the parsed byte and the backend's float32, as IDX), × 12 otherwise (the parsed float32, its
 * scaled copy, the backend's). An estimate to choose streaming by, not a promise.
 */
export function csvHeldEstimate(path: string, limit?: number): { rows: number; values: number; held: number } {
  let head: Uint8Array;
  let size: number;
  try {
    const fd = openSync(path, "r");
    try {
      size = fstatSync(fd).size;
      const buf = new Uint8Array(65536);
      head = buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
    } finally {
      closeSync(fd);
    }
  } catch (cause) {
    throw new DataError(`${path}: cannot be read (${fileErrorReason(cause)})`, path, { cause });
  }
  const { gzip, textBytes } = probeCsv(path);
  if (gzip) head = inflatedHead(head);
  // The complete lines after the first (which may be a header).
  const lines = new TextDecoder()
    .decode(head)
    .split("\n")
    .slice(1, -1)
    .filter((l) => l.trim() !== "");
  if (lines.length === 0) return { rows: 0, values: 0, held: 0 };
  const text = Math.max(textBytes, size); // gzip's trailer gives the text's size mod 2^32
  const perRow = lines.reduce((t, l) => t + l.length + 1, 0) / lines.length;
  const cells = lines.map((l) => l.split(/[,;\t]/));
  const values = (cells[0]?.length ?? 1) - 1;
  // Numbers that are integers 0…255 (the label's may be a name); one other number makes them float32.
  const byte = (cell: string) => {
    const v = Number(cell.trim().replace(/^"|"$/g, ""));
    return Number.isNaN(v) || (Number.isInteger(v) && v >= 0 && v <= 255);
  };
  const bytes = cells.every((row) => row.every(byte));
  const rows = Math.min(Math.round(text / perRow), limit ?? Number.POSITIVE_INFINITY);
  return { rows, values, held: rows * values * (bytes ? 5 : 12) };
}

function inflatedHead(head: Uint8Array): Uint8Array {
  try {
    return gunzipSync(head, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch {
    return new Uint8Array(0);
  }
}
