/**
 * Hand-written SVG line charts for the bench report (the paper's Figure 7: throughput and latency
 * vs WAN bandwidth). No chart library: a chart is a few axes, polylines and labels, and writing
 * them directly keeps the output small, diffable and free of dependencies.
 */

/** One measured point. */
export interface ChartPoint {
  x: number;
  y: number;
}

/** One line of the chart (e.g. "edgstr"). */
export interface ChartSeries {
  name: string;
  points: ChartPoint[];
}

/** Where one series overtakes another, found by {@link findCrossover}. */
export interface Crossover {
  x: number;
  y: number;
  label: string;
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Log scale on x (bandwidths span 0.1-5 MB/s). */
  xLog?: boolean;
  series: ChartSeries[];
  crossover?: Crossover | null;
  /** Vertical dashed lines at these x values (e.g. phase boundaries), labelled at the top. */
  markers?: { x: number; label: string }[];
  /** Draw only the lines, no dot per point (dense time series). */
  noDots?: boolean;
}

const W = 640;
const H = 400;
const M = { left: 70, right: 150, top: 40, bottom: 55 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];

export function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c]!);
}

/**
 * The first x at which `challenger` becomes better than `baseline` (higher when `better` is
 * 'higher', lower when 'lower'), linearly interpolated between the two measured x values that
 * bracket the change. Null when the curves do not cross (one is better everywhere).
 */
export function findCrossover(baseline: ChartSeries, challenger: ChartSeries, better: 'higher' | 'lower', label: string): Crossover | null {
  const base = new Map(baseline.points.map((p) => [p.x, p.y]));
  const pts = challenger.points
    .filter((p) => base.has(p.x))
    .map((p) => ({ x: p.x, d: better === 'higher' ? p.y - base.get(p.x)! : base.get(p.x)! - p.y, y: p.y }))
    .sort((a, b) => a.x - b.x);
  for (let i = 1; i < pts.length; i++) {
    const a = pts[i - 1]!;
    const b = pts[i]!;
    if (a.d <= 0 && b.d > 0) {
      const t = a.d === b.d ? 0 : -a.d / (b.d - a.d);
      return { x: a.x + t * (b.x - a.x), y: a.y + t * (b.y - a.y), label };
    }
  }
  return null;
}

function niceTicks(min: number, max: number, count: number): number[] {
  if (!(max > min)) return [min];
  const raw = (max - min) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const ticks: number[] = [];
  for (let v = Math.ceil(min / step) * step; v <= max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}

function fmt(v: number): string {
  if (v === 0) return '0';
  if (Math.abs(v) >= 1000) return `${Number((v / 1000).toPrecision(3))}k`;
  return String(Number(v.toPrecision(3)));
}

/** Renders the chart as a standalone SVG document. */
export function renderLineChart(chart: LineChart): string {
  const all = chart.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const xs = all.map((p) => p.x);
  const ys = all.map((p) => p.y);
  const xLog = chart.xLog === true && xs.every((x) => x > 0);
  const tx = (x: number): number => (xLog ? Math.log10(x) : x);
  let x0 = xs.length ? Math.min(...xs.map(tx)) : 0;
  let x1 = xs.length ? Math.max(...xs.map(tx)) : 1;
  if (x0 === x1) [x0, x1] = [x0 - 1, x1 + 1];
  const y1 = (ys.length ? Math.max(...ys) : 1) * 1.1 || 1;
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const px = (x: number): number => M.left + ((tx(x) - x0) / (x1 - x0)) * pw;
  const py = (y: number): number => M.top + ph - (y / y1) * ph;
  const out: string[] = [];
  out.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<title>${escapeXml(chart.title)}</title>`);
  out.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`);
  // Axes and grid.
  out.push(`<line x1="${M.left}" y1="${M.top + ph}" x2="${M.left + pw}" y2="${M.top + ph}" stroke="black"/>`);
  out.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${M.top + ph}" stroke="black"/>`);
  const xTicks = xLog ? [...new Set(xs)].sort((a, b) => a - b) : niceTicks(Math.min(...xs, 0), Math.max(...xs, 1), 6);
  for (const t of xTicks) {
    const x = px(t).toFixed(1);
    out.push(`<line x1="${x}" y1="${M.top + ph}" x2="${x}" y2="${M.top + ph + 5}" stroke="black"/>`);
    out.push(`<text x="${x}" y="${M.top + ph + 18}" text-anchor="middle">${escapeXml(fmt(t))}</text>`);
  }
  for (const t of niceTicks(0, y1, 5)) {
    const y = py(t).toFixed(1);
    out.push(`<line x1="${M.left}" y1="${y}" x2="${M.left + pw}" y2="${y}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 8}" y="${y}" text-anchor="end" dominant-baseline="middle">${escapeXml(fmt(t))}</text>`);
  }
  out.push(`<text x="${M.left + pw / 2}" y="${H - 12}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(18 ${M.top + ph / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);
  // Series and legend.
  chart.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    const pts = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y)).sort((a, b) => a.x - b.x);
    const path = pts.map((p) => `${px(p.x).toFixed(1)},${py(p.y).toFixed(1)}`).join(' ');
    out.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (pts.length > 1) out.push(`<polyline points="${path}" fill="none" stroke="${color}" stroke-width="2"/>`);
    if (!chart.noDots) for (const p of pts) out.push(`<circle cx="${px(p.x).toFixed(1)}" cy="${py(p.y).toFixed(1)}" r="3" fill="${color}"/>`);
    out.push(`</g>`);
    const ly = M.top + 10 + i * 18;
    out.push(`<line x1="${W - M.right + 12}" y1="${ly}" x2="${W - M.right + 32}" y2="${ly}" stroke="${color}" stroke-width="2"/>`);
    out.push(`<text x="${W - M.right + 38}" y="${ly}" dominant-baseline="middle">${escapeXml(s.name)}</text>`);
  });
  for (const m of chart.markers ?? []) {
    const mx = px(m.x).toFixed(1);
    out.push(`<g class="marker">`);
    out.push(`<line x1="${mx}" y1="${M.top}" x2="${mx}" y2="${M.top + ph}" stroke="#666" stroke-dasharray="4 3"/>`);
    out.push(`<text x="${(Number(mx) + 4).toFixed(1)}" y="${M.top + 12}" font-size="11" fill="#444">${escapeXml(m.label)}</text>`);
    out.push(`</g>`);
  }
  if (chart.crossover) {
    const c = chart.crossover;
    const cx = px(c.x).toFixed(1);
    const cy = py(c.y).toFixed(1);
    out.push(`<g class="crossover">`);
    out.push(`<line x1="${cx}" y1="${M.top}" x2="${cx}" y2="${M.top + ph}" stroke="black" stroke-dasharray="4 3"/>`);
    out.push(`<circle cx="${cx}" cy="${cy}" r="6" fill="none" stroke="black" stroke-width="2"/>`);
    out.push(`<text x="${cx}" y="${M.top - 4}" text-anchor="middle" font-weight="bold">${escapeXml(c.label)}</text>`);
    out.push(`</g>`);
  }
  out.push(`</svg>`);
  return `${out.join('\n')}\n`;
}
