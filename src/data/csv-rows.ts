// The rows a CSV parser fills: m × features values, bytes while every one is an integer 0…255
// (pictures: a quarter of float32's memory, as IDX gives them), widened once into float32 by the
// first other value; and each row's label as an id into the label texts (LabelKeys, csv-labels.ts).
// The fields are public: CsvParser's record loop reads `out` and `top` and writes plain integers
// into `out` itself (its fastest paths as calls read MNIST ~10% slower).
import { DataError } from "../errors.ts";
import { storeDecimal } from "./csv-number.ts";

export class CsvRows {
  /** m × features values and room for more; bytes until a value is not one. */
  out: Float32Array<ArrayBuffer> | Uint8Array<ArrayBuffer>;
  /** The largest value plainCells may store: 255 into bytes, 999 into float32. */
  top: number;
  /** Each row's label, an id into the label texts. */
  ids = new Int32Array(0);
  /** The rows stored (since the last `take`). */
  m = 0;
  /** storeDecimal's value on its way into bytes, to check. */
  private readonly one = new Float32Array(1);
  private readonly file: string;
  readonly features: number;

  /** No rows yet, of `features` values each, in float32 from the start when `float32`; `file` names errors. */
  constructor(file: string, features: number, float32: boolean) {
    this.file = file;
    this.features = features;
    this.out = float32 ? new Float32Array(0) : new Uint8Array(0);
    this.top = float32 ? 999 : 255;
  }

  /** Room for more rows: to `expected` rows when the text's size gives an estimate, else twice as many. */
  grow(expected: number | undefined): void {
    const rows = this.out.length / Math.max(1, this.features);
    const want = expected === undefined ? Math.max(64, rows * 2) : Math.max(rows + 64, expected);
    const out = this.out instanceof Uint8Array ? this.alloc(want, Uint8Array) : this.alloc(want, Float32Array);
    out.set(this.out);
    this.out = out;
    const ids = new Int32Array(want);
    ids.set(this.ids);
    this.ids = ids;
  }

  /** Stores a float32 value at out[o], widening the bytes read so far first when it is not a byte (nor -0). */
  put(o: number, v: number): void {
    if (this.out instanceof Uint8Array && !(v === (v & 255) && (v !== 0 || 1 / v > 0))) this.widen(o);
    this.out[o] = v;
  }

  /** storeDecimal while `out` holds bytes: the value, through `one`, kept by put. */
  storeOne(buf: Uint8Array, p: number, d: number, last: boolean, o: number): number {
    const next = storeDecimal(buf, p, d, last, this.one, 0);
    if (next >= 0) this.put(o, this.one[0] as number);
    return next;
  }

  /** Turns the bytes read so far (the first `o` values) into float32, once; the rest is read as float32. */
  widen(o: number): Float32Array<ArrayBuffer> {
    const wide = this.alloc(this.out.length / Math.max(1, this.features), Float32Array);
    wide.set(this.out.subarray(0, o));
    this.out = wide;
    this.top = 999;
    return wide;
  }

  /** The rows stored so far, forgotten (views, valid until the next row is stored). */
  take(): { values: Float32Array | Uint8Array; ids: Int32Array; count: number } {
    const count = this.m;
    this.m = 0;
    return { values: this.out.subarray(0, count * this.features), ids: this.ids.subarray(0, count), count };
  }

  /** The values of all rows: a view when the spare room is small (≤ 1/16, expectedBytes's estimate), else a copy, not to hold much unused memory. */
  values(): Float32Array | Uint8Array {
    const size = this.m * this.features;
    const out = this.out;
    return out.length - size <= size / 16 ? out.subarray(0, size) : out.slice(0, size);
  }

  /** A new array of `rows` × features values, or an error saying it does not fit. */
  private alloc<T>(rows: number, type: new (length: number) => T): T {
    try {
      return new type(rows * this.features);
    } catch (cause) {
      const what = `${this.file}: ${rows} rows × ${this.features} values do not fit in memory`;
      throw new DataError(what, this.file, { cause });
    }
  }
}
