// Line charts as inline SVG, for the HTML reports: axes with round ticks, a linear or log scale on
// either axis, several series with a legend, and optional ± error bars. Hand-written because the
// reports are single files with no scripts: a charting library would bring a runtime and a DOM.
import { escapeHtml } from "./html.ts";

export interface ChartPoint {
  x: number;
  y: number;
  /** Half the error bar's height (a standard deviation, say); none when undefined. */
  err?: number | undefined;
}

export interface Series {
  name: string;
  points: readonly ChartPoint[];
  /** A CSS colour; by default the series' place in `PALETTE`. */
  color?: string;
  /** Draw a dot at each point (default: when there are at most 40 points). */
  dots?: boolean;
  dashed?: boolean;
  /** Stroke opacity, for a noisy series drawn under its smoothed one. */
  opacity?: number;
  /** Leave the series out of the legend. */
  unlisted?: boolean;
  /** Shift in pixels along x, so that error bars of series at the same x do not hide each other. */
  dodge?: number;
}

export interface Axis {
  label: string;
  /** A log₁₀ scale; values that are not positive are left out. */
  log?: boolean;
  /** Bounds the axis must include (the data's own range is always included). */
  min?: number;
  max?: number;
  /** Tick labels: "percent" writes 0.98 as 98 %. */
  format?: "number" | "percent" | "integer";
  /** End the axis at the data (default: widen a linear axis to the round ticks around it). */
  tight?: boolean;
  /** Room beyond the data at each end, as a fraction of the axis (default 0). */
  pad?: number;
}

export interface ChartSpec {
  title?: string;
  x: Axis;
  y: Axis;
  series: readonly Series[];
  width?: number;
  height?: number;
}

/** Colour-blind-safe (Okabe–Ito), in the order series take them. */
export const PALETTE = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"] as const;

const MARGIN = { left: 62, right: 24, top: 30, bottom: 44 };

/** Round ticks inside [lo, hi] on a linear scale: steps of 1, 2 or 5 × 10ᵏ, about `count` of them. */
export function linearTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  // The round step nearest the raw one, on a log scale (d3's thresholds: √2, √10, √50).
  const e = raw / power;
  const step = (e >= Math.sqrt(50) ? 10 : e >= Math.sqrt(10) ? 5 : e >= Math.SQRT2 ? 2 : 1) * power;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step - 1e-9) * step; t <= hi + step * 1e-9; t += step) ticks.push(roundTo(t, step));
  return ticks;
}

/**
 * Ticks on a log scale: the powers of ten in [lo, hi], with 2 and 5 between them where there are
 * few; within less than a decade, round linear ticks.
 */
export function logTicks(lo: number, hi: number): number[] {
  if (hi / lo < 10) {
    const ticks = linearTicks(lo, hi, 4).filter((t) => t > 0);
    if (ticks.length >= 2) return ticks;
  }
  const first = Math.floor(Math.log10(lo));
  const last = Math.ceil(Math.log10(hi));
  const multipliers = last - first <= 2 ? [1, 2, 5] : [1];
  const ticks: number[] = [];
  for (let k = first; k <= last; k++) {
    for (const m of multipliers) {
      const t = roundTo(m * 10 ** k, 10 ** Math.min(k, 0));
      if (t >= lo * (1 - 1e-9) && t <= hi * (1 + 1e-9)) ticks.push(t);
    }
  }
  return ticks.length >= 2 ? ticks : [lo, hi];
}

/** `v` to the precision of `step`, so that 0.1 + 0.2 prints as 0.3. */
function roundTo(v: number, step: number): number {
  const digits = Math.max(0, -Math.floor(Math.log10(step)) + 1);
  return Number(v.toFixed(Math.min(digits, 20)));
}

/** A tick's label. */
export function formatTick(v: number, format: Axis["format"] = "number"): string {
  if (format === "percent") return `${Number((v * 100).toPrecision(4))} %`;
  if (format === "integer" || (Number.isInteger(v) && Math.abs(v) < 1e6)) return v.toLocaleString("en-US");
  if (v === 0) return "0";
  const a = Math.abs(v);
  return a >= 1e5 || a < 1e-3 ? v.toExponential(0) : String(Number(v.toPrecision(3)));
}

interface Scale {
  /** Data value → pixel. */
  at: (v: number) => number;
  ticks: number[];
  keep: (v: number) => boolean;
}

