// The few-labels experiment drawn: test accuracy against the number of labelled examples (log
// scale), one line per method with mean ± standard deviation over the seeds, and the page that
// holds it with the table. Drawn from a plain table, so that `few-labels --report` only gathers.
import { ArgumentError } from "../errors.ts";
import { lineChart } from "./chart.ts";
import { type Cell, escapeHtml, facts, htmlPage, percent, seconds, table } from "./html.ts";
import { shellLine } from "./report-html.ts";

/** One cell of the experiment: a method trained on N labels, over the seeds. */
export interface FewLabelsRow {
  /** Labelled training examples. */
  labels: number;
  /** "pretrained + fine-tuned", "backpropagation only", "softmax on pixels", … */
  method: string;
  /** Test accuracy (a fraction): the mean over the seeds, and its standard deviation. */
  mean: number;
  std: number;
  /** Seconds it took, over all the seeds. */
  seconds: number;
  /** Seeds the mean is over (shown in the table where given). */
  seeds?: number;
}

export interface FewLabelsReport {
  title: string;
  date: string;
  command: readonly string[];
  rows: readonly FewLabelsRow[];
  /** Lines to show under the table (where early stopping could not be used, say). */
  notes?: readonly string[];
  /** Name → value facts about the run: data, pretraining, machine. */
  about?: readonly (readonly [string, string | number])[];
}

/** The methods in the order they first appear, and N ascending. */
function shape(rows: readonly FewLabelsRow[]): { methods: string[]; ns: number[] } {
  for (const [i, r] of rows.entries()) {
    if (!(Number.isInteger(r.labels) && r.labels > 0))
      throw new ArgumentError(`few-labels row ${i}: labels must be a positive integer, got ${r.labels}`);
    for (const key of ["mean", "std", "seconds"] as const) {
      if (!Number.isFinite(r[key]) || r[key] < 0)
        throw new ArgumentError(
          `few-labels row ${i} (${r.method}, N = ${r.labels}): ${key} must be ≥ 0, got ${r[key]}`,
        );
    }
  }
  return {
    methods: [...new Set(rows.map((r) => r.method))],
    ns: [...new Set(rows.map((r) => r.labels))].sort((a, b) => a - b),
  };
}

/** The plot as an inline SVG: x the labels on a log scale, y the test accuracy, bars ± one standard deviation. */
export function fewLabelsSvg(rows: readonly FewLabelsRow[], title = "test accuracy against labelled examples"): string {
  const { methods } = shape(rows);
  return lineChart({
    title,
    width: 640,
    height: 380,
    x: { label: "labelled training examples", log: true, format: "integer", pad: 0.04 },
    y: { label: "test accuracy (mean ± std over seeds)", format: "percent" },
    series: methods.map((method, i) => ({
      name: method,
      dots: true,
      dodge: (i - (methods.length - 1) / 2) * 5,
      points: rows
        .filter((r) => r.method === method)
        .sort((a, b) => a.labels - b.labels)
        .map((r) => ({ x: r.labels, y: r.mean, err: r.std })),
    })),
  });
}

/** The table as the command prints it: a row per N, for each method its mean ± std and its time. */
export function fewLabelsTable(rows: readonly FewLabelsRow[]): string {
  const { methods, ns } = shape(rows);
  const body: Cell[][] = ns.map((n) => [
    n.toLocaleString("en-US"),
    ...methods.flatMap((m): Cell[] => {
      const r = rows.find((x) => x.labels === n && x.method === m);
      if (!r) return ["–", "–"];
      const best = Math.max(...rows.filter((x) => x.labels === n).map((x) => x.mean));
      const text = `${percent(r.mean)} ± ${(100 * r.std).toFixed(2)}`;
      return [
        r.mean === best ? { html: `<strong>${escapeHtml(text)}</strong>`, className: "num" } : text,
        seconds(r.seconds),
      ];
    }),
  ]);
  const head = ["labels", ...methods.flatMap((m) => [m, "time"])];
  return table(head, body, { numeric: head.map((_, i) => i).slice(1) });
}

/** The page of the experiment: the plot, the table, how it was run. */
export function fewLabelsReportHtml(r: FewLabelsReport): string {
  const seeds = [...new Set(r.rows.map((x) => x.seeds).filter((s) => s !== undefined))];
  const body = [
    `<h1>${escapeHtml(r.title)}</h1>`,
    `<p class="sub">${escapeHtml(r.date)}${seeds.length === 1 ? ` · ${seeds[0]} seeds each` : ""}</p>`,
    `<pre class="command"><code>${escapeHtml(shellLine(r.command))}</code></pre>`,
    `<section><h2>Test accuracy</h2>${fewLabelsSvg(r.rows)}</section>`,
    `<section><h2>Table</h2>${fewLabelsTable(r.rows)}<p class="note">Mean ± standard deviation of the test accuracy over the seeds (in percentage points); the best method of each row in bold.</p>${(r.notes ?? []).map((n) => `<p class="note">${escapeHtml(n)}</p>`).join("")}</section>`,
    r.about && r.about.length > 0 ? `<section><h2>Run</h2>${facts(r.about)}</section>` : "",
    `<footer>Written by stackae few-labels --report.</footer>`,
  ];
  return htmlPage(r.title, body.join("\n"));
}
