// The markdown bench-hub.mjs prints (docs/hub.md shows it as printed).
const fmt = (v, unit = '') => (v === undefined || v === null || Number.isNaN(v) ? '—' : `${typeof v === 'number' ? v.toLocaleString('en-US') : v}${unit}`);

export function printHubReport(report) {
  const o = report.options;
  const out = [];
  out.push(`\`${report.command}\` — ${report.when}, Node ${report.node}, load average ${report.loadAverageStart.join(' ')} at start, ${(report.loadAverageEnd ?? []).join(' ')} at end; ${o.rate} writes/s per edge for ${o.seconds} s, edges look for new orders every ${o.pollMs} ms; budget per case ${o.maxRssMiB} MiB RSS, ${o.maxMinutes} min`);
  out.push('');
  out.push('| edges (workers) | writes/s | lag to all other edges p50 / p95 | converged after the last write | hub CPU s/s during writes (per edge) · per write until converged | hub event-loop delay p99 | hub RSS before edges → idle with them (per edge) → peak | sync B per write at the hub in / out (out per other edge) | reconnects, write errors | status |');
  out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  for (const r of report.cases) {
    const h = r.hub ?? {};
    const b = r.bytes;
    const status = r.status === 'ok' ? 'ok' : `**${r.status}**: ${String(r.reason).split('\n')[0]}`;
    out.push(`| ${r.edges} (${Math.ceil(r.edges / o.edgesPerWorker)}) | ${fmt(r.writes?.perSecond)} | ${r.lagToAllMs ? `${fmt(r.lagToAllMs.p50, ' ms')} / ${fmt(r.lagToAllMs.p95, ' ms')}` : '—'} | ${fmt(r.convergence?.afterLastWriteMs, ' ms')} | ${h.cpuSecondsPerSecond !== undefined ? `${h.cpuSecondsPerSecond} (${h.cpuMsPerSecondPerEdge} ms/s) · ${h.cpuMsPerWriteToConvergence} ms` : '—'} | ${fmt(h.loopDelayMs?.p99, ' ms')} | ${fmt(h.rssBeforeEdgesMiB)} → ${fmt(h.rssIdleMiB)} (${fmt(h.rssPerEdgeMiB)}) → ${fmt(h.rssPeakMiB)} MiB | ${b ? `${fmt(b.inPerWrite)} / ${fmt(b.outPerWrite)} (${fmt(b.outPerWritePerOtherEdge)})` : '—'} | ${fmt(r.reconnects)}, ${fmt(r.writes?.errors)} | ${status} |`);
  }
  for (const r of report.cases.filter((c) => c.profile?.frames)) {
    out.push('', `Hub CPU profile, ${r.case} (self time, % of the ${r.profile.busyMs} ms the hub was busy; ${r.profile.idleMs} ms idle):`, '');
    out.push('| frame | self % |', '| --- | ---: |');
    for (const f of r.profile.frames.slice(0, 12)) out.push(`| \`${f.name}\` | ${f.pct} |`);
    out.push('', 'By file:', '', '| file | self % |', '| --- | ---: |');
    for (const f of r.profile.files.slice(0, 8)) out.push(`| \`${f.name}\` | ${f.pct} |`);
  }
  const errors = report.cases.flatMap((r) => (r.writes?.errorSamples ?? []).map((e) => `- ${r.case}: ${e}`));
  if (errors.length) out.push('', 'Write errors (first ones):', ...errors);
  process.stdout.write(`${out.join('\n')}\n`);
}
