// CSV → Examples, platform-free (bytes in, typed arrays out; the file reading is csv-file.ts).
// RFC 4180 fields: comma-separated, optionally "quoted", "" for a quote inside quotes, newlines
// inside quotes; \n or \r\n ends a record; blank lines are skipped; a UTF-8 BOM is dropped.
// Parsed by hand, byte by byte, because the libraries were far too slow for 3× IDX (~150 ms) on
// Kaggle's 110 MB MNIST CSV: papaparse 1.09 s and csv-parse 16.4 s, before any number conversion.
//
// Header: the first record is a header when every cell is non-numeric, or when a cell outside the
// label column is (a headerless CSV of string labels has its only non-numeric cell in that column).
// Labels: all non-negative integers below 1024 written plainly ("0", "7", not "07" or "7.0") are
// class indices, as IDX labels are (MNIST's 0–9 stay 0–9, and a second file of the same data gets
// the same indices); a class below the largest with no example is refused, as in IDX files, unless
// `classNames` names them all. Any other labels are names: sorted (numerically when all are
// numbers), the index is the rank (csv-labels.ts).
// Fewer than two classes is an error, unless `classNames` is given (a test set may hold one).
// Features: bytes while every one is an integer 0…255 (pictures: a quarter of float32's memory, as
// IDX gives them); the first other value widens them once into float32 (csv-rows.ts). Each is
// fround(Number(text)).
import { DataError, describe } from "../errors.ts";
import { CR, concat, decode, isBlank, NL, QUOTE } from "./csv-bytes.ts";
import { cellError, columnText, wrongLengthText } from "./csv-errors.ts";
import { chooseLabel, detectHeader, LabelKeys } from "./csv-labels.ts";
import { csvNumber, plainCells, plainEnd, storeDecimal } from "./csv-number.ts";
import { type CsvOptions, checkOptions } from "./csv-options.ts";
import { CsvRows } from "./csv-rows.ts";
import { CsvWasm } from "./csv-wasm.ts";
import type { Examples } from "./examples.ts";

export { LABEL_NAMES, type LabelColumn, MAX_INDEX_LABEL } from "./csv-labels.ts";
export { csvNumber } from "./csv-number.ts";
export type { CsvOptions } from "./csv-options.ts";

/** What a CSV gives: the examples, its header (null when it has none) and the label's 0-based column. */
export interface CsvExamples extends Examples {
  /** m × inputSize, bytes (`integerBytes`) or float32; may be a view on a slightly longer buffer (≤ 1/16 more). */
  inputs: Float32Array | Uint8Array;
  header: string[] | null;
  labelColumn: number;
}

/** A record longer than this is refused (a damaged file, or one quote left open), 64 MiB. */
export const MAX_RECORD_BYTES = 2 ** 26;

/** Reads a CSV pushed in chunks of any size; `finish()` gives the examples. Only a chunk's unfinished last record is kept. */
export class CsvParser {
  private readonly file: string;
  private readonly delim: number;
  private readonly options: CsvOptions;
  /** The line number of the next record's first byte. */
  private line = 1;
  /** Fields per record (0 until the first record), label column. */
  private n = 0;
  private label = -1;
  private header: string[] | null = null;
  private started = false;
  private pending: Uint8Array = new Uint8Array(0);
  /** Bytes parsed before this region, the current record's offset in it, and the header's bytes (to estimate the rows to come). */
  private bytesDone = 0;
  private at = 0;
  private headerBytes = 0;
  /** A UTF-8 BOM's 3 bytes at the start, or 0. */
  private bom = 0;
  /** The rows read, their labels as ids into `keys`' texts; empty until the first record fixes the features. */
  private rows: CsvRows;
  private readonly keys: LabelKeys;
  /** The last scanned cell's text, and the newlines inside its quotes. */
  private cell = "";
  private cellLines = 0;
  /** The WebAssembly fast path (csv-wasm.ts); null where it cannot run. */
  private fast: CsvWasm | null;

  constructor(options: CsvOptions) {
    checkOptions(options);
    this.file = options.file;
    this.delim = (options.delimiter ?? ",").charCodeAt(0);
    this.options = options;
    this.rows = new CsvRows(this.file, 0, options.float32 === true);
    this.keys = new LabelKeys(options.classNames, (line, problem) => this.error(line, this.label, problem));
    this.fast = CsvWasm.create();
  }

  /** Two buffers to read text into and push (reusable once pushed): the fast path's memory, parsed where it lies. */
  readBuffers(): Uint8Array[] {
    return this.fast?.readBuffers() ?? [new Uint8Array(2 ** 20), new Uint8Array(2 ** 20)];
  }

