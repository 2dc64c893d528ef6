import { ArgumentError, ShapeError } from "../errors.ts";

export type FloatArray = Float32Array | Float64Array;
export type DType = "float32" | "float64";

/**
 * The smallest normal float32, 2^-126 ≈ 1.2e-38. The float32 backends (wasm, native) write 0 for
 * element-wise results smaller than this in magnitude: subnormal operands make Intel's cores
 * multiply through a microcode assist, and saturated sigmoids made fine-tuning's largest product
 * 21 (wasm) to 27 (native) times slower with them (`npm run bench:profile -- --stage finetune --scale 20`).
 */
export const FLOAT32_MIN_NORMAL = 2 ** -126;

/**
 * Where a matrix's numbers live. `array()` returns the whole typed array that holds them; for
 * the WebAssembly backend that array is a view of the module's memory, re-created after the
 * memory grows (a view of a grown memory is detached), so a Matrix never caches it for long.
 */
export interface Storage<T extends FloatArray> {
  array(): T;
  /**
   * Set by `backend.free`: the numbers are given back (the WebAssembly backend hands the same
   * bytes to the next matrix), so the matrix and its views may no longer be read or written.
   */
  freed?: boolean;
}

/** A row-major rows × cols matrix: elements [offset, offset + rows·cols) of its storage. */
export class Matrix<T extends FloatArray = FloatArray> {
  readonly rows: number;
  readonly cols: number;
  /** Element offset of entry (0, 0) in the storage's array. */
  readonly offset: number;
  readonly storage: Storage<T>;
  /** Made by `view` or `sliceRows`: a part of another matrix, which `free` does not take. */
  readonly isView: boolean;
  #parent: T | undefined;
  #view: T | undefined;

  constructor(rows: number, cols: number, storage: Storage<T>, offset = 0, isView = false) {
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new ShapeError(`a matrix needs non-negative integer dimensions, got ${rows} × ${cols}`);
    }
    const length = storage.array().length;
    if (offset < 0 || offset + rows * cols > length) {
      throw new ShapeError(`a ${rows} × ${cols} matrix at offset ${offset} does not fit storage of ${length} elements`);
    }
    this.rows = rows;
    this.cols = cols;
    this.offset = offset;
    this.storage = storage;
    this.isView = isView;
  }

  /** A matrix over a typed array of its own. */
  static of<T extends FloatArray>(rows: number, cols: number, data: T): Matrix<T> {
    if (data.length !== rows * cols) {
      throw new ShapeError(`a ${rows} × ${cols} matrix needs ${rows * cols} values, got ${data.length}`);
    }
    return new Matrix(rows, cols, { array: () => data });
  }

  get size(): number {
    return this.rows * this.cols;
  }

  /** Whether `backend.free` has given back this matrix's storage (or the storage of the matrix it is a view of). */
  get freed(): boolean {
    return this.storage.freed === true;
  }

  /** The matrix's elements, row-major (a view: writes go to the matrix). */
  get data(): T {
    if (this.storage.freed === true) {
      throw new ArgumentError(
        `this ${this.rows} × ${this.cols} matrix has been freed (backend.free): it can no longer be read or written`,
      );
    }
    const parent = this.storage.array();
    if (parent !== this.#parent || this.#view === undefined) {
      this.#parent = parent;
      this.#view = parent.subarray(this.offset, this.offset + this.size) as T;
    }
    return this.#view;
  }

  get(i: number, j: number): number {
    return this.data[i * this.cols + j] as number;
  }

  /** A rows × cols view of the same storage starting at element `start` of this matrix. */
  view(start: number, rows: number, cols: number): Matrix<T> {
    if (start < 0 || start + rows * cols > this.size) {
      throw new ShapeError(`a ${rows} × ${cols} view at ${start} does not fit a ${this.rows} × ${this.cols} matrix`);
    }
    return new Matrix(rows, cols, this.storage, this.offset + start, true);
  }

  /** Rows [start, start + count) as a matrix of the same storage (no copy). */
  sliceRows(start: number, count: number): Matrix<T> {
    return this.view(start * this.cols, count, this.cols);
  }

  toString(): string {
    return `Matrix(${this.rows} × ${this.cols})`;
  }
}

/** Throws a ShapeError unless `m` is rows × cols; `name` is used in the message. */
export function checkShape(name: string, m: Matrix, rows: number, cols: number): void {
  if (m.rows !== rows || m.cols !== cols) {
    throw new ShapeError(`${name} must be ${rows} × ${cols}, got ${m.rows} × ${m.cols}`);
  }
}

/** Throws a ShapeError unless `a` and `b` have the same shape. */
export function checkSameShape(nameA: string, a: Matrix, nameB: string, b: Matrix): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new ShapeError(
      `${nameA} (${a.rows} × ${a.cols}) and ${nameB} (${b.rows} × ${b.cols}) must have the same shape`,
    );
  }
}
