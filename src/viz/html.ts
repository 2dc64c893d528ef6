// What the HTML reports share: escaping, data: URIs, tables and the page around them. Every page
// is one file that stands alone: its style inline, its pictures inline, no script, nothing fetched
// (its Content-Security-Policy forbids any request but data: images).

/** Text made safe for HTML content and for attribute values in double or single quotes. */
export function escapeHtml(value: unknown): string {
  return String(value)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Bytes as base64 (RFC 4648), without Node's Buffer, so that the reports can be drawn in a browser. */
export function base64(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const [a, b, c] = [bytes[i] as number, bytes[i + 1], bytes[i + 2]];
    const n = (a << 16) | ((b ?? 0) << 8) | (c ?? 0);
    out += BASE64[n >> 18] as string;
    out += BASE64[(n >> 12) & 63] as string;
    out += b === undefined ? "=" : (BASE64[(n >> 6) & 63] as string);
    out += c === undefined ? "=" : (BASE64[n & 63] as string);
  }
  return out;
}

/** A PNG's bytes as a data: URI. */
export function pngDataUri(png: Uint8Array): string {
  return `data:image/png;base64,${base64(png)}`;
}

/** A cell of `table`: text (escaped), or HTML already made safe with a class for the cell. */
export type Cell = string | number | { html: string; className?: string; title?: string; style?: string };

function cell(tag: "td" | "th", c: Cell, numeric: boolean): string {
  if (typeof c === "object") {
    const cls = c.className ?? (numeric ? "num" : "");
    const attrs = [
      cls ? ` class="${escapeHtml(cls)}"` : "",
      c.title ? ` title="${escapeHtml(c.title)}"` : "",
      c.style ? ` style="${escapeHtml(c.style)}"` : "",
    ];
    return `<${tag}${attrs.join("")}>${c.html}</${tag}>`;
  }
  const text = typeof c === "number" && Number.isInteger(c) ? c.toLocaleString("en-US") : String(c);
  return `<${tag}${numeric || typeof c === "number" ? ' class="num"' : ""}>${escapeHtml(text)}</${tag}>`;
}

export interface TableOptions {
  /** Columns (by index) right-aligned in tabular figures. */
  numeric?: readonly number[];
  className?: string;
  caption?: string;
  /** The rows from this index on are totals, under a rule. */
  totalsFrom?: number;
  /** Class of the header row's first cell. */
  cornerClass?: string;
}

/** A table: a header row, then the rows; the first column of each row is its header. */
export function table(head: readonly string[], rows: readonly (readonly Cell[])[], options: TableOptions = {}): string {
  const numeric = new Set(options.numeric ?? []);
  const headRow = head
    .map((h, i) =>
      cell(
        "th",
        i === 0 && options.cornerClass ? { html: escapeHtml(h), className: options.cornerClass } : h,
        numeric.has(i),
      ),
    )
    .join("");
  const body = rows
    .map(
      (r, k) =>
        `<tr${k === options.totalsFrom ? ' class="total"' : ""}>${r.map((c, i) => cell(i === 0 ? "th" : "td", c, numeric.has(i))).join("")}</tr>`,
    )
    .join("\n");
  return [
    `<table${options.className ? ` class="${escapeHtml(options.className)}"` : ""}>`,
    options.caption ? `<caption>${escapeHtml(options.caption)}</caption>` : "",
    `<thead><tr>${headRow}</tr></thead>`,
    `<tbody>${body}</tbody></table>`,
  ].join("");
}

/** A definition list of name → value pairs (values escaped). */
export function facts(pairs: readonly (readonly [string, unknown])[]): string {
  return `<dl class="facts">${pairs.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join("")}</dl>`;
}

/** A fraction as a percentage with `digits` decimals: 0.98123 → "98.12 %". */
export function percent(v: number, digits = 2): string {
  return Number.isFinite(v) ? `${(100 * v).toFixed(digits)} %` : "–";
}

/** Seconds as people read them: "0.42 s", "12.3 s", "4 min 05 s". */
export function seconds(s: number): string {
  if (!Number.isFinite(s)) return "–";
  if (s < 10) return `${s.toFixed(2)} s`;
  if (s < 60) return `${s.toFixed(1)} s`;
  const m = Math.floor(s / 60);
  return `${m} min ${String(Math.round(s - 60 * m)).padStart(2, "0")} s`;
}