  /** Parses the complete records in `chunk` and keeps the rest for the next push. */
  push(bytes: Uint8Array): void {
    // A plain Uint8Array view, whatever came (a Node Buffer): one map keeps the hot loop monomorphic.
    let chunk = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (!this.started) chunk = this.start(chunk);
    if (this.pending.length > 0) {
      const nl = chunk.indexOf(NL);
      if (nl < 0) {
        this.keep(concat(this.pending, chunk));
        return;
      }
      // The pending record most likely ends at this chunk's first newline: parse just that join.
      const joined = concat(this.pending, chunk.subarray(0, nl + 1));
      const used = this.parse(joined, false);
      if (used < joined.length) {
        this.keep(concat(joined.subarray(used), chunk.subarray(nl + 1)));
        return;
      }
      this.pending = new Uint8Array(0);
      chunk = chunk.subarray(nl + 1);
    }
    const last = chunk.lastIndexOf(NL);
    const used = last < 0 ? 0 : this.parse(chunk.subarray(0, last + 1), false);
    this.keep(new Uint8Array(chunk.subarray(used)));
  }

  /**
   * Hands over the rows parsed since the last drain, and forgets them (a streamed pass holds no
   * more than a push's rows): their values (a view, valid until the next push; bytes until a
   * value is not one, as finish gives them) and their labels as ids into the texts seen so far
   * (resolved by `labelsOf`). `final`: the text is all pushed, parse the last record too.
   */
  drain(final: boolean): { values: Float32Array | Uint8Array; ids: Int32Array; count: number } {
    if (final && this.pending.length > 0) this.parse(this.pending, true);
    if (final) this.pending = new Uint8Array(0);
    return this.rows.take();
  }

  /** Hands the fast path's memory to the next parser (finish does so); drain no more after. */
  release(): void {
    this.fast?.release();
    this.fast = null;
  }

  /** Bytes pushed but not parsed yet (the start of an unfinished record): where the next record starts, counted back. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** The header (null when none), the label's column, the fields a record has (0 before the first record), and the byte where the data rows start. */
  get shape(): { header: string[] | null; labelColumn: number; fields: number; dataStart: number } {
    return { header: this.header, labelColumn: this.label, fields: this.n, dataStart: this.bom + this.headerBytes };
  }

  /** The class indices and names of `count` rows whose label ids (from drain) are `ids`, as finish resolves them. */
  labelsOf(ids: Int32Array, count: number): { labels: Int32Array; classNames: string[] } {
    const f = this.file;
    if (this.n === 0)
      throw new DataError(`${f}: is empty; a CSV has one example a row (a header row first is optional)`, f);
    if (count === 0) throw new DataError(`${f}: has a header but no rows of data after it`, f);
    return this.keys.resolve(ids, count, f, columnText(this.header, this.label));
  }

  /** The examples, once every chunk is pushed. */
  finish(): CsvExamples {
    if (this.pending.length > 0) this.parse(this.pending, true);
    this.pending = new Uint8Array(0);
    this.release();
    const rows = this.rows;
    const { labels, classNames } = this.labelsOf(rows.ids, rows.m);
    return {
      inputs: rows.values(),
      labels,
      inputSize: rows.features,
      classNames,
      ...(rows.out instanceof Uint8Array ? { integerBytes: true as const } : {}),
      header: this.header,
      labelColumn: this.label,
    };
  }

