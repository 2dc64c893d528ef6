// The texts of a CSV parser's errors in a cell: the file, the line and the column (with its header
// name when there is one), then what is wrong and what to do.
import { DataError, describe } from "../errors.ts";
import { NL } from "./csv-bytes.ts";

/** "column 3", and its header name when there is one. */
export function columnText(header: readonly string[] | null, column: number): string {
  const name = header?.[column];
  return `column ${column}${name !== undefined ? ` (${describe(name)})` : ""}`;
}

/** The error `what` in the cell at `line`, `column` of `file`. */
export function cellError(
  file: string,
  header: readonly string[] | null,
  line: number,
  column: number,
  what: string,
): DataError {
  return new DataError(`${file}: line ${line}, ${columnText(header, column)}: ${what}`, file);
}

/**
 * What is wrong with a record whose field j ended at buf[q] where it should not (the first record,
 * or the header when `header`, has `fields`): the row ended early, or it runs on past the last field.
 */
export function wrongLengthText(
  buf: Uint8Array,
  q: number,
  j: number,
  delim: number,
  fields: number,
  header: boolean,
): string {
  const h = header ? "the header" : "the first row";
  if (buf[q] !== delim)
    return `the row ends after ${j + 1} fields, but ${h} has ${fields}; every row needs the same number`;
  let count = j + 2;
  for (let i = q + 1; i < buf.length && buf[i] !== NL; i++) if (buf[i] === delim) count++;
  return `the row has ${count} fields (roughly, counting delimiters), but ${h} has ${fields}; every row needs the same number`;
}
