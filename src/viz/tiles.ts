import { ArgumentError } from "../errors.ts";

/** An 8-bit grayscale image, row-major. */
export interface GrayImage {
  width: number;
  height: number;
  data: Uint8Array;
}

export interface TileOptions {
  /** Tiles per row (default: ⌈√count⌉). */
  columns?: number;
  /** Pixels of each image pixel (default 2). */
  scale?: number;
  /** Border between tiles, in output pixels (default 1). */
  border?: number;
}

/** Where `tileImage` puts its tiles, in output pixels. */
export interface TileLayout {
  count: number;
  /** Tiles per row, and rows of tiles. */
  columns: number;
  gridRows: number;
  tileWidth: number;
  tileHeight: number;
  border: number;
  /** The whole image. */
  width: number;
  height: number;
}

/** The layout `tileImage` gives `count` tiles of rows × cols with these options. */
export function tileLayout(count: number, rows: number, cols: number, options: TileOptions = {}): TileLayout {
  const columns = options.columns ?? Math.ceil(Math.sqrt(count));
  const gridRows = Math.ceil(count / columns);
  const scale = options.scale ?? 2;
  const border = options.border ?? 1;
  const tileWidth = cols * scale;
  const tileHeight = rows * scale;
  return {
    count,
    columns,
    gridRows,
    tileWidth,
    tileHeight,
    border,
    width: columns * tileWidth + (columns + 1) * border,
    height: gridRows * tileHeight + (gridRows + 1) * border,
  };
}

/** The top left corner of tile `t` (from 0) in a layout. */
export function tileOrigin(layout: TileLayout, t: number): { x: number; y: number } {
  return {
    x: layout.border + (t % layout.columns) * (layout.tileWidth + layout.border),
    y: layout.border + Math.floor(t / layout.columns) * (layout.tileHeight + layout.border),
  };
}

/** Each row's largest absolute value: the value `tileImage` draws white in that row's tile. */
export function tileMaxima(W: ArrayLike<number>, count: number): number[] {
  const size = W.length / count;
  const out = new Array<number>(count).fill(0);
  for (let t = 0; t < count; t++)
    for (let k = 0; k < size; k++) out[t] = Math.max(out[t] as number, Math.abs(W[t * size + k] as number));
  return out;
}

/**
 * The rows of W (count × rows·cols) as a grid of rows × cols tiles, each normalised on its own
 * by its largest absolute value (as UFLDL's display_network does): −max is black, 0 mid-gray,
 * +max white. Borders are black.
 */
export function tileImage(
  W: ArrayLike<number>,
  count: number,
  rows: number,
  cols: number,
  options: TileOptions = {},
): GrayImage {
  const size = rows * cols;
  if (W.length !== count * size) {
    throw new ArgumentError(
      `tileImage: ${count} tiles of ${rows} × ${cols} need ${count * size} values, got ${W.length}`,
    );
  }
  const layout = tileLayout(count, rows, cols, options);
  const { width, height } = layout;
  const scale = options.scale ?? 2;
  const data = new Uint8Array(width * height);
  const maxima = tileMaxima(W, count);
  for (let t = 0; t < count; t++) {
    const max = maxima[t] as number;
    const { x: x0, y: y0 } = tileOrigin(layout, t);
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < cols; c++) {
        const v = max === 0 ? 0 : (W[t * size + r * cols + c] as number) / max;
        const gray = Math.round(127.5 * (v + 1));
        for (let dy = 0; dy < scale; dy++) {
          data.fill(
            gray,
            (y0 + r * scale + dy) * width + x0 + c * scale,
            (y0 + r * scale + dy) * width + x0 + (c + 1) * scale,
          );
        }
      }
    }
  }
  return { width, height, data };
}
