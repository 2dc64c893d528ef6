// What every data source shares, platform-free (issue #27): examples from arrays a program
// already holds (fromArrays), the scale that brings inputs into [0, 1], and class names carried
// from a training set to the sets read after it. The files are read by source-file.ts.
import { ArgumentError, checkKeys, DataError, describe } from "../errors.ts";
import type { Examples } from "./examples.ts";

/** `max`: the training set's largest value; `none`: as they are (1); a number: divide by it. */
export type InputScale = "max" | "none" | number;

/** IDX files and pictures hold bytes 0…255: the scale a model that records none was trained with. */
export const PIXEL_SCALE = 255;

export interface FromArraysOptions {
  /** Class index → name; default: the sorted string labels, or "0", "1", … for integer labels. */
  classNames?: readonly string[];
  /** Values per example, needed for a flat X (default: X's length ÷ the number of labels). */
  inputSize?: number;
  /** The pictures' size when the examples are images (rows × cols = inputSize). */
  image?: { rows: number; cols: number };
}

/** Examples as rows: `number[][]`, or an array of typed arrays. */
export type Rows = ArrayLike<ArrayLike<number>>;
/** Examples as one flat row-major array of m × n values. */
export type Flat = Float32Array | Float64Array | Uint8Array | ArrayLike<number>;

const OPTIONS = ["classNames", "inputSize", "image"];

/**
 * Examples from arrays: X flat (m · n values, row-major: a typed array or number[]) or one row per
 * example (number[][], Float32Array[]), y one label per row, integers ≥ 0 or strings (strings
 * become class names, sorted, unless `classNames` names them). A Uint8Array X is taken as pixels
 * 0…255 (scaled ÷ 255 by default); any other X as float32 values.
 */
export function fromArrays(
  X: Flat | Rows,
  y: ArrayLike<number> | readonly string[],
  options: FromArraysOptions = {},
): Examples {
  checkKeys("fromArrays", options, OPTIONS);
  const m = y.length;
  if (m === 0) throw new ArgumentError("fromArrays: y holds no labels; give one label per example");
  const rows = m > 0 && X.length > 0 && typeof (X as Rows)[0] === "object";
  const n = rows ? ((X as Rows)[0] as ArrayLike<number>).length : (options.inputSize ?? X.length / m);
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new ArgumentError(
      `fromArrays: X holds ${X.length} values for ${m} labels, which is no whole number of values per example; give inputSize, or one row per example`,
    );
  }
  if (rows ? X.length !== m : X.length !== m * n) {
    throw new ArgumentError(
      `fromArrays: X holds ${X.length} ${rows ? "rows" : "values"} but y ${m} labels × ${n} values per example need ${rows ? m : m * n}`,
    );
  }
  const inputs = X instanceof Uint8Array ? X : new Float32Array(m * n);
  if (rows) {
    for (let i = 0; i < m; i++) {
      const row = (X as Rows)[i] as ArrayLike<number>;
      if (row.length !== n) throw new ArgumentError(`fromArrays: X's row ${i} holds ${row.length} values, row 0 ${n}`);
      for (let j = 0; j < n; j++) inputs[i * n + j] = row[j] as number;
    }
  } else if (inputs !== X) inputs.set(X as ArrayLike<number>);
  const { labels, classNames } = labelsOf(y, options.classNames);
  if (options.image && options.image.rows * options.image.cols !== n) {
    throw new ArgumentError(`fromArrays: image ${options.image.rows} × ${options.image.cols} is not ${n} values`);
  }
  const examples: Examples = { inputs, labels, inputSize: n, classNames };
  if (options.image) examples.image = { ...options.image };
  return examples;
}