  private start(chunk: Uint8Array): Uint8Array {
    if (chunk.length === 0) return chunk;
    this.started = true;
    if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
      throw new DataError(
        `${this.file}: is gzip-compressed; inflate it first (readCsv does, whatever the file is called)`,
        this.file,
      );
    }
    if (chunk[0] === 0xef && chunk[1] === 0xbb && chunk[2] === 0xbf) this.bom = 3;
    return chunk.subarray(this.bom);
  }

  private keep(rest: Uint8Array): void {
    if (rest.length > MAX_RECORD_BYTES) {
      throw new DataError(
        `${this.file}: line ${this.line}: a record runs past ${MAX_RECORD_BYTES} bytes; is a quote left open?`,
        this.file,
      );
    }
    this.pending = rest;
  }

  /** Parses whole records from `buf`; returns the bytes used (an unclosed quote stops it unless `final`). */
  private parse(buf: Uint8Array, final: boolean): number {
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.fast?.reset();
    let p = 0;
    while (p < buf.length) {
      const c = buf[p];
      if (c === NL || (c === CR && (buf[p + 1] === NL || p + 1 === buf.length))) {
        p += c === CR && p + 1 < buf.length ? 2 : 1;
        this.line++;
        continue;
      }
      this.at = p;
      let next = this.n === 0 ? this.firstRecord(buf, p, final) : this.fastRecords(buf, p);
      if (next === p) next = this.record(buf, view, p, final);
      if (next < 0) break;
      p = next;
    }
    p = Math.min(p, buf.length); // a last record without a newline ends at the end, not past it
    this.bytesDone += p;
    return p;
  }

  /** Where the cell at `p` ends (at a delimiter, newline or the end), its text in `this.cell`; -1 if a quote is open. */
  private scanCell(buf: Uint8Array, p: number, final: boolean, line: number, column: number): number {
    const end = buf.length;
    const d = this.delim;
    if (buf[p] !== QUOTE) {
      let q = p;
      while (q < end && buf[q] !== d && buf[q] !== NL) q++;
      let a = p;
      let b = q;
      while (a < b && isBlank(buf[a])) a++;
      while (b > a && isBlank(buf[b - 1])) b--;
      this.cell = decode(buf, a, b);
      return q;
    }
    const parts: string[] = [];
    let from = p + 1;
    for (;;) {
      const close = buf.indexOf(QUOTE, from);
      if (close < 0) {
        if (!final) return -1;
        throw this.error(line, column, "a quoted field is not closed; close it with a quote");
      }
      if (buf[close + 1] === QUOTE) {
        parts.push(decode(buf, from, close + 1));
        from = close + 2;
        continue;
      }
      parts.push(decode(buf, from, close));
      let q = close + 1;
      while (q < end && buf[q] !== d && isBlank(buf[q])) q++; // a tab may be the delimiter
      if (q < end && buf[q] !== d && buf[q] !== NL) {
        throw this.error(
          line,
          column,
          `${describe(decode(buf, close + 1, q + 1))} follows the closing quote; put a delimiter there, or write a quote inside quotes as ""`,
        );
      }
      this.cell = parts.join("");
      let lines = 0;
      for (let i = p; i < q; i++) if (buf[i] === NL) lines++;
      this.cellLines = lines;
      return q;
    }
  }

  /** The first record: fixes the number of fields, whether it is a header, and the label column. */
  private firstRecord(buf: Uint8Array, p: number, final: boolean): number {
    const cells: string[] = [];
    let lines = 0;
    for (;;) {
      const q = this.scanCell(buf, p, final, this.line + lines, cells.length);
      if (q < 0) return -1;
      cells.push(this.cell);
      lines += buf[p] === QUOTE ? this.cellLines : 0;
      if (q >= buf.length || buf[q] === NL) {
        p = q + 1;
        break;
      }
      p = q + 1;
    }
    const f = this.file;
    if (cells.length < 2) {
      throw new DataError(
        `${f}: line ${this.line} has one field only; a CSV needs a label column and at least one feature column (is the delimiter ${describe(String.fromCharCode(this.delim))}?)`,
        f,
      );
    }
    const isHeader = this.options.header ?? detectHeader(cells, this.options.labelColumn);
    this.n = cells.length;
    this.header = isHeader ? cells : null;
    if (isHeader) this.headerBytes = this.bytesDone + p;
    this.label = chooseLabel(this.options.labelColumn, this.header, cells.length, f);
    this.rows = new CsvRows(f, cells.length - 1, this.options.float32 === true);
    if (!isHeader) this.commit(cells, this.line);
    this.line += lines + 1;
    return p;
  }

  /** Whole records of plain numbers from buf[p] on by the fast path; where it stopped (p: JS reads the next). */
  private fastRecords(buf: Uint8Array, p: number): number {
    const fast = this.fast;
    const rows = this.rows;
    const f = rows.features;
    if (fast === null) return p;
    if (rows.out.length < (rows.m + 1) * f) this.grow();
    const float = rows.out instanceof Float32Array;
    const room = Math.min(fast.rowsFor(f), rows.out.length / f - rows.m);
    const r = fast.rows(buf, p, room, this.n, this.label, this.delim, float);
    if (r === 0) return p;
    rows.out.set(fast.values(r * f, float), rows.m * f);
    for (let i = 0; i < r; i++) rows.ids[rows.m++] = this.keys.id(fast.label(buf, i), this.line++);
    return fast.stop;
  }

  /** A data record; returns where the next one starts, or -1 when a quote is open past the end. */
  private record(buf: Uint8Array, view: DataView, p: number, final: boolean): number {
    const n = this.n;
    const L = this.label;
    const d = this.delim;
    const rows = this.rows;
    const row = rows.m;
    if ((row + 1) * rows.features > rows.out.length) this.grow();
    let out = rows.out;
    let o = row * rows.features;
    let lines = 0;
    let key = "";
    for (let j = 0; j < n; j++) {
      const last = j === n - 1;
      let q: number;
      if (j !== L && !last) {
        // The cells up to the label's or the last, while they are short integers (plainCells).
        const o2 = plainCells(view, p, (L > j ? L : n - 1) - j, out, o, d, buf.length - 4, rows.top);
        if (o2 > o) {
          j += o2 - o - 1;
          o = o2;
          p = plainEnd.p;
          continue;
        }
      }
      if (j !== L) {
        // Fastest paths, for a plain unsigned integer before a delimiter (a "0" most of all, as in pictures).
        let c = buf[p];
        if (!last) {
          if (c === 48 && buf[p + 1] === d) {
            out[o++] = 0;
            p += 2;
            continue;
          }
          if (c !== undefined && c > 48 && c <= 57) {
            let i = p;
            let v = c - 48;
            c = buf[++i];
            while (c !== undefined && c >= 48 && c <= 57) {
              v = v * 10 + (c - 48);
              c = buf[++i];
            }
            if (c === d && i - p <= 15) {
              if (v > 255 && out instanceof Uint8Array) out = rows.widen(o);
              out[o++] = v;
              p = i + 1;
              continue;
            }
          }
        }
        // The integer path stays written out above: as a call, even an inlined one, MNIST read ~10% slower.
        // Into bytes, the value goes through `one` and is checked first (a -1 would wrap to 255).
        const next =
          out instanceof Float32Array ? storeDecimal(buf, p, d, last, out, o) : rows.storeOne(buf, p, d, last, o);
        if (next >= 0) {
          out = rows.out;
          o++;
          p = next;
          continue;
        }
        // Anything else: the cell's text, checked and converted as Number() does.
        q = this.scanCell(buf, p, final, this.line + lines, j);
        if (q < 0) return -1;
        rows.put(o++, this.feature(this.cell, this.line + lines, j));
        out = rows.out;
      } else {
        q = this.scanCell(buf, p, final, this.line + lines, j);
        if (q < 0) return -1;
        key = this.cell;
      }
      if (buf[p] === QUOTE) lines += this.cellLines;
      const c = buf[q];
      if (last ? c === d : c !== d) this.wrongLength(buf, q, j, this.line + lines);
      p = q + 1;
    }
    rows.ids[row] = this.keys.id(key, this.line);
    rows.m = row + 1;
    this.line += lines + 1;
    return p;
  }

  /** A feature cell's value as float32, or an error naming it. */
  private feature(text: string, line: number, column: number): number {
    if (text === "")
      throw this.error(line, column, "is empty; every feature must be a number (fill in or drop missing values)");
    const v = Math.fround(csvNumber(text));
    if (Number.isNaN(v)) {
      throw this.error(
        line,
        column,
        `${describe(text)} is not a number; every column but the label's must be numeric (is labelColumn right? it is column ${this.label})`,
      );
    }
    if (!Number.isFinite(v)) throw this.error(line, column, `${text} is outside float32's range (±3.4e38)`);
    return v;
  }

  /** Stores a record given as cell texts (the first, when it is not a header). */
  private commit(cells: string[], line: number): void {
    const rows = this.rows;
    this.grow();
    let o = rows.m * rows.features;
    for (let j = 0; j < cells.length; j++) {
      if (j !== this.label) rows.put(o++, this.feature(cells[j] as string, line, j));
    }
    rows.ids[rows.m] = this.keys.id(cells[this.label] as string, line);
    rows.m++;
  }

  /** Room for more rows, to the total the text's size suggests when it is known. */
  private grow(): void {
    const expected = this.options.expectedBytes;
    const m = this.rows.m;
    // Rows to come from the bytes per row so far, the header left out (7 kB in Kaggle's MNIST, it
    // made the estimate 4% short, and the late second grow cost a 188 MB copy), and 4% to spare.
    const done = this.bytesDone + this.at - this.headerBytes;
    const known = expected !== undefined && m >= 64 && done > 0;
    this.rows.grow(known ? Math.ceil(((expected - this.headerBytes) / done) * m * 1.04) + 16 : undefined);
  }

  /** Refuses the record whose field j ended at buf[q], the wrong place for its end. */
  private wrongLength(buf: Uint8Array, q: number, j: number, line: number): never {
    throw this.error(line, j, wrongLengthText(buf, q, j, this.delim, this.n, this.header !== null));
  }

  private error(line: number, column: number, what: string): DataError {
    return cellError(this.file, this.header, line, column, what);
  }
}

/** Parses a CSV given as chunks of bytes (a stream's, or one whole buffer in an array). */
export async function parseCsv(
  chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: CsvOptions,
): Promise<CsvExamples> {
  const parser = new CsvParser(options);
  for await (const chunk of chunks) parser.push(chunk);
  return parser.finish();
}

/** `parseCsv` for chunks already at hand. */
export function parseCsvSync(chunks: Iterable<Uint8Array>, options: CsvOptions): CsvExamples {
  const parser = new CsvParser(options);
  for (const chunk of chunks) parser.push(chunk);
  return parser.finish();
}
