// The per-class scores that `eval` and `train --json` print beside the accuracy and confusion matrix.
import { type ClassScores, classificationReport } from "../nn/metrics.ts";

/** A class's scores as JSON gives them: its index and name first. */
export type NamedClassScores = { class: number; name: string } & ClassScores;

/** The `metrics` object of `eval --json` and `train --json`. */
export interface MetricsJson {
  perClass: NamedClassScores[];
  macroAverage: ClassScores;
  weightedAverage: ClassScores;
}

/** Class index → name: the model's recorded names, else the index. */
export type ClassNamer = (index: number) => string;

export const indexName: ClassNamer = (index) => String(index);

/** The report of a confusion matrix (counts[actual][predicted]), each class named by `name`. */
export function metricsJson(confusion: number[][], name: ClassNamer = indexName): MetricsJson {
  const { perClass, macroAverage, weightedAverage } = classificationReport(confusion);
  return {
    perClass: perClass.map((s, c) => ({ class: c, name: name(c), ...s })),
    macroAverage,
    weightedAverage,
  };
}

/**
 * The report as scikit-learn's classification_report prints it, column for column: a row per
 * class (named), then the accuracy and the macro and weighted averages, scores to `digits` places.
 */
export function formatMetrics(confusion: number[][], name: ClassNamer = indexName, digits = 4): string {
  const report = classificationReport(confusion);
  const width = Math.max(...report.perClass.map((_, c) => name(c).length), "weighted avg".length, digits);
  const line = (label: string, cells: string[]) =>
    `${label.padStart(width)} ${cells.map((c) => ` ${c.padStart(9)}`).join("")}\n`;
  const scores = (s: ClassScores) => [
    s.precision.toFixed(digits),
    s.recall.toFixed(digits),
    s.f1.toFixed(digits),
    String(s.support),
  ];
  let text = `${line("", ["precision", "recall", "f1-score", "support"])}\n`;
  for (const [c, s] of report.perClass.entries()) text += line(name(c), scores(s));
  const total = String(report.macroAverage.support);
  text += `\n${line("accuracy", ["", "", report.accuracy.toFixed(digits), total])}`;
  text += line("macro avg", scores(report.macroAverage));
  text += line("weighted avg", scores(report.weightedAverage));
  return text;
}
