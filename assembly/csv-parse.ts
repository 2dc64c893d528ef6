// The CSV reader's fast path (src/data/csv-wasm.ts drives it; src/data/csv.ts is the whole
// parser): whole records of plain numeric cells and one label cell, read from this module's own
// memory into its own memory. A record it cannot take whole (a quote, blanks, an exponent, a
// value the byte output cannot hold, a wrong number of fields, an unfinished record) stops it at
// that record's first byte, and the JS parser reads that record, so results and errors are the
// JS parser's. Cells are found 16 bytes at a time: eight one-digit cells ("0,0,0,0,0,0,0,0,", a
// picture's background) at once, else the cells of one to three digits that end in the first 12
// bytes, put into 16-bit lanes by one of 4096 swizzles chosen by the delimiters' pattern (the
// table is built at start). Values are exactly Math.fround(Number(text)): integers and decimals
// of up to 15 digits are exact in f64 (a division by an exact power of ten rounds once, as
// Number() does), then rounded to f32 once.

const NL: u32 = 10;
const CR: u32 = 13;
const QUOTE: u32 = 34;
const PLUS: u32 = 43;
const MINUS: u32 = 45;
const DOT: u32 = 46;

/** 10^0 … 10^15, exact in f64. */
const POW10: StaticArray<f64> = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** Where the next value goes; false once a cell is not one this module takes. */
let dst: usize = 0;
let ok: bool = true;
/** Where parseRows stopped: the first byte of the first record it did not take. */
let stop: usize = 0;

/** First byte the host may use: everything below is this module's static data. */
export function heapBase(): usize {
  return __heap_base;
}

export function stopAt(): usize {
  return stop;
}

/**
 * Parses records of `n` fields from [p, end), the label at column `label`, the others into `out`
 * (bytes, or f32 when `float`), the label's [start, end) offsets from `base` as two u32 a record
 * into `lab`, at most `maxRows` records. Returns the records taken; stopAt() says where it ended.
 */
export function parseRows(
  base: usize,
  p: usize,
  end: usize,
  out: usize,
  lab: usize,
  maxRows: i32,
  n: i32,
  label: i32,
  d: u32,
  float: bool,
): i32 {
  let rows = 0;
  const lastCol = n - 1;
  const before = label < lastCol ? label : lastCol;
  const after = label < lastCol ? lastCol - label - 1 : 0;
  const size: usize = float ? 4 : 1;
  while (rows < maxRows && p < end) {
    const start = p;
    dst = out + <usize>rows * <usize>lastCol * size;
    ok = true;
    p = cells(p, end, before, d, float);
    if (ok) {
      const s = p;
      p = labelCell(p, end, d, label === lastCol);
      store<u32>(lab + (<usize>rows << 3), <u32>(s - base));
      store<u32>(lab + (<usize>rows << 3) + 4, <u32>(p - 1 - base));
    }
    if (ok && label < lastCol) {
      p = cells(p, end, after, d, float);
      if (ok) p = cell(p, end, d, true, float);
    }
    if (!ok) {
      p = start;
      break;
    }
    rows++;
  }
  stop = p;
  return rows;
}

/** The label's cell: any bytes up to the delimiter (the newline when `last`), not quoted. */
@inline
function labelCell(p: usize, end: usize, d: u32, last: bool): usize {
  if (p < end && <u32>load<u8>(p) === QUOTE) {
    ok = false;
    return p;
  }
  let c: u32 = 0;
  while (p < end) {
    c = load<u8>(p);
    if (c === d || c === NL) break;
    p++;
  }
  if (p >= end || (last ? c !== NL : c !== d)) ok = false;
  return p + 1;
}

/** Bits of the delimiter pattern a table entry covers: cells that end in the first 12 bytes. */
const SPAN: u32 = 12;
/** Bytes of the table that initTable fills: 4096 pairs of 16-byte swizzles, then 4096 bytes of counts. */
export const TABLE_BYTES: i32 = (1 << SPAN) * 33;
let table: usize = 0;

/**
 * Fills the table at `at` (TABLE_BYTES, 16-byte aligned). For each pattern m of delimiters in
 * 12 bytes (bit i: byte i is one), over the cells it ends up to the first that is not one to
 * three digits: two swizzles that put cell k's units and tens digits in bytes 2k and 2k + 1 of
 * the first, its hundreds digit in byte 2k of the second (0x80, which swizzle makes 0, where it
 * has none), and (cells) | (bytes used) << 4, 0 when the first cell is not such.
 */
export function initTable(at: usize): void {
  table = at;
  for (let m: u32 = 0; m < 1 << SPAN; m++) {
    const row = at + (<usize>m << 5);
    v128.store(row, i8x16.splat(-128));
    v128.store(row + 16, i8x16.splat(-128));
    let cells: u32 = 0;
    let from: u32 = 0;
    for (let i: u32 = 0; i < SPAN; i++) {
      if (((m >>> i) & 1) === 0) continue;
      const len = i - from;
      if (len < 1 || len > 3) break;
      store<u8>(row + 2 * cells, <u8>(i - 1));
      if (len >= 2) store<u8>(row + 2 * cells + 1, <u8>(i - 2));
      if (len === 3) store<u8>(row + 16 + 2 * cells, <u8>(i - 3));
      cells++;
      from = i + 1;
    }
    store<u8>(at + (32 << SPAN) + m, <u8>(cells | (from << 4)));
  }
}

