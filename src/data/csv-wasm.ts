// The CSV reader's fast path: assembly/csv-parse.ts compiled to WebAssembly SIMD, its 1.5 kB
// embedded (csv-parse-wasm.ts, written by scripts/build-wasm.mjs) so that it compiles
// synchronously, in Node and browsers alike; where WebAssembly SIMD is missing, CsvParser reads
// every record in JS. It takes runs of whole records of plain numbers (what nearly every row of a
// numeric CSV is) and stops at any other record, which the JS parser then reads: results and
// errors are the JS parser's. Parsing MNIST's 110 MB CSV took ~180 ms in JS, ~60 ms here.
import { decode, isBlank } from "./csv-bytes.ts";
import { CSV_PARSE_WASM } from "./csv-parse-wasm.ts";
import { compileEmbedded } from "./embedded-wasm.ts";

interface Exports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  stopAt(): number;
  TABLE_BYTES: WebAssembly.Global;
  initTable(at: number): void;
  parseRows(
    base: number,
    p: number,
    end: number,
    out: number,
    lab: number,
    maxRows: number,
    n: number,
    label: number,
    delim: number,
    float: number,
  ): number;
}

/** Text copied into the module at a time: whole records, a longer one is left to JS. */
const WINDOW = 2 ** 20;
/** Output room per call: rows of up to this many bytes of values. */
const OUT_BYTES = 2 ** 22;
/** Rows one call may take: a record has at least three bytes ("0,0" has a newline after it). */
const MAX_ROWS = Math.ceil(WINDOW / 3);

let compiled: WebAssembly.Module | null | undefined;
/** Instances kept for the next reads (~10 MiB of memory each, 2–3 MiB of it touched): two read at once. */
const POOL = 2;
const pool: CsvWasm[] = [];
let enabled = true;
/** Records the fast path has taken in this process (the tests check it is used). */
export const csvWasmTaken = { rows: 0 };

/** Turns the fast path off (or on again): the tests run the CSV spec against both parsers. */
export function useCsvWasm(on: boolean): void {
  enabled = on;
}

function module(): WebAssembly.Module | null {
  if (compiled === undefined) {
    compiled = compileEmbedded(CSV_PARSE_WASM); // null without WebAssembly SIMD: JS reads everything
  }
  return compiled;
}

/** One CSV read's instance: two read buffers, the text window, and the values and label offsets of the rows just taken. */
export class CsvWasm {
  private readonly ex: Exports;
  private readonly readAt: number;
  private readonly inAt: number;
  private readonly outAt: number;
  private readonly labAt: number;
  private readonly mem: Uint8Array;
  private readonly labels: Uint32Array;
  /** The text the window holds: src[from, to), at address `addr` (src's own when src is in this memory). */
  private src: Uint8Array | null = null;
  private from = 0;
  private to = 0;
  private addr = 0;
  /** Where the last call stopped, in src. */
  stop = 0;
  /** Records to leave to JS before trying again, and the last such pause (doubled at each miss). */
  private skip = 0;
  private pause = 0;

  /**
   * An instance, or null where the module cannot run: a released one when there is one (a new
   * one costs ~3 ms, its memory and table: far more than a small CSV's parse).
   */
  static create(): CsvWasm | null {
    const m = enabled ? module() : null;
    if (m === null) return null;
    const free = pool.pop();
    if (free) {
      free.src = null;
      free.skip = 0;
      free.pause = 0;
      return free;
    }
    try {
      return new CsvWasm(new WebAssembly.Instance(m).exports as unknown as Exports);
    } catch {
      return null; // out of memory: JS reads it, into arrays of its own
    }
  }

  /** Gives the instance back for the next read (nothing of a result lives in its memory). */
  release(): void {
    if (pool.length < POOL && !pool.includes(this)) pool.push(this);
  }

  private constructor(ex: Exports) {
    this.ex = ex;
    const align = (x: number) => Math.ceil(x / 16) * 16;
    const tableAt = align(ex.heapBase());
    this.readAt = align(tableAt + (ex.TABLE_BYTES.value as number));
    this.inAt = align(this.readAt + 2 * (WINDOW + 16));
    this.outAt = align(this.inAt + WINDOW + 16);
    this.labAt = align(this.outAt + OUT_BYTES + 32); // the SIMD stores run up to 32 bytes past the values
    const need = this.labAt + MAX_ROWS * 8;
    const have = ex.memory.buffer.byteLength;
    if (need > have) ex.memory.grow(Math.ceil((need - have) / 65536));
    ex.initTable(tableAt);
    this.mem = new Uint8Array(ex.memory.buffer);
    this.labels = new Uint32Array(ex.memory.buffer, this.labAt, MAX_ROWS * 2);
  }

  /** Two buffers of WINDOW bytes in this memory: text read into them is parsed where it lies, not copied. */
  readBuffers(): Uint8Array[] {
    return [0, 1].map((i) =>
      this.mem.subarray(this.readAt + i * (WINDOW + 16), this.readAt + i * (WINDOW + 16) + WINDOW),
    );
  }

  /** Rows of `features` values one call may take (0 when one row's values overflow the output room). */
  rowsFor(features: number): number {
    return Math.min(MAX_ROWS, Math.floor(OUT_BYTES / (4 * features)));
  }

  /** Forgets the window (a new buffer comes). */
  reset(): void {
    this.src = null;
  }

  /**
   * Takes up to `maxRows` records of `n` fields from buf[p…]; returns how many (0 when the first
   * is not plain, or longer than the window); `stop` is where it ended.
   */
  rows(buf: Uint8Array, p: number, maxRows: number, n: number, label: number, delim: number, float: boolean): number {
    if (this.skip-- > 0 || maxRows <= 0) return 0;
    if (this.src !== buf || p < this.from || p >= this.to) {
      if (buf.buffer === this.mem.buffer) {
        this.addr = buf.byteOffset;
        this.from = 0;
        this.to = buf.length;
      } else {
        let to = Math.min(buf.length, p + WINDOW);
        if (to < buf.length) {
          const nl = buf.lastIndexOf(10, to - 1);
          if (nl < p) return 0;
          to = nl + 1;
        }
        this.mem.set(buf.subarray(p, to), this.inAt);
        this.addr = this.inAt;
        this.from = p;
        this.to = to;
      }
      this.src = buf;
    }
    const at = this.addr - this.from;
    const ex = this.ex;
    const r = ex.parseRows(at, at + p, at + this.to, this.outAt, this.labAt, maxRows, n, label, delim, +float);
    this.stop = ex.stopAt() - at;
    csvWasmTaken.rows += r;
    // A record it does not take: JS reads it, and a few more each time this repeats.
    this.pause = r === 0 ? Math.min(1024, 2 * this.pause + 1) : 0;
    this.skip = this.pause;
    return r;
  }

  /** The values of the `count` values just taken (a view, valid until the next call). */
  values(count: number, float: boolean): Uint8Array | Float32Array {
    const b = this.ex.memory.buffer;
    return float ? new Float32Array(b, this.outAt, count) : new Uint8Array(b, this.outAt, count);
  }

  /** Row i's label, from the last call: its cell's text, blanks trimmed as the JS parser trims them. */
  label(buf: Uint8Array, i: number): string {
    let a = this.labels[2 * i] as number;
    let b = this.labels[2 * i + 1] as number;
    while (a < b && isBlank(buf[a])) a++;
    while (b > a && isBlank(buf[b - 1])) b--;
    return decode(buf, a, b);
  }
}

/** Whether the fast path can run here (WebAssembly SIMD compiles). */
export function csvWasmAvailable(): boolean {
  return module() !== null;
}
