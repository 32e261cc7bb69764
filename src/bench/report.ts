/**
 * Renders bench.json into the report: a Markdown analogue of the paper's Table II, a table for the
 * baselines and the throughput grid, and SVG charts of throughput and latency vs WAN bandwidth
 * (the paper's Figure 7) with the crossover where edgstr overtakes the original marked. Pure
 * functions; {@link writeReport} is the only one that touches the disk.
 */
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { findCrossover, renderLineChart, type ChartSeries, type Crossover } from './svg-chart.js';
import type { BenchResult, GridPoint, ServiceMeasure, SystemName } from './result.js';

const ms = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(1));
const bytes = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(0));

/** "10/10" = answers below 400 out of requests sent. */
function ok(m: ServiceMeasure | undefined): string {
  if (!m) return '–';
  const good = Object.entries(m.latency.statuses)
    .filter(([s]) => Number(s) > 0 && Number(s) < 400)
    .reduce((a, [, n]) => a + n, 0);
  return `${good}/${m.latency.count}`;
}

/** "3/3" = edgstr answers the edge served itself out of those that said (x-edgstr-served); "+1 fallback" when local runs failed. */
function servedAtEdge(m: ServiceMeasure | undefined): string {
  if (!m?.served) return '–';
  const { edge, cloud, fallback } = m.served;
  return `${edge}/${edge + cloud + fallback}${fallback > 0 ? ` (${fallback} fallback)` : ''}`;
}

/** The paper's Table II: per service, L_o, L_e, speedup, WAN_o, WAN_e. */
export function renderTableII(result: BenchResult): string {
  const lines = [
    '| service | L_o (ms) | L_e (ms) | speedup | WAN_o (B/req) | WAN_e (B/req) | ok o / e | served at edge |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const row of result.services) {
    const o = row.systems.original;
    const e = row.systems.edgstr;
    const speedup = o && e && e.latency.meanMs > 0 ? `${(o.latency.meanMs / e.latency.meanMs).toFixed(1)}×` : '–';
    lines.push(`| \`${row.service}\` | ${ms(o?.latency.meanMs)} | ${ms(e?.latency.meanMs)} | ${speedup} | ${bytes(o?.wanBytesPerRequest)} | ${bytes(e?.wanBytesPerRequest)} | ${ok(o)} / ${ok(e)} | ${servedAtEdge(e)} |`);
  }
  return `${lines.join('\n')}\n`;
}

/** The baselines at the same condition: latency and WAN bytes per request. */
export function renderBaselineTable(result: BenchResult): string {
  const lines = [
    '| service | L_caching (ms) | L_batching (ms) | WAN_caching (B/req) | WAN_batching (B/req) |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const row of result.services) {
    const c = row.systems.caching;
    const b = row.systems.batching;
    lines.push(`| \`${row.service}\` | ${ms(c?.latency.meanMs)} | ${ms(b?.latency.meanMs)} | ${bytes(c?.wanBytesPerRequest)} | ${bytes(b?.wanBytesPerRequest)} |`);
  }
  return `${lines.join('\n')}\n`;
}

export function renderGridTable(result: BenchResult): string {
  const lines = [
    '| delay (ms) | bandwidth (MB/s) | system | throughput (req/s) | mean latency (ms) | p95 (ms) | WAN (B/req) | answered | errors |',
    '| ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const g of result.grid) {
    lines.push(`| ${g.delayMs} | ${g.bandwidthMBps} | ${g.system} | ${g.throughputRps.toFixed(2)} | ${ms(g.meanLatencyMs)} | ${ms(g.p95LatencyMs)} | ${bytes(g.wanBytesPerRequest)} | ${g.completed} | ${g.errors} |`);
  }
  return `${lines.join('\n')}\n`;
}

function series(points: GridPoint[], delay: number, pick: (g: GridPoint) => number): ChartSeries[] {
  const systems = [...new Set(points.map((g) => g.system))] as SystemName[];
  return systems.map((name) => ({
    name,
    points: points.filter((g) => g.system === name && g.delayMs === delay).map((g) => ({ x: g.bandwidthMBps, y: pick(g) })),
  }));
}

