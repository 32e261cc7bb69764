// The energy proxy and the Markdown tables of scripts/bench-site.mjs.

/**
 * Approximate power of a Raspberry Pi 4 Model B (no USB devices, Ethernet up), from published
 * measurements (Tom's Hardware's Pi 4 review, Jeff Geerling's power measurements): idle about
 * 2.7-3.4 W, all four cores busy about 6-7 W. We take 3.0 W idle and 6.4 W at full load, and
 * let power grow linearly with busy cores: approximate figures, for a proxy, not a measurement.
 */
export const PI4 = { idleW: 3.0, fullW: 6.4, cores: 4 };

/**
 * Watts and joules for the edges of one run, from the per-second samples. The CPU seconds are
 * this machine's, not a Pi's (a Pi 4 core is slower, so it would spend more): the busy part is
 * a lower bound. Two ways to count an edge the scaler stopped:
 *   idle-on:     the service is stopped but the Pi stays on, idling (systemctl stop);
 *   powered-off: the Pi is switched off (e.g. its PoE port) and draws ~0 W.
 */
export function energy(run, edges) {
  const duration = run.seconds.length;
  const edgeSeconds = run.seconds.reduce((n, s) => n + s.edgesRunning, 0);
  const cpu = run.seconds.reduce((n, s) => n + s.edgeCpuSeconds, 0);
  const perCoreSecond = (PI4.fullW - PI4.idleW) / PI4.cores;
  const busyJ = cpu * perCoreSecond;
  const idleOnJ = edges * duration * PI4.idleW + busyJ;
  const offJ = edgeSeconds * PI4.idleW + busyJ;
  const r = (x) => Math.round(x * 10) / 10;
  return {
    seconds: duration,
    edgeCpuSeconds: r(cpu),
    edgeSecondsRunning: edgeSeconds,
    meanEdgesRunning: duration === 0 ? 0 : Math.round((edgeSeconds / duration) * 100) / 100,
    cloudCpuSeconds: r(run.seconds.reduce((n, s) => n + s.cloudCpuSeconds, 0)),
    haproxyCpuSeconds: r(run.seconds.reduce((n, s) => n + s.haproxyCpuSeconds, 0)),
    idleOn: { joules: r(idleOnJ), meanW: duration === 0 ? 0 : r(idleOnJ / duration) },
    poweredOff: { joules: r(offJ), meanW: duration === 0 ? 0 : r(offJ / duration) },
  };
}

const row = (cells) => `| ${cells.join(' | ')} |`;

/** The summary, the per-step tables and the scaler's actions, as Markdown. */
export function markdownReport(report) {
  const out = [];
  out.push(`Command: \`${report.command}\` (${report.at}); ${report.edges} edges, steps of ${report.stepSeconds} s: ${report.steps.join(' → ')} clients; scaler idleSeconds ${report.idleSeconds}; ${report.wan ? `edges to cloud over an emulated WAN: ${report.wan.delayMs} ms one way, ${report.wan.bytesPerSecond > 0 ? `${Math.round((report.wan.bytesPerSecond * 8) / 1e5) / 10} Mbit/s` : 'unlimited'}` : 'edges to cloud on loopback'}.`, '');
  out.push(row(['run', 'requests', 'failed', 'read-your-writes violations', 'edge CPU-s', 'edge-seconds running', 'mean edges running', 'Pi 4 W, stopped = idle-on', 'Pi 4 W, stopped = off', 'cloud CPU-s', 'converged', 'load avg before/after']));
  out.push(row(Array(12).fill('---')));
  for (const run of report.runs) {
    const t = run.steps.reduce((a, s) => ({ requests: a.requests + s.requests, failed: a.failed + s.failed, violations: a.violations + s.violations }), { requests: 0, failed: 0, violations: 0 });
    const e = run.energy;
    out.push(row([run.mode, t.requests, t.failed, t.violations, e.edgeCpuSeconds, e.edgeSecondsRunning, e.meanEdgesRunning, e.idleOn.meanW, e.poweredOff.meanW, e.cloudCpuSeconds,
      run.converged.seconds === null ? 'no (60 s)' : `${run.converged.seconds} s, ${run.converged.notes} notes on ${run.converged.replicas} replicas`, `${run.load.before} / ${run.load.after}`]));
  }
  for (const run of report.runs) {
    out.push('', `**${run.mode}**, per step:`, '');
    out.push(row(['clients', 'requests', 'req/s', 'failed', 'violations', 'p50 ms', 'p99 ms', 'mean edges running', 'edge CPU-s']));
    out.push(row(Array(9).fill('---')));
    run.steps.forEach((s, i) => {
      const secs = run.seconds.slice(i * report.stepSeconds, (i + 1) * report.stepSeconds);
      const edges = secs.length === 0 ? 0 : secs.reduce((n, x) => n + x.edgesRunning, 0) / secs.length;
      const cpu = secs.reduce((n, x) => n + x.edgeCpuSeconds, 0);
      out.push(row([s.clients, s.requests, s.perSecond, s.failed, s.violations, s.p50Ms ?? '–', s.p99Ms ?? '–', Math.round(edges * 100) / 100, Math.round(cpu * 10) / 10]));
    });
    if (run.scalerEvents.length > 0) {
      const t0 = Date.parse(run.startedAt);
      out.push('', `Scaler (seconds into the ramp): ${run.scalerEvents.filter((e) => e.event !== 'watching').map((e) => `${Math.round((Date.parse(e.at) - t0) / 1000)} s ${e.event} ${e.edge ?? ''}`.trim()).join('; ') || 'no action'}.`);
    }
    if (run.failedByStatus && Object.keys(run.failedByStatus).length > 0) out.push('', `Failed by status (0: no answer): ${Object.entries(run.failedByStatus).map(([k, v]) => `${k}: ${v}`).join(', ')}.`);
    if (run.failures.length > 0) out.push('', `First failures: ${run.failures.slice(0, 5).map((f) => `\`${f}\``).join(', ')}.`);
    if (run.violations.length > 0) out.push('', `First violations: ${run.violations.slice(0, 5).map((f) => `\`${f}\``).join(', ')}.`);
  }
  return `${out.join('\n')}\n`;
}
