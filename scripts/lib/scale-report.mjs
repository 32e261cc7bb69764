// The markdown tables bench-scale.mjs prints (docs/sync.md "At real sizes" shows them as printed).
const fmt = (v, unit = '') => (v === undefined || v === null || Number.isNaN(v) ? '—' : `${typeof v === 'number' ? v.toLocaleString('en-US') : v}${unit}`);
const status = (r) => (r.status === 'ok' ? 'ok' : `**${r.status}**: ${r.reason.split('\n')[0]}${r.peakRssMiB ? `; peak RSS until then ${Object.entries(r.peakRssMiB).map(([k, v]) => `${k} ${v} MiB`).join(', ')}` : ''}`);

/** Prints the report of bench-scale.mjs as markdown tables on stdout. */
export function printReport(report) {
  const out = [];
  out.push(`\`${report.command}\` — ${report.when}, Node ${report.node}, load average ${report.loadAverageStart.join(' ')} at start, ${(report.loadAverageEnd ?? []).join(' ')} at end; budget per case ${report.budget.maxRssMiB} MiB RSS, ${report.budget.maxMinutes} min`);
  const rows = report.cases.filter((r) => r.kind === 'rows');
  if (rows.length) {
    out.push('', `Rows (${report.subject} \`${report.table}\`; RSS in MiB from /proc, VmRSS):`, '');
    out.push('| rows | B/row (JSON) | bulk insert / cloud capture | cloud RSS after load | fresh edge catch-up | edge RSS idle | edge RSS peak under writes | cloud RSS peak under writes | sync B per row write (edge→cloud / cloud→edge) | at the cloud after the last of N writes | interrupted catch-up: after restart | status |');
    out.push('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |');
    for (const r of rows) {
      const w = r.writes;
      const res = r.resume;
      out.push(`| ${fmt(r.rowsTotal ?? r.rows)} | ${fmt(r.rowBytes)} | ${r.load?.insertSeconds !== undefined ? `${r.load.insertSeconds} s / ${fmt(r.load.cloudCaptureSeconds, ' s')}` : '—'} | ${fmt(r.cloud?.afterLoad?.rssMiB)} | ${r.catchUp ? `${r.catchUp.seconds} s (${fmt(r.catchUp.rowsPerSecond)} rows/s, ${fmt(Math.round(r.catchUp.bytesDown / 2 ** 20 * 10) / 10)} MiB)` : '—'} | ${fmt(r.edge?.idle?.rssMiB)} | ${fmt(r.edge?.underWritesPeakMiB)} | ${fmt(r.cloud?.underWritesPeakMiB)} | ${w?.upBytesPerWrite !== undefined ? `${w.upBytesPerWrite} / ${w.downBytesPerWrite}` : '—'} | ${w?.convergeMs !== undefined ? `${w.convergeMs} ms (N = ${fmt(w.burst)})` : '—'} | ${res ? `${res.restartSeconds} s, ${Math.round(res.resentFraction * 100)} % of the bytes again: ${res.verdict}${res.rowsAddedByRestart ? `; **${res.rowsAddedByRestart} rows nobody wrote** appeared everywhere` : ''}` : '—'} | ${status(r)} |`);
    }
  }
  const files = report.cases.filter((r) => r.kind === 'files');
  if (files.length) {
    out.push('', 'Files written at the cloud, replicated to one edge (RSS growth = peak during - before, MiB):', '');
    out.push('| case | written in | at the edge after | cloud RSS before → peak (growth) | edge RSS before → peak (growth) | bytes to the edge | status |');
    out.push('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const r of files) {
      const side = (s) => (s ? `${s.rssBeforeMiB} → ${s.peakMiB} (**${s.growthMiB}**)` : '—');
      out.push(`| ${r.case} | ${fmt(r.writeSeconds, ' s')} | ${fmt(r.seconds, ' s')} | ${side(r.cloud)} | ${side(r.edge)} | ${r.bytesDown !== undefined ? `${fmt(Math.round(r.bytesDown / 2 ** 20 * 10) / 10)} MiB` : '—'} | ${status(r)} |`);
    }
  }
  const problems = report.cases.flatMap((r) => (r.problems ?? []).map((p) => `- ${r.case}: ${p}`));
  if (problems.length) out.push('', 'Problems seen:', ...problems);
  process.stdout.write(`${out.join('\n')}\n`);
}
