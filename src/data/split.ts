// Held-out parts of a data set: stratified (each class in the same proportion in both parts),
// seeded, and in the examples' original order within each part, as scikit-learn's
// train_test_split(stratify=y) makes them.
import { ArgumentError, checkNumber, DataError } from "../errors.ts";
import { Rng } from "../linalg/rng.ts";
import type { Examples } from "./examples.ts";

/** A split's two parts, as row indices into the examples, each in increasing order. */
export interface SplitIndices {
  kept: Int32Array;
  held: Int32Array;
}

/**
 * Holds out `fraction` of the examples of every class (rounded, at least one where the class has
 * two or more), chosen by a seeded shuffle of that class's rows: the same labels, fraction and
 * seed give the same split. `what` names the flag or option in errors.
 */
export function stratifiedSplit(labels: Int32Array, fraction: number, seed: number, what = "fraction"): SplitIndices {
  checkNumber(what, fraction, { min: 0, max: 1, minExclusive: true, maxExclusive: true });
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const rows = byClass.get(y);
    if (rows) rows.push(i);
    else byClass.set(y, [i]);
  }
  const rng = new Rng(seed);
  const held = new Uint8Array(labels.length);
  let count = 0;
  for (const y of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(y) as number[];
    const take = rows.length < 2 ? 0 : Math.min(rows.length - 1, Math.max(1, Math.round(rows.length * fraction)));
    // A partial Fisher–Yates shuffle: the first `take` rows drawn are held out.
    for (let j = 0; j < take; j++) {
      const k = j + rng.int(rows.length - j);
      [rows[j], rows[k]] = [rows[k] as number, rows[j] as number];
      held[rows[j] as number] = 1;
    }
    count += take;
  }
  if (count === 0 || count === labels.length) {
    throw new ArgumentError(
      `${what} ${fraction} of ${labels.length} examples leaves ${count === 0 ? "nothing held out" : "nothing to train on"}: give more examples or another fraction`,
    );
  }
  const kept = new Int32Array(labels.length - count);
  const out = new Int32Array(count);
  for (let i = 0, a = 0, b = 0; i < labels.length; i++) {
    if (held[i]) out[b++] = i;
    else kept[a++] = i;
  }
  return { kept, held: out };
}

/** The examples at `rows` (a copy), with the same class names and image size. */
export function selectExamples(examples: Examples, rows: Int32Array): Examples {
  const n = examples.inputSize;
  const inputs = new (examples.inputs.constructor as { new (length: number): Float32Array | Uint8Array })(
    rows.length * n,
  );
  const labels = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i] as number;
    if (!(r >= 0 && r < examples.labels.length))
      throw new DataError(`row ${r} is not an example (0 to ${examples.labels.length - 1})`);
    inputs.set(examples.inputs.subarray(r * n, (r + 1) * n), i * n);
    labels[i] = examples.labels[r] as number;
  }
  return { ...examples, inputs, labels };
}

/** Splits examples into the part kept and the part held out (see stratifiedSplit). */
export function splitExamples(
  examples: Examples,
  fraction: number,
  seed: number,
  what = "fraction",
): { kept: Examples; held: Examples } {
  const { kept, held } = stratifiedSplit(examples.labels, fraction, seed, what);
  return { kept: selectExamples(examples, kept), held: selectExamples(examples, held) };
}

/**
 * `count` examples chosen class by class, as evenly as the classes allow: count ÷ k of each of
 * the k classes present, the remainder one more each to classes drawn at random, each class's
 * examples drawn by a seeded shuffle (the same labels, count and seed give the same subset).
 * Returns row indices in increasing order. `what` names the option in errors.
 */
export function balancedSubset(labels: Int32Array, count: number, seed: number, what = "count"): Int32Array {
  checkNumber(what, count, { integer: true, min: 1, max: labels.length });
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i] as number;
    const rows = byClass.get(y);
    if (rows) rows.push(i);
    else byClass.set(y, [i]);
  }
  const classes = [...byClass.keys()].sort((a, b) => a - b);
  const rng = new Rng(seed);
  const extra = new Set(rng.shuffle(Int32Array.from(classes)).subarray(0, count % classes.length));
  const chosen: number[] = [];
  for (const y of classes) {
    const rows = byClass.get(y) as number[];
    const take = Math.floor(count / classes.length) + (extra.has(y) ? 1 : 0);
    if (take > rows.length) {
      throw new ArgumentError(
        `${what} ${count} needs ${take} examples of class ${y}, which has ${rows.length}: give a smaller ${what} or more examples`,
      );
    }
    for (let j = 0; j < take; j++) {
      const k = j + rng.int(rows.length - j);
      [rows[j], rows[k]] = [rows[k] as number, rows[j] as number];
      chosen.push(rows[j] as number);
    }
  }
  return Int32Array.from(chosen).sort();
}
