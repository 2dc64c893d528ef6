// Per-class precision, recall and F1 from a confusion matrix, as scikit-learn's
// classification_report computes them (sklearn.metrics.precision_recall_fscore_support with
// zero_division=0): a ratio whose denominator is 0 is 0; the macro average is the plain mean
// over every class, the weighted average weighs each class by its support.
import { ShapeError } from "../errors.ts";

/** One class's scores. */
export interface ClassScores {
  /** tp / (tp + fp): of the examples predicted as this class, the fraction that are. */
  precision: number;
  /** tp / (tp + fn): of the examples of this class, the fraction found. */
  recall: number;
  /** 2·tp / (2·tp + fp + fn), the harmonic mean of precision and recall. */
  f1: number;
  /** The examples of this class (tp + fn). */
  support: number;
}

export interface ClassificationReport {
  /** One entry per class, by class index. */
  perClass: ClassScores[];
  /** Correct predictions / all examples. */
  accuracy: number;
  /** The unweighted mean of each score over the classes; support: all examples. */
  macroAverage: ClassScores;
  /** Each score's mean weighted by the classes' support; support: all examples. */
  weightedAverage: ClassScores;
}

const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);

/**
 * The classification report of `confusion` (classes × classes, counts[actual][predicted], as
 * confusionMatrix gives it).
 */
export function classificationReport(confusion: readonly (readonly number[])[]): ClassificationReport {
  const k = confusion.length;
  for (const [r, row] of confusion.entries()) {
    if (row.length !== k)
      throw new ShapeError(`confusion matrix must be square (${k} × ${k}), row ${r} has ${row.length} entries`);
  }
  const predictedAs = new Array<number>(k).fill(0);
  for (const row of confusion) {
    for (let c = 0; c < k; c++) predictedAs[c] = (predictedAs[c] as number) + (row[c] as number);
  }
  let total = 0;
  let correct = 0;
  const perClass = confusion.map((row, c): ClassScores => {
    const tp = row[c] as number;
    const support = row.reduce((a, b) => a + b, 0);
    const predicted = predictedAs[c] as number;
    total += support;
    correct += tp;
    return {
      precision: ratio(tp, predicted),
      recall: ratio(tp, support),
      f1: ratio(2 * tp, support + predicted),
      support,
    };
  });
  const average = (weight: (s: ClassScores) => number): ClassScores => {
    const sumW = perClass.reduce((a, s) => a + weight(s), 0);
    const mean = (key: "precision" | "recall" | "f1") =>
      ratio(
        perClass.reduce((a, s) => a + weight(s) * s[key], 0),
        sumW,
      );
    return { precision: mean("precision"), recall: mean("recall"), f1: mean("f1"), support: total };
  };
  return {
    perClass,
    accuracy: ratio(correct, total),
    macroAverage: average(() => 1),
    weightedAverage: average((s) => s.support),
  };
}