/** Class indices and names of labels given as integers or strings (see fromArrays). */
function labelsOf(
  y: ArrayLike<number> | readonly string[],
  given: readonly string[] | undefined,
): { labels: Int32Array; classNames: string[] } {
  const m = y.length;
  const labels = new Int32Array(m);
  const strings = typeof y[0] === "string";
  const names = given ? [...given] : strings ? [...new Set(y as readonly string[])].sort() : [];
  const index = new Map(names.map((name, i) => [name, i]));
  let classes = names.length;
  for (let i = 0; i < m; i++) {
    const v = y[i] as number | string;
    const k = typeof v === "string" ? (index.get(v) ?? -1) : v;
    if (!(Number.isInteger(k) && k >= 0) || (given && k >= given.length)) {
      const what = given
        ? `one of the classNames (${given.length}) or an index below ${given.length}`
        : "an integer ≥ 0";
      throw new ArgumentError(`fromArrays: y[${i}] is ${describe(v)}; each label must be ${what}`);
    }
    labels[i] = k;
    classes = Math.max(classes, k + 1);
  }
  return { labels, classNames: given || strings ? names : Array.from({ length: classes }, (_, i) => String(i)) };
}

/** Whether `examples` hold pixels of the 0…255 range (÷ 255 by default): bytes, but not a CSV's integerBytes. */
export function isPixels(examples: Pick<Examples, "inputs" | "integerBytes">): boolean {
  return examples.inputs instanceof Uint8Array && examples.integerBytes !== true;
}

/**
 * The number inputs are divided by: `scale` as given, or for "max" the largest value of `train`
 * (1 when none is above 0). Pixels (isPixels) default to 255, any other values to "max".
 */
export function inputScaleOf(train: Examples, scale: InputScale | undefined): number {
  return resolveScale(scale ?? (isPixels(train) ? PIXEL_SCALE : "max"), () => {
    let max = 0;
    for (const v of train.inputs) if (v > max) max = v;
    return max;
  });
}

/** The number a scale stands for: "none" 1, "max" the largest value (`max()`; 1 when none is above 0), a number itself (checked). */
export function resolveScale(s: InputScale, max: () => number): number {
  if (s === "none") return 1;
  if (s === "max") {
    const top = max();
    return top > 0 ? top : 1;
  }
  if (!(Number.isFinite(s) && s > 0)) throw new ArgumentError(`input scale must be a number > 0, got ${describe(s)}`);
  return s;
}

/**
 * The inputs divided by `scale`, as the pipeline takes them: bytes at scale 255 stay bytes (the
 * pipeline scales them on the way in, as for IDX files), anything else becomes float32 values.
 * In a float32 network each value is then v / scale rounded to float32 either way, so a CSV read
 * as bytes gives it the same floats as the same CSV read as float32.
 */
export function scaleInputs(inputs: Float32Array | Uint8Array, scale: number): Float32Array | Uint8Array {
  if (inputs instanceof Uint8Array ? scale === PIXEL_SCALE : scale === 1) return inputs;
  const out = new Float32Array(inputs.length);
  for (let i = 0; i < inputs.length; i++) out[i] = (inputs[i] as number) / scale;
  return out;
}

/**
 * `examples` with their labels re-indexed onto `classNames` (a training set's), matched by name:
 * a test set read apart from its training set. `what` names the source in errors.
 */
export function onClasses(examples: Examples, classNames: readonly string[], what: string): Examples {
  const index = new Map(classNames.map((name, i) => [name, i]));
  const map = examples.classNames.map((name) => index.get(name) ?? -1);
  const labels = new Int32Array(examples.labels.length);
  for (let i = 0; i < labels.length; i++) {
    const k = map[examples.labels[i] as number] as number;
    if (k < 0) {
      const name = examples.classNames[examples.labels[i] as number];
      throw new DataError(
        `${what}: example ${i} is of class ${describe(name)}, which is none of the training set's (${classNames.map((c) => describe(c)).join(", ")}): give data of the same classes`,
      );
    }
    labels[i] = k;
  }
  return { ...examples, labels, classNames: [...classNames] };
}

/** `examples` with its classes renamed by index (--class-names); the count must agree. */
export function renameClasses(examples: Examples, classNames: readonly string[], what: string): Examples {
  if (classNames.length !== examples.classNames.length) {
    throw new ArgumentError(
      `${what} names ${classNames.length} classes but the data has ${examples.classNames.length} (${examples.classNames.map((c) => describe(c)).join(", ")}): give one name per class`,
    );
  }
  return { ...examples, classNames: [...classNames] };
}

/** Whether class names are just the indices ("0", "1", …), as an IDX file's are. */
export function indexNames(classNames: readonly string[]): boolean {
  return classNames.every((name, i) => name === String(i));
}
