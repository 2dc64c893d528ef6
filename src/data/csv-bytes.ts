// The bytes a CSV is made of: the delimiters' codes and the few helpers the parser applies to
// raw bytes (text of a cell, blanks, joining a record split over two chunks).
export const NL = 10;
export const CR = 13;
export const QUOTE = 34;
export const SPACE = 32;
export const TAB = 9;
const utf8 = new TextDecoder();

/** One-byte texts, made once: a label such as MNIST's digit is decoded in every row. */
const BYTE_TEXT = Array.from({ length: 128 }, (_, i) => String.fromCharCode(i));

/** The text of buf[from, to), bytes as UTF-8. */
export function decode(buf: Uint8Array, from: number, to: number): string {
  if (to - from === 1 && (buf[from] as number) < 128) return BYTE_TEXT[buf[from] as number] as string;
  let ascii = true;
  for (let i = from; i < to; i++) if ((buf[i] as number) > 127) ascii = false;
  if (!ascii || to - from > 4096) return utf8.decode(buf.subarray(from, to));
  return String.fromCharCode.apply(null, buf.subarray(from, to) as unknown as number[]);
}

export function isBlank(c: number | undefined): boolean {
  return c === SPACE || c === TAB || c === CR;
}

/** a, then b, in one new array. */
export function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const c = new Uint8Array(a.length + b.length);
  c.set(a);
  c.set(b, a.length);
  return c;
}