const STYLE = `
:root { color-scheme: light; --ink: #1d2330; --muted: #5b6475; --rule: #d9dde5; --panel: #f6f7f9; --accent: #0072b2; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1000px; margin: 0 auto; padding: 28px 28px 64px; }
h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
h2 { font-size: 19px; margin: 40px 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--rule); }
h3 { font-size: 15px; margin: 20px 0 8px; }
p { margin: 8px 0; }
.sub { color: var(--muted); margin: 0 0 20px; }
.note { color: var(--muted); font-size: 13px; }
code, pre { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 13px; }
pre.command { background: var(--panel); border: 1px solid var(--rule); border-radius: 6px; padding: 10px 12px; white-space: pre-wrap; word-break: break-all; margin: 8px 0 0; }
.headline { display: flex; flex-wrap: wrap; gap: 12px; margin: 18px 0 4px; }
.stat { background: var(--panel); border: 1px solid var(--rule); border-radius: 8px; padding: 10px 16px; min-width: 150px; }
.stat .value { font-size: 28px; font-weight: 650; font-variant-numeric: tabular-nums; }
.stat .label { color: var(--muted); font-size: 13px; }
.stat.main { border-color: var(--accent); }
.stat.main .value { color: var(--accent); }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; color: var(--muted); font-size: 13px; padding-bottom: 4px; }
th, td { padding: 4px 10px; border-bottom: 1px solid var(--rule); text-align: left; vertical-align: top; }
thead th { font-weight: 600; border-bottom: 2px solid var(--ink); vertical-align: bottom; }
thead th, td.wrap { white-space: normal; }
tbody th { font-weight: 500; }
.num { text-align: right; }
tr.total th, tr.total td { font-weight: 600; border-top: 2px solid var(--ink); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 18px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; font-variant-numeric: tabular-nums; }
.columns { display: flex; flex-wrap: wrap; gap: 8px 40px; align-items: flex-start; }
.columns > * { flex: 0 1 auto; min-width: 0; }
.figures { display: flex; flex-wrap: wrap; gap: 0 32px; }
.figures figure { max-width: 100%; }
.figures figcaption { width: 0; min-width: 100%; }
.charts { display: flex; flex-wrap: wrap; gap: 8px 16px; }
svg.chart { max-width: 100%; height: auto; font: 12px system-ui, sans-serif; }
svg.chart .chart-title { font-weight: 600; font-size: 13px; fill: var(--ink); }
svg.chart .tick { fill: var(--muted); font-size: 11px; }
svg.chart .axis-label { fill: var(--ink); font-size: 12px; }
svg.chart .grid { stroke: #e8ebf0; }
svg.chart .frame { fill: none; stroke: #aab1bd; }
svg.chart .line { fill: none; stroke-width: 1.8; stroke-linejoin: round; }
svg.chart .err { fill: none; stroke-width: 1.4; }
svg.chart .legend text { font-size: 12px; fill: var(--ink); }
table.confusion td { text-align: right; min-width: 44px; padding: 4px 6px; border: 1px solid #fff; }
table.confusion th { padding: 4px 6px; }
table.confusion td.diag { outline: 2px solid var(--ink); outline-offset: -2px; }
table.confusion .corner { color: var(--muted); font-weight: 400; font-size: 12px; text-align: left; }
.bar, .bar-rest { display: inline-block; height: 9px; vertical-align: baseline; }
.bar { background: var(--accent); opacity: 0.8; }
.bar-rest { background: #e3e7ee; margin-right: 8px; }
td, th { white-space: nowrap; }
td.wrap { white-space: normal; }
table.wide { width: 100%; }
figure { margin: 12px 0 24px; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
svg.tiles { max-width: 100%; height: auto; font: 10px system-ui, sans-serif; }
svg.tiles image { image-rendering: pixelated; }
svg.tiles .unit { fill: #ffd54a; font-size: 9px; font-weight: 600; paint-order: stroke; stroke: #000; stroke-width: 2px; }
.scale { display: flex; align-items: center; gap: 8px; font-size: 13px; color: var(--muted); margin: 6px 0; }
.scale .ramp { width: 180px; height: 12px; background: linear-gradient(to right, #000, #808080, #fff); border: 1px solid #888; }
footer { margin-top: 48px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--rule); padding-top: 10px; }
`;

/**
 * A whole HTML document: `body` (HTML already made safe) in the page's style. Its
 * Content-Security-Policy allows inline style and data: images only, so that the page can
 * fetch nothing, whatever it holds.
 */
export function htmlPage(title: string, body: string): string {
  return [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body><main>",
    body,
    "</main></body>",
    "</html>",
    "",
  ].join("\n");
}
