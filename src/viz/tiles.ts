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
  const columns = options.columns ?? Math.ceil(Math.sqrt(count));
  const gridRows = Math.ceil(count / columns);
  const scale = options.scale ?? 2;
  const border = options.border ?? 1;
  const tileW = cols * scale;
  const tileH = rows * scale;
  const width = columns * tileW + (columns + 1) * border;
  const height = gridRows * tileH + (gridRows + 1) * border;
  const data = new Uint8Array(width * height);
  for (let t = 0; t < count; t++) {
    let max = 0;
    for (let k = 0; k < size; k++) max = Math.max(max, Math.abs(W[t * size + k] as number));
    const x0 = border + (t % columns) * (tileW + border);
    const y0 = border + Math.floor(t / columns) * (tileH + border);
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
