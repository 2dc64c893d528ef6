import { ArgumentError, ShapeError } from "../errors.ts";

export type Labels = Int32Array | Uint8Array | readonly number[];

/**
 * Checks that `labels` has m integer entries in [0, classes). Returns them as an Int32Array: the
 * same array when it already is one, a converted copy otherwise. Costs that take such checked
 * labels (softmaxCost, stackCost, the batch costs) trust them and do not check them again.
 */
export function checkLabels(labels: Labels, m: number, classes: number): Int32Array {
  if (labels.length !== m) throw new ShapeError(`labels must have one entry per example (${m}), got ${labels.length}`);
  const out = labels instanceof Int32Array ? labels : new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const y = labels[i] as number;
    if (!Number.isInteger(y) || y < 0 || y >= classes) {
      throw new ArgumentError(`labels[${i}] must be an integer class in [0, ${classes - 1}], got ${y}`);
    }
    out[i] = y;
  }
  return out;
}
