// The report of one training run as one HTML page, drawn from a plain object: `train --report`
// gathers the object (src/cli/report.ts), this turns it into the page, touching nothing else.
import { lineChart, movingAverage, PALETTE, type Series } from "./chart.ts";
import { type Cell, escapeHtml, facts, htmlPage, percent, pngDataUri, seconds, table } from "./html.ts";
import { type TileLayout, tileOrigin } from "./tiles.ts";

/** One evaluation of the validation set during a stage. */
export interface ReportValidationPoint {
  iteration: number;
  accuracy: number;
  cost: number;
}

export interface ReportStage {
  name: string;
  optimizer: string;
  /** L-BFGS iterations, or minibatch steps. */
  iterations: number;
  evaluations: number;
  seconds: number;
  /** The final cost, and why the stage stopped. */
  cost: number;
  stopped: string;
  /** The cost after each iteration (minibatch methods: each step's batch cost). */
  costs: readonly number[];
  /** The validation set's curve, and the evaluation whose parameters the stage kept. */
  validation?: { curve: readonly ReportValidationPoint[]; kept: ReportValidationPoint } | undefined;
}

/** The first layer's features as tiles: a PNG of them, where each tile lies, and each tile's scale. */
export interface ReportFeatures {
  png: Uint8Array;
  layout: TileLayout;
  /** Each tile's largest |weight|: the weight drawn white (its negative black). */
  maxAbs: readonly number[];
}

