// Numbers from CSV bytes, each exactly as Number() reads its text, then rounded to float32 on the
// store. Plain cells are read straight from the bytes, no string made: runs of cells of one to
// three digits four bytes at a time (plainCells, the hottest path: pictures), an unsigned integer
// (in CsvParser's record loop), else Clinger's fast path (storeDecimal); any other cell falls back
// to its text and csvNumber.

const NL = 10;
const CR = 13;
const PLUS = 43;
const MINUS = 45;
const DOT = 46;
/** 10^0 … 10^22, every one exact in a double (Clinger's fast path needs exact powers). */
const POW10 = Array.from({ length: 23 }, (_, i) => Number(`1e${i}`));
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** `text` as a number, or NaN when it is not one written in decimal (hex, "NaN", "Infinity" are not). */
export function csvNumber(text: string): number {
  const t = text.trim();
  return NUMBER.test(t) ? Number(t) : Number.NaN;
}

/**
 * Stores the number at buf[p] in out[o] when it is [+-]digits[.digits][e[+-]digits] with at most
 * 15 digits and a power of ten within 10^±22, exact then as mant × 10^k or mant / 10^k (Clinger
 * 1990); returns where the next cell starts, or -1 when the cell is not such a number. The cell
 * ends at the delimiter `d`, or, when `last`, at a newline or the end.
 * Kept under V8's inlining limit (460 bytes of bytecode), so that it is inlined into the loop.
 */
export function storeDecimal(
  buf: Uint8Array,
  p: number,
  d: number,
  last: boolean,
  out: Float32Array,
  o: number,
): number {
  let q = p;
  let c = buf[q];
  const neg = c === MINUS;
  if (neg || c === PLUS) c = buf[++q];
  let mant = 0;
  let digits = 0;
  let scale = 0;
  while (c !== undefined && c >= 48 && c <= 57) {
    mant = mant * 10 + (c - 48);
    digits++;
    c = buf[++q];
  }
  if (c === DOT) {
    c = buf[++q];
    while (c !== undefined && c >= 48 && c <= 57) {
      mant = mant * 10 + (c - 48);
      digits++;
      scale--;
      c = buf[++q];
    }
  }
  if (c === 101 || c === 69) {
    c = buf[++q];
    const eneg = c === MINUS;
    if (eneg || c === PLUS) c = buf[++q];
    const from = q;
    let e = 0;
    while (c !== undefined && c >= 48 && c <= 57) {
      if (e < 1e6) e = e * 10 + (c - 48);
      c = buf[++q];
    }
    scale = q === from ? 99 : scale + (eneg ? -e : e);
  }
  if (last && c === CR) c = buf[++q];
  const ended = last ? c === NL || c === undefined : c === d; // undefined: past the end
  if (!ended || digits === 0 || digits > 15 || scale < -22 || scale > 22) return -1;
  const v = scale < 0 ? mant / (POW10[-scale] as number) : mant * (POW10[scale] as number);
  out[o] = neg ? -v : v;
  return q + 1;
}

/** Where plainCells stopped reading: the start of the first cell it did not store. */
export const plainEnd = { p: 0 };

/**
 * Stores up to `count` cells from buf[p] on in out[o…] while each is one to three digits followed
 * by the delimiter `d`, read four bytes at a time (a DataView's unaligned load), never past
 * buf[lim + 3]; two "0" cells at once when the four bytes are "0d0d" (`zeros`), four at once
 * when eight are, and not stored: `out` must hold zeros from o on (CsvParser's arrays are new, a
 * place only ever given its own cell's value; skipping the stores read MNIST's bytes ~15% faster). A
 * three-digit cell above `top` stops it too (255 when `out` holds bytes).
 * Returns the output index after the last cell stored, and sets plainEnd.p. An integer below
 * 1000 is exact in float32, so each value is Math.fround(Number(text)), as the slower paths give.
 */
export function plainCells(
  view: DataView,
  p: number,
  count: number,
  out: Float32Array | Uint8Array,
  o: number,
  d: number,
  lim: number,
  top: number,
): number {
  const zeros = 0x30 | (d << 8) | (0x30 << 16) | (d << 24);
  const stop = o + count;
  while (o < stop && p <= lim) {
    const w = view.getUint32(p, true);
    if (w === zeros && o + 1 < stop) {
      o += 2;
      p += 4;
      // A run of zeros (a picture's background) eight bytes at a time: ~9% faster on MNIST.
      while (
        o + 3 < stop &&
        p <= lim - 4 &&
        view.getUint32(p, true) === zeros &&
        view.getUint32(p + 4, true) === zeros
      ) {
        o += 4;
        p += 8;
      }
      continue;
    }
    const a = (w & 0xff) - 48;
    if (a >>> 0 > 9) break;
    const b = (w >>> 8) & 0xff;
    if (b === d) {
      out[o++] = a;
      p += 2;
      continue;
    }
    const ab = a * 10 + b - 48;
    if ((b - 48) >>> 0 > 9) break;
    const c = (w >>> 16) & 0xff;
    if (c === d) {
      out[o++] = ab;
      p += 3;
      continue;
    }
    const abc = ab * 10 + c - 48;
    if ((c - 48) >>> 0 > 9 || w >>> 24 !== d || abc > top) break;
    out[o++] = abc;
    p += 4;
  }
  plainEnd.p = p;
  return o;
}
