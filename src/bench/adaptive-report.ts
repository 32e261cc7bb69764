/**
 * The adaptive scenario's report: a markdown table (p50 / p95 per phase and placement, switches)
 * and an SVG plot of latency over time per placement with the phase boundaries. Pure: result in,
 * text out; {@link writeAdaptiveReport} writes the files.
 */
import { join } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic-write.js';
import { ADAPTIVE_SYSTEMS, type AdaptiveResult, type AdaptiveSample } from './adaptive.js';
import { renderLineChart } from './svg-chart.js';

const ms = (v: number): string => (Number.isFinite(v) ? v.toFixed(0) : '-');

/** The table: one row per phase. */
export function renderAdaptiveTable(result: AdaptiveResult): string {
  const rows = result.phases.map((p, i) => {
    const cells = ADAPTIVE_SYSTEMS.map((s) => {
      const st = p.stats[s];
      return `${ms(st.p50)} / ${ms(st.p95)} (${st.n}${st.errors ? `, ${st.errors} errors` : ''})`;
    });
    const served = Object.entries(p.adaptiveServed)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    return `| ${i + 1}: WAN ${p.delayMs} ms one way, ${p.seconds} s | ${cells.join(' | ')} | ${p.switches} | ${served} |`;
  });
  return [
    '| phase | adaptive p50 / p95 ms (n) | always-edge p50 / p95 ms (n) | always-cloud p50 / p95 ms (n) | adaptive switches | adaptive answers served at |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** Per phase and percentile: adaptive minus the better fixed placement, ms (<= 0: the goal is met). */
export function adaptiveGaps(result: AdaptiveResult): { phase: number; p50: number; p95: number }[] {
  return result.phases.map((p, i) => ({
    phase: i + 1,
    p50: p.stats.adaptive.p50 - Math.min(p.stats['always-edge'].p50, p.stats['always-cloud'].p50),
    p95: p.stats.adaptive.p95 - Math.min(p.stats['always-edge'].p95, p.stats['always-cloud'].p95),
  }));
}

/** Mean latency per `binS`-second window, as chart points. */
function binned(samples: AdaptiveSample[], binS: number): { x: number; y: number }[] {
  const bins = new Map<number, { sum: number; n: number }>();
  for (const s of samples) {
    const b = Math.floor(s.t / binS);
    const cur = bins.get(b) ?? { sum: 0, n: 0 };
    cur.sum += s.ms;
    cur.n++;
    bins.set(b, cur);
  }
  return [...bins].sort(([a], [b]) => a - b).map(([b, v]) => ({ x: (b + 0.5) * binS, y: v.sum / v.n }));
}

/** Latency over time per placement (mean per 0.5 s), dashed lines at the phase boundaries. */
export function renderAdaptiveChart(result: AdaptiveResult): string {
  let t = 0;
  const markers = result.phases.map((p) => {
    const m = { x: t, label: `${p.delayMs} ms` };
    t += p.seconds;
    return m;
  });
  return renderLineChart({
    title: `${result.service}: latency over time, WAN delay per phase`,
    xLabel: 'time (s); dashed: phase start, one-way WAN delay',
    yLabel: 'mean latency per 0.5 s (ms)',
    series: ADAPTIVE_SYSTEMS.map((s) => ({ name: s, points: binned(result.samples[s], 0.5) })),
    markers,
    noDots: true,
  });
}

function slowEdge(result: AdaptiveResult): string {
  const parts: string[] = [];
  if (result.slowdownMs > 0) parts.push(`every edge's local runs are ${result.slowdownMs} ms slower (EDGSTR_TEST_LOCAL_DELAY_MS, a test knob standing for a slower device)`);
  if (result.cpuQuotaPercent !== null) parts.push(`every edge process is held to ${result.cpuQuotaPercent} % of one core (a cgroup CPU quota)`);
  return parts.length ? `Slow edge: ${parts.join('; ')}.` : 'The edges are not slowed.';
}

export function renderAdaptiveMarkdown(result: AdaptiveResult, chartFile: string): string {
  const gaps = adaptiveGaps(result);
  const missed = gaps.filter((g) => g.p50 > 0 || g.p95 > 0);
  const verdict =
    missed.length === 0
      ? 'Adaptive is at or below the better fixed placement in every phase, on p50 and p95.'
      : `Adaptive is above the better fixed placement in ${missed.map((g) => `phase ${g.phase} (p50 ${g.p50 > 0 ? `+${g.p50.toFixed(0)}` : 'ok'}, p95 ${g.p95 > 0 ? `+${g.p95.toFixed(0)}` : 'ok'} ms)`).join('; ')}.`;
  return [
    `# edgstr bench --scenario adaptive: ${result.service}`,
    '',
    `Request \`${result.request}\`, one sequential client per edge. ${slowEdge(result)}`,
    '',
    `Adaptive edge: minimum stay ${result.settings.minStayMs} ms, background probes every ${result.settings.probeMs} ms, sync pings every ${result.settings.pingMs} ms. always-edge / always-cloud: the service pinned with PUT /__edgstr/placement. The whole phase counts, including the adaptive edge's time to notice the change.`,
    '',
    renderAdaptiveTable(result),
    '',
    verdict,
    '',
    `![latency over time](${chartFile})`,
    '',
  ].join('\n');
}

/** Writes adaptive.json, adaptive.md and adaptive.svg into `dir`. */
export function writeAdaptiveReport(dir: string, result: AdaptiveResult): string[] {
  const files = [join(dir, 'adaptive.json'), join(dir, 'adaptive.md'), join(dir, 'adaptive.svg')];
  writeJsonAtomic(files[0]!, result);
  writeFileAtomic(files[1]!, renderAdaptiveMarkdown(result, 'adaptive.svg'));
  writeFileAtomic(files[2]!, renderAdaptiveChart(result));
  return files;
}