function scale(axis: Axis, values: number[], from: number, to: number): Scale {
  const keep = (v: number) => Number.isFinite(v) && (!axis.log || v > 0);
  const kept = values.filter(keep);
  for (const bound of [axis.min, axis.max]) if (bound !== undefined && keep(bound)) kept.push(bound);
  let lo = kept.length > 0 ? Math.min(...kept) : axis.log ? 1 : 0;
  let hi = kept.length > 0 ? Math.max(...kept) : axis.log ? 10 : 1;
  if (axis.log) {
    if (hi === lo) [lo, hi] = [lo / 2, hi * 2];
    const ticks = logTicks(lo, hi);
    const f = Math.log10;
    const [a0, b0] = [Math.min(f(lo), f(ticks[0] as number)), Math.max(f(hi), f(ticks.at(-1) as number))];
    const room = (axis.pad ?? 0) * (b0 - a0);
    const [a, b] = [a0 - room, b0 + room];
    return { at: (v) => from + ((f(v) - a) / (b - a || 1)) * (to - from), ticks, keep };
  }
  if (hi === lo) [lo, hi] = lo === 0 ? [0, 1] : [lo - Math.abs(lo) / 2, hi + Math.abs(hi) / 2];
  const ticks = linearTicks(lo, hi);
  if (axis.tight) return { at: (v) => from + ((v - lo) / (hi - lo)) * (to - from), ticks, keep };
  const step = ticks.length > 1 ? (ticks[1] as number) - (ticks[0] as number) : 0;
  // Widen to the ticks just outside the data, so that the frame ends on a labelled value.
  const a = Math.min(lo, step > 0 ? Math.floor(lo / step + 1e-9) * step : lo);
  const b = Math.max(hi, step > 0 ? Math.ceil(hi / step - 1e-9) * step : hi);
  const all = step > 0 ? linearTicks(a, b) : ticks;
  return { at: (v) => from + ((v - a) / (b - a || 1)) * (to - from), ticks: all, keep };
}

const num = (v: number) => v.toFixed(1);

/** An inline `<svg>` element (no XML prolog), sized in CSS pixels and scaling with its box. */
export function lineChart(spec: ChartSpec): string {
  const width = spec.width ?? 440;
  const height = spec.height ?? 280;
  const items = legendLayout(spec.series, width - MARGIN.left - MARGIN.right);
  const legend = items.length > 1 ? 18 * (Math.max(...items.map((i) => i.line)) + 1) : 0;
  const m = { ...MARGIN, top: MARGIN.top + legend };
  const xs = spec.series.flatMap((s) => s.points.map((p) => p.x));
  const ys = spec.series.flatMap((s) => s.points.flatMap((p) => (p.err ? [p.y - p.err, p.y + p.err] : [p.y])));
  const sx = scale(spec.x, xs, m.left, width - m.right);
  const sy = scale(spec.y, ys, height - m.bottom, m.top);
  const out: string[] = [
    `<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img"${spec.title ? ` aria-label="${escapeHtml(spec.title)}"` : ""}>`,
  ];
  if (spec.title) out.push(`<text class="chart-title" x="${m.left}" y="16">${escapeHtml(spec.title)}</text>`);
  out.push(...grid(spec, sx, sy, m, width, height));
  for (const [i, s] of spec.series.entries()) out.push(...seriesSvg(s, i, sx, sy));
  if (legend > 0) out.push(...legendSvg(spec.series, items, m.left, 22 + (spec.title ? 12 : 0)));
  out.push("</svg>");
  return out.join("\n");
}

function grid(spec: ChartSpec, sx: Scale, sy: Scale, m: typeof MARGIN, width: number, height: number): string[] {
  const out: string[] = [];
  const [left, right, top, bottom] = [m.left, width - m.right, m.top, height - m.bottom];
  for (const t of sy.ticks) {
    const y = num(sy.at(t));
    out.push(`<line class="grid" x1="${left}" x2="${right}" y1="${y}" y2="${y}"/>`);
    out.push(
      `<text class="tick" x="${left - 6}" y="${y}" text-anchor="end" dy="0.32em">${escapeHtml(formatTick(t, spec.y.format))}</text>`,
    );
  }
  for (const t of sx.ticks) {
    const x = num(sx.at(t));
    out.push(`<line class="grid" x1="${x}" x2="${x}" y1="${top}" y2="${bottom}"/>`);
    out.push(
      `<text class="tick" x="${x}" y="${bottom + 16}" text-anchor="middle">${escapeHtml(formatTick(t, spec.x.format))}</text>`,
    );
  }
  out.push(`<rect class="frame" x="${left}" y="${top}" width="${right - left}" height="${bottom - top}"/>`);
  const xLabel = `${spec.x.label}${spec.x.log ? " (log scale)" : ""}`;
  const yLabel = `${spec.y.label}${spec.y.log ? " (log scale)" : ""}`;
  out.push(
    `<text class="axis-label" x="${(left + right) / 2}" y="${height - 8}" text-anchor="middle">${escapeHtml(xLabel)}</text>`,
  );
  out.push(
    `<text class="axis-label" transform="translate(14,${(top + bottom) / 2}) rotate(-90)" text-anchor="middle">${escapeHtml(yLabel)}</text>`,
  );
  return out;
}