/**
 * `count` cells each followed by the delimiter, 16 bytes at a time while they are short
 * integers: eight one-digit cells at once, else up to six cells of one to three digits that end
 * in the first 12 bytes, by the table; any other cell by cell().
 */
function cells(p: usize, end: usize, count: i32, d: u32, float: bool): usize {
  const delims = i8x16.splat(<i8>d);
  const zero = i8x16.splat(48);
  const ten = i8x16.splat(10);
  const low = i16x8.splat(0xff);
  const top = i16x8.splat(255);
  const tab = table;
  let o = dst; // a local in the loop, the global only around cell()
  while (count > 0) {
    if (end - p >= 16) {
      const b = v128.load(p);
      const dm = i8x16.bitmask(i8x16.eq(b, delims));
      const digits = i8x16.sub(b, zero);
      const good = dm | i8x16.bitmask(i8x16.lt_u(digits, ten));
      if (dm === 0xaaaa && good === 0xffff && count >= 8) {
        // Eight one-digit cells.
        const v = i8x16.shuffle(digits, digits, 0, 2, 4, 6, 8, 10, 12, 14, 0, 0, 0, 0, 0, 0, 0, 0);
        if (float) {
          const h = i16x8.extend_low_i8x16_u(v);
          v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(h)));
          v128.store(o + 16, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(h)));
          o += 32;
        } else {
          v128.store64_lane(o, v, 0);
          o += 8;
        }
        p += 16;
        count -= 8;
        continue;
      }
      const m = dm & ((1 << SPAN) - 1);
      const meta: u32 = load<u8>(tab + (32 << SPAN) + m);
      const n = <i32>(meta & 7);
      const used = meta >>> 4;
      const all: u32 = (1 << used) - 1;
      if (n !== 0 && n <= count && (good & all) === all) {
        const row = tab + (<usize>m << 5);
        const ut = i8x16.swizzle(digits, v128.load(row));
        const h = i8x16.swizzle(digits, v128.load(row + 16));
        // Units + 10 × tens + 100 × hundreds, cell k in 16-bit lane k.
        const v = i16x8.add(
          i16x8.add(v128.and(ut, low), i16x8.mul(i16x8.shr_u(ut, 8), i16x8.splat(10))),
          i16x8.mul(h, i16x8.splat(100)),
        );
        if (float) {
          v128.store(o, f32x4.convert_i32x4_u(i32x4.extend_low_i16x8_u(v)));
          v128.store(o + 16, f32x4.convert_i32x4_u(i32x4.extend_high_i16x8_u(v)));
          o += <usize>n << 2;
        } else {
          if (v128.any_true(i16x8.gt_u(v, top))) {
            ok = false;
            return p;
          }
          v128.store64_lane(o, i8x16.narrow_i16x8_u(v, v), 0);
          o += <usize>n;
        }
        p += used;
        count -= n;
        continue;
      }
    }
    dst = o;
    p = cell(p, end, d, false, float);
    if (!ok) return p;
    o = dst;
    count--;
  }
  dst = o;
  return p;
}

/**
 * One numeric cell ended by the delimiter (by a newline, after an optional CR, when `last`):
 * digits into bytes; [+-]digits[.digits] of at most 15 digits into f32.
 */
function cell(p: usize, end: usize, d: u32, last: bool, float: bool): usize {
  let c: u32 = p < end ? load<u8>(p) : 0;
  let neg = false;
  if (float && (c === MINUS || c === PLUS)) {
    neg = c === MINUS;
    p++;
    c = p < end ? load<u8>(p) : 0;
  }
  let mant: u64 = 0;
  let digits = 0;
  let scale = 0;
  while (c - 48 <= 9) {
    mant = mant * 10 + (c - 48);
    digits++;
    p++;
    c = p < end ? load<u8>(p) : 0;
  }
  if (float && c === DOT) {
    p++;
    c = p < end ? load<u8>(p) : 0;
    while (c - 48 <= 9) {
      mant = mant * 10 + (c - 48);
      digits++;
      scale++;
      p++;
      c = p < end ? load<u8>(p) : 0;
    }
  }
  if (last && c === CR) {
    p++;
    c = p < end ? load<u8>(p) : 0;
  }
  if (p >= end || c !== (last ? NL : d) || digits === 0 || digits > 15) {
    ok = false;
    return p;
  }
  if (float) {
    const v = <f64>mant / unchecked(POW10[scale]);
    store<f32>(dst, <f32>(neg ? -v : v));
    dst += 4;
  } else {
    if (mant > 255) {
      ok = false;
      return p;
    }
    store<u8>(dst, <u8>mant);
    dst++;
  }
  return p + 1;
}
