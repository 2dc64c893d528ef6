// A CSV's label column and labels: which column, whether the first record is a header, the labels'
// texts as the rows are read (LabelKeys), and those texts → class indices and names (the rules are
// in csv.ts's header).
import { DataError, describe } from "../errors.ts";
import { classList } from "./class-list.ts";
import { csvNumber } from "./csv-number.ts";

/** Which column holds the label: "first", "last", a header name, or a 0-based index. */
export type LabelColumn = "first" | "last" | string | number;

/** Header names taken as the label column when none is chosen, in this order of preference. */
export const LABEL_NAMES = ["label", "class", "target", "y"];
/** Integer labels up to this are class indices; larger ones are names (see csv.ts's header). */
export const MAX_INDEX_LABEL = 1023;
const PLAIN_INDEX = /^(?:0|[1-9]\d{0,3})$/;

/** The index of the first of LABEL_NAMES among `names` (any case), or -1. */
function namedLabel(names: string[]): number {
  const lower = names.map((x) => x.toLowerCase());
  for (const name of LABEL_NAMES) {
    const i = lower.indexOf(name);
    if (i >= 0) return i;
  }
  return -1;
}

/** Whether the first record's `cells` are a header: all non-numeric, or one outside the label's column. */
export function detectHeader(cells: string[], lc: LabelColumn | undefined): boolean {
  const numeric = cells.map((c) => !Number.isNaN(csvNumber(c)));
  if (numeric.every((x) => !x)) return true;
  if (typeof lc === "string" && lc !== "first" && lc !== "last") return true;
  let label = 0;
  if (lc === "last") label = cells.length - 1;
  else if (typeof lc === "number") label = lc;
  else if (lc === undefined) label = Math.max(0, namedLabel(cells));
  return numeric.some((x, i) => !x && i !== label);
}

/** The label's 0-based column among `n`, from the option, the header's names, or the first. */
export function chooseLabel(lc: LabelColumn | undefined, header: string[] | null, n: number, file: string): number {
  if (lc === "first" || lc === undefined) return lc === undefined && header ? Math.max(0, namedLabel(header)) : 0;
  if (lc === "last") return n - 1;
  if (typeof lc === "number") {
    if (lc >= n)
      throw new DataError(`${file}: labelColumn ${lc} is past the last column (${n - 1}; columns count from 0)`, file);
    return lc;
  }
  const i = header ? header.indexOf(lc) : -1;
  if (i < 0) {
    const names = header
      ? `its columns are ${header
          .slice(0, 12)
          .map((x) => describe(x))
          .join(", ")}${header.length > 12 ? ", …" : ""}`
      : "it has no header";
    throw new DataError(`${file}: has no column named ${describe(lc)}: ${names}`, file);
  }
  return i;
}

/** Why `key` cannot be a label when the classes are `given`, or undefined when it can. */
export function labelProblem(key: string, given: readonly string[] | undefined): string | undefined {
  if (key === "") return "the label is empty; every row needs one";
  if (given === undefined || given.includes(key) || (PLAIN_INDEX.test(key) && Number(key) < given.length)) return;
  const names = given.map((x) => describe(x)).join(", ");
  return `the label ${describe(key)} is none of the classes given (${names}) nor an index below ${given.length}`;
}

/**
 * The label texts a CSV's rows hold, each given an id in order of first sight, so that a row keeps
 * its label as an int until `resolve` ranks the texts into classes. A text is checked once, when
 * first seen (labelProblem): `refuse` makes the error for its line.
 */
export class LabelKeys {
  readonly keys: string[] = [];
  private readonly ids = new Map<string, number>();
  private readonly given: readonly string[] | undefined;
  private readonly refuse: (line: number, problem: string) => Error;

  constructor(given: readonly string[] | undefined, refuse: (line: number, problem: string) => Error) {
    this.given = given;
    this.refuse = refuse;
  }

  /** The id of the label text `key`, read at `line`. */
  id(key: string, line: number): number {
    return this.ids.get(key) ?? this.add(key, line);
  }

  /** The class index of each of the `m` rows labelled `ids`, and the classes' names (resolveLabels). */
  resolve(ids: Int32Array, m: number, file: string, column: string): { labels: Int32Array; classNames: string[] } {
    return resolveLabels(this.keys, ids, m, this.given, file, column);
  }

  /** A text not seen before: checked, and given the next id. */
  private add(key: string, line: number): number {
    const problem = labelProblem(key, this.given);
    if (problem !== undefined) throw this.refuse(line, problem);
    const id = this.keys.length;
    this.keys.push(key);
    this.ids.set(key, id);
    return id;
  }
}

/** Each distinct label text's class index, and the classes' names. */
function classesOf(
  keys: string[],
  given: readonly string[] | undefined,
): { index: number[]; classNames: string[]; indices?: true } {
  if (given !== undefined) {
    const index = keys.map((k) => {
      const i = given.indexOf(k);
      return i >= 0 ? i : Number(k); // labelProblem let in only names and indices below the count
    });
    return { index, classNames: [...given] };
  }
  if (keys.every((k) => PLAIN_INDEX.test(k) && Number(k) <= MAX_INDEX_LABEL)) {
    const index = keys.map(Number);
    return { index, classNames: Array.from({ length: Math.max(...index) + 1 }, (_, i) => String(i)), indices: true };
  }
  const numeric = keys.every((k) => !Number.isNaN(csvNumber(k)));
  const order = keys.map((_, i) => i);
  order.sort((a, b) => compareLabels(keys[a] as string, keys[b] as string, numeric));
  const index: number[] = new Array(keys.length);
  for (let rank = 0; rank < order.length; rank++) index[order[rank] as number] = rank;
  return { index, classNames: order.map((k) => keys[k] as string) };
}

function compareLabels(a: string, b: string, numeric: boolean): number {
  if (numeric) {
    const d = csvNumber(a) - csvNumber(b);
    if (d !== 0) return d;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The final class index of each of the `m` rows, whose labels are `ids` into the distinct texts
 * `keys`, and the classes' names. `column` names the label's column, for the error.
 */
export function resolveLabels(
  keys: string[],
  ids: Int32Array,
  m: number,
  given: readonly string[] | undefined,
  file: string,
  column: string,
): { labels: Int32Array; classNames: string[] } {
  const { index, classNames, indices } = classesOf(keys, given);
  if (keys.length < 2 && given === undefined) {
    throw new DataError(
      `${file}: every row has the label ${describe(keys[0])} (${column}): a classifier needs at least two classes; is labelColumn right?`,
      file,
    );
  }
  const labels = new Int32Array(m);
  for (let i = 0; i < m; i++) labels[i] = index[ids[i] as number] as number;
  if (indices) checkGaps(labels, classNames.length, file, column);
  return { labels, classNames };
}

/**
 * Refuses integer labels that leave a class below the largest with no example, as IDX labels are
 * refused: labels 1–10 would otherwise make an 11th class, 0, that the softmax is never shown.
 */
function checkGaps(labels: Int32Array, classes: number, file: string, column: string): void {
  const count = new Array<number>(classes).fill(0);
  for (const y of labels) count[y] = (count[y] as number) + 1;
  const empty = count.flatMap((c, k) => (c === 0 ? [k] : []));
  if (empty.length === 0) return;
  const top = classes - 1;
  throw new DataError(
    `${file}: label ${top} (${column}, ${count[top]} of ${labels.length} rows) makes ${classes} classes, but ${classList(empty)} no example: integer labels up to ${MAX_INDEX_LABEL} are class indices from 0, as IDX labels are; correct the labels, or name all ${classes} classes (--class-names, classNames)`,
    file,
  );
}