function seriesSvg(s: Series, i: number, scaleX: Scale, sy: Scale): string[] {
  const sx: Scale = s.dodge ? { ...scaleX, at: (v) => scaleX.at(v) + (s.dodge as number) } : scaleX;
  const color = escapeHtml(s.color ?? (PALETTE[i % PALETTE.length] as string));
  const points = s.points.filter((p) => sx.keep(p.x) && sy.keep(p.y));
  const out: string[] = [];
  for (const p of points) {
    if (!p.err || !Number.isFinite(p.err)) continue;
    const lo = sy.keep(p.y - p.err) ? sy.at(p.y - p.err) : sy.at(p.y);
    const [x, hi] = [sx.at(p.x), sy.at(p.y + p.err)];
    out.push(
      `<path class="err" stroke="${color}" d="M${num(x)},${num(lo)}V${num(hi)}M${num(x - 4)},${num(lo)}h8M${num(x - 4)},${num(hi)}h8"/>`,
    );
  }
  const d = points.map((p) => `${num(sx.at(p.x))},${num(sy.at(p.y))}`).join(" ");
  if (points.length > 1) {
    out.push(
      `<polyline class="line" points="${d}" stroke="${color}"${s.dashed ? ' stroke-dasharray="5 4"' : ""}${s.opacity === undefined ? "" : ` stroke-opacity="${s.opacity}"`}><title>${escapeHtml(s.name)}</title></polyline>`,
    );
  }
  if (s.dots ?? points.length <= 40) {
    for (const p of points) {
      const label = `${s.name}: ${formatTick(p.x)} → ${formatTick(p.y)}${p.err ? ` ± ${formatTick(p.err)}` : ""}`;
      out.push(
        `<circle cx="${num(sx.at(p.x))}" cy="${num(sy.at(p.y))}" r="3" fill="${color}"><title>${escapeHtml(label)}</title></circle>`,
      );
    }
  }
  return out;
}

interface LegendItem {
  series: number;
  x: number;
  line: number;
}

/** The legend's entries left to right, wrapped to `width`; text widths estimated at 7 px a character. */
function legendLayout(series: readonly Series[], width: number): LegendItem[] {
  const items: LegendItem[] = [];
  let [x, line] = [0, 0];
  for (const [i, s] of series.entries()) {
    if (s.unlisted) continue;
    const w = 24 + 7 * s.name.length + 18;
    if (x > 0 && x + w > width) [x, line] = [0, line + 1];
    items.push({ series: i, x, line });
    x += w;
  }
  return items;
}

function legendSvg(series: readonly Series[], items: readonly LegendItem[], x0: number, y0: number): string[] {
  return items.map(({ series: i, x: dx, line }) => {
    const s = series[i] as Series;
    const color = escapeHtml(s.color ?? (PALETTE[i % PALETTE.length] as string));
    const x = x0 + dx;
    const y = y0 + line * 18;
    const mark =
      s.points.length === 1
        ? `<circle cx="${x + 9}" cy="${y}" r="3.5" fill="${color}"/>`
        : `<line x1="${x}" x2="${x + 18}" y1="${y}" y2="${y}" stroke="${color}" stroke-width="2.5"${s.dashed ? ' stroke-dasharray="5 4"' : ""}${s.opacity === undefined ? "" : ` stroke-opacity="${s.opacity}"`}/>`;
    return `<g class="legend">${mark}<text x="${x + 24}" y="${y}" dy="0.32em">${escapeHtml(s.name)}</text></g>`;
  });
}

/** The running mean of `window` values centred on each point (fewer at the ends): a noisy curve's trend. */
export function movingAverage(values: readonly number[], window: number): number[] {
  const half = Math.floor(Math.max(1, window) / 2);
  const out = new Array<number>(values.length);
  let sum = 0;
  let count = 0;
  let lo = 0;
  let hi = -1;
  for (let i = 0; i < values.length; i++) {
    while (hi < Math.min(values.length - 1, i + half)) {
      const v = values[++hi] as number;
      if (Number.isFinite(v)) [sum, count] = [sum + v, count + 1];
    }
    while (lo < i - half) {
      const v = values[lo++] as number;
      if (Number.isFinite(v)) [sum, count] = [sum - v, count - 1];
    }
    out[i] = count === 0 ? Number.NaN : sum / count;
  }
  return out;
}