/** A chart file and where edgstr overtakes the original on it (null: no crossing measured). */
export interface RenderedChart {
  file: string;
  svg: string;
  crossover: Crossover | null;
}

/** Two charts per delay: throughput and latency vs WAN bandwidth. */
export function renderCharts(result: BenchResult): RenderedChart[] {
  const out: RenderedChart[] = [];
  const delays = [...new Set(result.grid.map((g) => g.delayMs))].sort((a, b) => a - b);
  for (const delay of delays) {
    for (const kind of ['throughput', 'latency'] as const) {
      const s = series(result.grid, delay, kind === 'throughput' ? (g) => g.throughputRps : (g) => g.meanLatencyMs);
      const original = s.find((x) => x.name === 'original');
      const edgstr = s.find((x) => x.name === 'edgstr');
      let crossover: Crossover | null = null;
      if (original && edgstr) {
        crossover = findCrossover(original, edgstr, kind === 'throughput' ? 'higher' : 'lower', '');
        if (crossover) crossover.label = `edgstr overtakes original ≈ ${crossover.x.toPrecision(2)} MB/s`;
      }
      const svg = renderLineChart({
        title: `${kind === 'throughput' ? 'Throughput' : 'Latency'} vs WAN bandwidth (delay ${delay} ms)`,
        xLabel: 'WAN bandwidth (MB/s, log scale)',
        yLabel: kind === 'throughput' ? 'requests/s' : 'mean latency (ms)',
        xLog: true,
        series: s,
        crossover,
      });
      out.push({ file: `${kind}-vs-bandwidth-${delay}ms.svg`, svg, crossover });
    }
  }
  return out;
}

export function renderMarkdown(result: BenchResult, charts: RenderedChart[]): string {
  const r = result.reference;
  const parts = [
    `# edgstr bench: ${result.subject}`,
    '',
    `Measured ${result.createdAt}. WAN shaping: ${result.shaping === 'kernel' ? 'tc htb in network namespaces (bandwidth) + user-space proxy (delay)' : 'user-space proxy (bandwidth and delay)'}.`,
    `Client on the LAN side (loopback). Per-service numbers at ${r.bandwidthMBps} MB/s and ${r.delayMs} ms one-way delay (RTT ${2 * r.delayMs} ms), the recording replayed in order ${result.requestsPerService}× from the init state, one request at a time (ids the system generates are renamed as verify does); L = mean latency, WAN = bytes over the WAN link (both directions) per request, including sync traffic.`,
    '',
    '## Table II analogue',
    '',
    renderTableII(result),
    '## Baselines (same condition)',
    '',
    `Caching proxy: GET 200 answers cached ${result.settings.cacheTtlMs} ms, invalidated by writes under the same first path segment. Batching proxy: writes answered 202 at once and sent in batches every ${result.settings.batchIntervalMs} ms or ${result.settings.batchMax} writes.`,
    '',
    renderBaselineTable(result),
    '## Throughput grid',
    '',
    `${result.settings.concurrency} concurrent clients replaying the recorded workload in order, each run bounded to ${result.settings.throughputRequests} requests or ${result.settings.throughputSeconds} s.`,
    '',
    renderGridTable(result),
    '## Charts',
    '',
    ...charts.map((c) => `![${c.file}](${c.file})${c.crossover ? ` — crossover: ${c.crossover.label}` : ' — no crossover in the measured range'}\n`),
  ];
  if (result.notes.length) parts.push('## Notes', '', ...result.notes.map((n) => `- ${n}`), '');
  return `${parts.join('\n')}\n`;
}

/** Writes bench.json, table-ii.md (the whole report) and the charts into `dir`. */
export function writeReport(dir: string, result: BenchResult): { files: string[]; charts: RenderedChart[] } {
  const charts = renderCharts(result);
  const files = [join(dir, 'bench.json'), join(dir, 'report.md')];
  writeJsonAtomic(files[0]!, result);
  writeFileAtomic(files[1]!, renderMarkdown(result, charts));
  for (const c of charts) {
    writeFileAtomic(join(dir, c.file), c.svg);
    files.push(join(dir, c.file));
  }
  return { files, charts };
}