export interface ReportClassScores {
  name: string;
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export type SettingValue = string | number | boolean;

export interface RunReport {
  title: string;
  /** When the run ended (ISO 8601). */
  date: string;
  /** The command line, as typed (argv after node). */
  command: readonly string[];
  /** The settings: those of the whole run (name → value), and each stage's side by side ("" where one does not apply). */
  settings: {
    run: readonly (readonly [string, SettingValue])[];
    stages: readonly string[];
    perStage: readonly { name: string; values: readonly SettingValue[] }[];
  };
  data: {
    source: string;
    kind: string;
    inputSize: number;
    imageShape: readonly [number, number];
    inputScale: number;
    classes: readonly string[];
    /** Examples of each class in each split, by split name ("training", "validation", "test", …). */
    splits: readonly { name: string; perClass: readonly number[] | null; total: number }[];
  };
  stages: readonly ReportStage[];
  accuracy: { beforeFineTuning: number; afterFineTuning: number; validation?: number | undefined };
  /** counts[actual][predicted] on the test set after fine-tuning. */
  confusion: readonly (readonly number[])[];
  perClass: readonly ReportClassScores[];
  macroAverage: Omit<ReportClassScores, "name">;
  weightedAverage: Omit<ReportClassScores, "name">;
  features: { before: ReportFeatures; after: ReportFeatures };
  machine: { cpu: string; cores: string; backend: string; threads: number; node: string; platform: string };
  totalSeconds: number;
}

/** The page of a run: a self-contained HTML document. */
export function runReportHtml(r: RunReport): string {
  const body = [
    `<h1>${escapeHtml(r.title)}</h1>`,
    `<p class="sub">${escapeHtml(r.date)} · ${escapeHtml(r.data.source)} · ${escapeHtml(seconds(r.totalSeconds))} in all</p>`,
    headline(r),
    `<pre class="command"><code>${escapeHtml(shellLine(r.command))}</code></pre>`,
    section("Test accuracy and the errors made", results(r)),
    section("Training: cost and validation curves", curves(r.stages)),
    section("Time and work per stage", stagesTable(r.stages, r.totalSeconds)),
    section("Features of the first layer", features(r)),
    section("Data", dataSection(r.data)),
    section("Settings", settingsSection(r.settings)),
    section("Machine", machine(r.machine)),
    `<footer>Written by stackae train --report. The numbers here are also in stages.json and the output of --json.</footer>`,
  ];
  return htmlPage(r.title, body.join("\n"));
}

function section(title: string, html: string): string {
  return `<section><h2>${escapeHtml(title)}</h2>\n${html}\n</section>`;
}

/** argv as a shell line: words with spaces or quotes quoted, so that it can be pasted back. */
export function shellLine(argv: readonly string[]): string {
  return argv.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(" ");
}

function headline(r: RunReport): string {
  const stat = (value: string, label: string, cls = "") =>
    `<div class="stat${cls}"><div class="value">${escapeHtml(value)}</div><div class="label">${escapeHtml(label)}</div></div>`;
  return [
    '<div class="headline">',
    stat(percent(r.accuracy.afterFineTuning), "test accuracy after fine-tuning", " main"),
    stat(percent(r.accuracy.beforeFineTuning), "before fine-tuning"),
    r.accuracy.validation === undefined ? "" : stat(percent(r.accuracy.validation), "validation accuracy (kept)"),
    stat(seconds(r.totalSeconds), "training time"),
    "</div>",
  ].join("");
}

function results(r: RunReport): string {
  const classes = r.perClass.map((c) => c.name);
  return [
    '<div class="columns">',
    `<div><h3>Confusion matrix (test set, after fine-tuning)</h3>${confusionTable(r.confusion, classes)}</div>`,
    `<div><h3>Precision and recall per class</h3>${scoresTable(r)}</div>`,
    "</div>",
  ].join("\n");
}

/**
 * The matrix as a table, each cell shaded by its share of its row (the actual class): the
 * diagonal in blue, the errors in orange, so that the largest confusions stand out.
 */
export function confusionTable(confusion: readonly (readonly number[])[], classes: readonly string[]): string {
  const rows = confusion.map((row, actual) => {
    const total = row.reduce((s, v) => s + v, 0);
    const cells: Cell[] = row.map((count, predicted) => {
      const share = total === 0 ? 0 : count / total;
      const diag = actual === predicted;
      // Errors are rare: scale them up so that 5 % of a row already shows strongly.
      const alpha = diag ? share : Math.min(1, 4 * share);
      const rgb = diag ? "0,114,178" : "213,94,0";
      return {
        html: String(count),
        className: diag ? "num diag" : "num",
        title: `actual ${classes[actual] ?? actual}, predicted ${classes[predicted] ?? predicted}: ${count} (${percent(share, 1)} of the row)`,
        style: `background:rgba(${rgb},${alpha.toFixed(3)});color:${alpha > 0.55 ? "#fff" : "#1d2330"}`,
      };
    });
    return [classes[actual] ?? String(actual), ...cells];
  });
  return table(["actual ↓ predicted →", ...classes], rows, {
    className: "confusion",
    cornerClass: "corner",
    numeric: classes.map((_, i) => i + 1),
  });
}

function scoresTable(r: RunReport): string {
  const f = (v: number) => v.toFixed(4);
  const bar = (v: number) =>
    `<span class="bar" style="width:${Math.round(48 * v)}px"></span><span class="bar-rest" style="width:${48 - Math.round(48 * v)}px"></span>${f(v)}`;
  const rows: Cell[][] = r.perClass.map((c) => [
    c.name,
    { html: bar(c.precision) },
    { html: bar(c.recall) },
    f(c.f1),
    c.support,
  ]);
  const avg = (name: string, s: Omit<ReportClassScores, "name">): Cell[] => [
    name,
    f(s.precision),
    f(s.recall),
    f(s.f1),
    s.support,
  ];
  return table(
    ["class", "precision", "recall", "F1", "support"],
    [...rows, avg("macro average", r.macroAverage), avg("weighted average", r.weightedAverage)],
    { numeric: [1, 2, 3, 4], totalsFrom: rows.length },
  );
}

/**
 * A stage's cost per iteration and, where it has a validation set, the validation cost at each
 * evaluation beside it, as Keras plots loss and val_loss. A minibatch stage's batch costs are
 * noisy: drawn faintly, with their moving average over them.
 */
function costChart(s: ReportStage, color: string): string {
  const minibatch = s.optimizer !== "lbfgs";
  const raw = s.costs.map((c, k) => ({ x: k + 1, y: c }));
  const window = Math.max(5, Math.round(s.costs.length / 40));
  const smooth = minibatch && s.costs.length > 50;
  const training = minibatch ? "each batch" : "training";
  const series: Series[] = smooth
    ? [
        { name: training, points: raw, color, dots: false, opacity: 0.3 },
        {
          name: `mean of ${window} batches`,
          points: movingAverage(s.costs, window).map((c, k) => ({ x: k + 1, y: c })),
          color,
          dots: false,
        },
      ]
    : [{ name: training, points: raw, color, dots: s.costs.length <= 40 }];
  if (s.validation && s.validation.curve.length > 0) {
    series.push({
      name: "validation",
      points: s.validation.curve.map((p) => ({ x: p.iteration, y: p.cost })),
      color: "#000",
      dashed: true,
    });
  }
  const costs = series.flatMap((x) => x.points.map((p) => p.y)).filter(Number.isFinite);
  return lineChart({
    title: `${s.name} (${s.optimizer}): cost`,
    x: { label: minibatch ? "step" : "iteration", format: "integer", tight: true },
    y: { label: "cost", log: costs.every((c) => c > 0) },
    series,
  });
}

/** A stage's validation accuracy at each evaluation, with the evaluation whose parameters it kept marked. */
function accuracyChart(s: ReportStage, color: string): string {
  const v = s.validation as NonNullable<ReportStage["validation"]>;
  const step = s.optimizer === "lbfgs" ? "iteration" : "step";
  return lineChart({
    title: `${s.name}: validation accuracy`,
    x: { label: step, format: "integer", tight: true },
    y: { label: "accuracy", format: "percent" },
    series: [
      { name: "validation set", points: v.curve.map((p) => ({ x: p.iteration, y: p.accuracy })), color },
      {
        name: `kept (${step} ${v.kept.iteration})`,
        points: [{ x: v.kept.iteration, y: v.kept.accuracy }],
        color: "#000",
      },
    ],
  });
}

/** A row for each stage with a validation set (its cost, its accuracy); the others two to a row. */
function curves(stages: readonly ReportStage[]): string {
  const color = (i: number) => PALETTE[i % PALETTE.length] as string;
  const rows: string[][] = [];
  let pending: string[] = [];
  const validated = (s: ReportStage) => s.validation !== undefined && s.validation.curve.length > 0;
  for (const [i, s] of stages.entries()) {
    if (validated(s)) {
      if (pending.length > 0) rows.push(pending);
      pending = [];
      rows.push([costChart(s, color(i)), accuracyChart(s, color(i))]);
    } else {
      pending.push(costChart(s, color(i)));
      if (pending.length === 2) [rows[rows.length], pending] = [pending, []];
    }
  }
  if (pending.length > 0) rows.push(pending);
  const kept = stages
    .filter(validated)
    .map(
      (s) =>
        `${s.name} kept the parameters of ${s.optimizer === "lbfgs" ? "iteration" : "step"} ${s.validation?.kept.iteration} (validation accuracy ${percent(s.validation?.kept.accuracy ?? Number.NaN)})`,
    );
  const note =
    kept.length > 0
      ? `The training cost includes the weight decay term (and the autoencoders' sparsity term); the validation cost is the cross-entropy alone. ${kept.join("; ")}.`
      : "No validation set: add --validation-fraction F for validation curves and early stopping.";
  return `${rows.map((r) => `<div class="charts">${r.join("\n")}</div>`).join("\n")}<p class="note">${escapeHtml(note)}</p>`;
}

function stagesTable(stages: readonly ReportStage[], total: number): string {
  const rows: Cell[][] = stages.map((s) => [
    s.name,
    s.optimizer,
    seconds(s.seconds),
    s.iterations.toLocaleString("en-US"),
    s.evaluations.toLocaleString("en-US"),
    s.cost.toPrecision(6),
    { html: escapeHtml(s.stopped), className: "wrap" },
  ]);
  const inStages = stages.reduce((t, s) => t + s.seconds, 0);
  rows.push(["all stages", "", seconds(inStages), "", "", "", `${seconds(total)} with loading and testing`]);
  return table(["stage", "optimizer", "seconds", "iterations / steps", "evaluations", "final cost", "stopped"], rows, {
    numeric: [2, 3, 4, 5],
    className: "wide",
    totalsFrom: stages.length,
  });
}

/** The tiles with each unit's number in its corner, scaled up with crisp pixels. */
export function tilesSvg(f: ReportFeatures, zoom: number): string {
  const { layout } = f;
  const w = layout.width * zoom;
  const h = layout.height * zoom;
  const labels: string[] = [];
  // A number needs a tile at least 14 px high; smaller tiles (a CSV's rows of values) keep only their tooltip.
  const numbered = layout.tileHeight * zoom >= 14 && layout.tileWidth * zoom >= 14;
  for (let t = 0; t < layout.count; t++) {
    const { x, y } = tileOrigin(layout, t);
    const title = `unit ${t + 1}: white +${(f.maxAbs[t] ?? 0).toPrecision(3)}, black −${(f.maxAbs[t] ?? 0).toPrecision(3)}`;
    labels.push(
      `<g><title>${escapeHtml(title)}</title><rect x="${x * zoom}" y="${y * zoom}" width="${layout.tileWidth * zoom}" height="${layout.tileHeight * zoom}" fill="transparent"/>${numbered ? `<text class="unit" x="${x * zoom + 2}" y="${y * zoom + 10}">${t + 1}</text>` : ""}</g>`,
    );
  }
  return [
    `<svg class="tiles" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}">`,
    `<image href="${pngDataUri(f.png)}" x="0" y="0" width="${w}" height="${h}" preserveAspectRatio="none"/>`,
    labels.join(""),
    "</svg>",
  ].join("");
}

function features(r: RunReport): string {
  const { layout } = r.features.after;
  // Tiles about 56 px wide, as UFLDL's display_network shows MNIST's at two pixels a pixel.
  const zoom = Math.max(1, Math.min(8, Math.round(56 / Math.max(layout.tileWidth, layout.tileHeight))));
  const range = (f: ReportFeatures) => {
    const m = f.maxAbs.filter(Number.isFinite);
    return m.length === 0 ? "" : `from ${Math.min(...m).toPrecision(3)} to ${Math.max(...m).toPrecision(3)}`;
  };
  const figure = (f: ReportFeatures, heading: string) =>
    `<figure><h3>${escapeHtml(heading)}</h3>${tilesSvg(f, zoom)}<figcaption>${escapeHtml(`${layout.count} units; each tile's largest |weight| ${range(f)} (hover a tile for its own).`)}</figcaption></figure>`;
  return [
    `<p>Each tile is the input weights of one hidden unit of the first autoencoder (a row of W1), drawn as an image of the input's ${r.data.imageShape[0]} × ${r.data.imageShape[1]} shape and numbered from 1. Each tile is scaled on its own, as UFLDL's display_network does:</p>`,
    '<div class="scale"><span>−max</span><span class="ramp"></span><span>+max</span><span>(mid-gray is 0; max is the tile\'s largest |weight|)</span></div>',
    '<div class="figures">',
    figure(r.features.before, "After pretraining, before fine-tuning"),
    figure(r.features.after, "After fine-tuning"),
    "</div>",
  ].join("\n");
}

function dataSection(d: RunReport["data"]): string {
  const about = facts([
    ["source", d.source],
    ["kind", d.kind],
    ["input", `${d.inputSize} values (${d.imageShape[0]} × ${d.imageShape[1]}), divided by ${d.inputScale}`],
    ["classes", `${d.classes.length}: ${d.classes.join(", ")}`],
  ]);
  const withClasses = d.splits.filter((s) => s.perClass !== null);
  const rows: Cell[][] = d.classes.map((name, c) => [name, ...withClasses.map((s) => s.perClass?.[c] ?? 0)]);
  rows.push(["all", ...withClasses.map((s) => s.total)]);
  const perClass = table(["class", ...withClasses.map((s) => s.name)], rows, {
    numeric: withClasses.map((_, i) => i + 1),
    caption: "examples of each class in each split",
    totalsFrom: d.classes.length,
  });
  const others = d.splits.filter((s) => s.perClass === null);
  const unlabelled = others.map(
    (s) => `<p>${escapeHtml(`${s.name}: ${s.total.toLocaleString("en-US")} examples, no labels.`)}</p>`,
  );
  return `<div class="columns"><div>${about}${unlabelled.join("")}</div><div>${perClass}</div></div>`;
}

function settingsSection(settings: RunReport["settings"]): string {
  const perStage = table(
    ["", ...settings.stages],
    settings.perStage.map((r) => [r.name, ...r.values.map((v) => (v === "" ? "–" : String(v)))]),
    { className: "settings" },
  );
  return `<div class="columns"><div>${facts(settings.run)}</div><div>${perStage}</div></div>`;
}

function machine(m: RunReport["machine"]): string {
  return facts([
    ["CPU", m.cpu],
    ["cores", m.cores],
    ["backend", m.backend],
    ["threads", m.threads],
    ["Node", m.node],
    ["platform", m.platform],
  ]);
}
