import { DataError } from "../errors.ts";
import type { Backend } from "../linalg/backend.ts";
import { inputsToMatrix } from "../linalg/inputs.ts";
import type { FloatArray, Matrix } from "../linalg/matrix.ts";
import type { IdxArray } from "./idx.ts";

/** Labelled images: count × (rows × cols) unsigned-byte pixels and one label per image. */
export class LabelledImages {
  readonly count: number;
  readonly rows: number;
  readonly cols: number;
  /** count × rows × cols, row-major, 0…255. */
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;

  constructor(rows: number, cols: number, pixels: Uint8Array, labels: Uint8Array) {
    const size = rows * cols;
    if (size === 0 || pixels.length % size !== 0) {
      throw new DataError(`${pixels.length} pixels do not make whole ${rows} × ${cols} images`);
    }
    this.count = pixels.length / size;
    if (labels.length !== this.count) {
      throw new DataError(`there are ${this.count} images but ${labels.length} labels: they must agree in count`);
    }
    this.rows = rows;
    this.cols = cols;
    this.pixels = pixels;
    this.labels = labels;
  }

  /** Pairs an images file (3 dimensions) with a labels file (1 dimension), checking they agree. */
  static fromIdx(images: IdxArray, labels: IdxArray, names: { images: string; labels: string }): LabelledImages {
    const [n, rows, cols] = images.dims as [number, number, number];
    const [k] = labels.dims as [number];
    if (n !== k) {
      throw new DataError(
        `${names.images} has ${n} images but ${names.labels} has ${k} labels: they must agree in count`,
        names.labels,
      );
    }
    return new LabelledImages(rows, cols, images.data, labels.data);
  }

  /** Pixels per image. */
  get size(): number {
    return this.rows * this.cols;
  }

  /** The largest label + 1 (the number of classes the labels use). */
  get classes(): number {
    let max = 0;
    for (const y of this.labels) max = Math.max(max, y);
    return max + 1;
  }

  /** The first `count` images (a view, not a copy). */
  head(count: number): LabelledImages {
    const n = Math.min(count, this.count);
    return new LabelledImages(this.rows, this.cols, this.pixels.subarray(0, n * this.size), this.labels.subarray(0, n));
  }

  /** The images whose label passes `keep` (a copy). */
  filter(keep: (label: number) => boolean): LabelledImages {
    const idx: number[] = [];
    for (let i = 0; i < this.count; i++) if (keep(this.labels[i] as number)) idx.push(i);
    const pixels = new Uint8Array(idx.length * this.size);
    const labels = new Uint8Array(idx.length);
    idx.forEach((i, j) => {
      pixels.set(this.pixels.subarray(i * this.size, (i + 1) * this.size), j * this.size);
      labels[j] = this.labels[i] as number;
    });
    return new LabelledImages(this.rows, this.cols, pixels, labels);
  }

  /**
   * Every image transposed (a copy, cols × rows): for files that store their images column by
   * column, as EMNIST's do, so that the images, and the features learned from them, stand upright.
   */
  transposed(): LabelledImages {
    const { rows, cols, size } = this;
    const pixels = new Uint8Array(this.pixels.length);
    for (let i = 0; i < this.count; i++) {
      const from = this.pixels.subarray(i * size, (i + 1) * size);
      const to = pixels.subarray(i * size, (i + 1) * size);
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) to[c * rows + r] = from[r * cols + c] as number;
    }
    return new LabelledImages(cols, rows, pixels, this.labels);
  }

  /** The images as an m × (rows·cols) matrix in the backend's memory, scaled to [0, 1]. */
  toMatrix<T extends FloatArray>(backend: Backend<T>): Matrix<T> {
    return inputsToMatrix(backend, this.count, this.size, this.pixels);
  }
}
