// The options of a CSV read, and their check (an ArgumentError before any byte is read).
import { ArgumentError, checkKeys, describe } from "../errors.ts";
import type { LabelColumn } from "./csv-labels.ts";

export interface CsvOptions {
  /** The file's name, for error messages. */
  file: string;
  /** The label's column; by default a header column named label, class, target or y (any case), else the first. */
  labelColumn?: LabelColumn;
  /** Whether the first record is a header; detected when not given (see csv.ts's header). */
  header?: boolean;
  /** One ASCII character between fields; "," by default. */
  delimiter?: string;
  /**
   * The classes to map labels onto (e.g. the training set's when reading its test set): a label
   * equal to a name gets that index, else a plain integer label below the count is the index.
   */
  classNames?: readonly string[];
  /** The text's expected size in bytes (e.g. the file's), so the arrays are sized once; a hint only. */
  expectedBytes?: number;
  /** Always give the inputs as float32 (default: a Uint8Array when every feature is an integer 0…255). */
  float32?: boolean;
}

const KNOWN = ["file", "labelColumn", "header", "delimiter", "classNames", "expectedBytes", "float32"];

export function checkOptions(options: CsvOptions): void {
  checkKeys("CSV options", options, KNOWN);
  if (typeof options.file !== "string")
    throw new ArgumentError(`CSV options: file must be a string, got ${describe(options.file)}`);
  const d = options.delimiter ?? ",";
  if (d.length !== 1 || d.charCodeAt(0) > 127 || d === '"' || d === "\n" || d === "\r") {
    throw new ArgumentError(
      `CSV options: delimiter must be one ASCII character other than a quote or newline, got ${describe(d)}`,
    );
  }
  const lc = options.labelColumn;
  if (lc !== undefined && typeof lc !== "string" && !(Number.isInteger(lc) && lc >= 0)) {
    throw new ArgumentError(
      `CSV options: labelColumn must be "first", "last", a column name or an index ≥ 0, got ${describe(lc)}`,
    );
  }
  if (options.header === false && typeof lc === "string" && lc !== "first" && lc !== "last") {
    throw new ArgumentError(`CSV options: labelColumn ${describe(lc)} is a column name, but header is false`);
  }
}
