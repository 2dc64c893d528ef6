// Numbers from CSV bytes, each exactly as Number() reads its text, then rounded to float32 on the
// store. Plain cells are read straight from the bytes, no string made: an unsigned integer (in
// CsvParser's record loop, the hottest path), else Clinger's fast path (storeDecimal); any other
// cell falls back to its text and csvNumber.

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
