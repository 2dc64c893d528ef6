// Cost curves as SVG: one panel per stage, cost on a log scale against the iteration.

export interface Curve {
  name: string;
  values: readonly number[];
}

const W = 420;
const H = 260;
const M = { left: 64, right: 16, top: 28, bottom: 40 };

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(v: number): string {
  if (v === 0) return "0";
  return Math.abs(v) >= 1000 || Math.abs(v) < 0.01 ? v.toExponential(1) : v.toPrecision(3);
}

/** Panels per row: the four stages of the reference experiment make a 2 × 2 grid, 840 px wide. */
const COLUMNS = 2;

/** An SVG document with one panel per curve, in rows of two. */
export function costCurvesSvg(curves: readonly Curve[], title = "cost per iteration"): string {
  const panels = curves.map((curve, i) => panel(curve, (i % COLUMNS) * W, Math.floor(i / COLUMNS) * H));
  const width = Math.min(COLUMNS, Math.max(1, curves.length)) * W;
  const height = Math.max(1, Math.ceil(curves.length / COLUMNS)) * H + 24;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="16" font-size="14">${esc(title)}</text>`,
    `<g transform="translate(0,24)">${panels.join("")}</g>`,
    "</svg>",
  ].join("\n");
}

function panel(curve: Curve, x0: number, y0: number): string {
  const values = curve.values.filter((v) => Number.isFinite(v));
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const out = [
    `<g transform="translate(${x0},${y0})">`,
    `<text x="${M.left}" y="18" font-weight="bold">${esc(curve.name)}</text>`,
  ];
  out.push(`<rect x="${M.left}" y="${M.top}" width="${pw}" height="${ph}" fill="none" stroke="#888"/>`);
  if (values.length > 0) {
    const positive = values.every((v) => v > 0);
    const f = positive ? Math.log10 : (v: number) => v;
    const lo = Math.min(...values.map(f));
    const hi = Math.max(...values.map(f));
    const span = hi - lo || 1;
    const n = values.length;
    const px = (i: number) => M.left + (n === 1 ? pw / 2 : (i / (n - 1)) * pw);
    const py = (v: number) => M.top + ph - ((f(v) - lo) / span) * ph;
    const points = values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(" ");
    out.push(`<polyline points="${points}" fill="none" stroke="#1f5fbf" stroke-width="1.5"/>`);
    const inv = (t: number) => (positive ? 10 ** t : t);
    for (const t of [lo, (lo + hi) / 2, hi]) {
      const y = M.top + ph - ((t - lo) / span) * ph;
      out.push(`<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" text-anchor="end">${fmt(inv(t))}</text>`);
    }
    out.push(`<text x="${M.left}" y="${H - M.bottom + 16}">1</text>`);
    out.push(`<text x="${M.left + pw}" y="${H - M.bottom + 16}" text-anchor="end">${n}</text>`);
    out.push(
      `<text x="${M.left + pw / 2}" y="${H - 8}" text-anchor="middle">iteration${positive ? " (cost on a log scale)" : ""}</text>`,
    );
  }
  out.push("</g>");
  return out.join("");
}
