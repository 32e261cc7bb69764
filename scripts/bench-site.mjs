#!/usr/bin/env node
// A site of 3 edges measured like the EdgStr paper (issue 16): the generated cloud and a site of
// generated tally edges (`--target rpi --edges 3`) behind Debian's HAProxy with the generated
// site/haproxy.cfg, on loopback, driven by a load ramp up and down (by default 1 -> 4 -> 16 ->
// 32 -> 16 -> 4 -> 1 concurrent clients, 30 s a step). Run twice on fresh replicas:
//   scale-down  the generated site/scaler.mjs with the generated site/scaler.json settings
//               (--idle-seconds shortens its idle wait to fit the compressed ramp);
//   always-on   no scaler: all edges run all the time.
// Each client has its own loopback address (127.0.0.x, as distinct clients on a LAN: HAProxy
// pins a client that wrote by its source address) and loops over: POST /notes (a write), GET
// /notes/:id of that note (read-your-writes: a miss is a violation), GET /visits, GET /notes/:id
// of one of its earlier notes; a new connection per request, as the site test does.
// Recorded per second: requests answered, failed (any non-2xx or connection error), edges
// running (edge process alive, as systemd would say), edges UP in HAProxy (`show stat`), and
// the CPU seconds of the edges (utime + stime of each edge's session from /proc; a stopped
// edge uses 0), the cloud and HAProxy. Per step: requests, req/s, failed, p50/p99.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { renderLineChart } from '../dist/bench/svg-chart.js';
import { alive, generateSite, haveHaproxy, processCpuSeconds, serverStatus, sessionCpuSeconds, sleep, startSite } from './lib/site-cluster.mjs';
import { energy, markdownReport, PI4 } from './lib/site-report.mjs';

const HELP = `usage: node scripts/bench-site.mjs [options]   (run \`npm run build\` first; needs haproxy)

A load ramp over a site of generated edges behind HAProxy, with and without scale-down.

  --steps LIST         concurrent clients per step (default 1,4,16,32,16,4,1)
  --step-seconds S     length of each step (default 30)
  --edges N            edges in the site (default 3)
  --modes LIST         which runs, in order: scale-down,always-on (default both)
  --idle-seconds S     the scaler's idleSeconds (default 10; generated: 30, for a real day)
  --wan-ms D           edges reach the cloud over an emulated WAN: D ms one way (default 0: direct)
  --wan-mbps R         ... shaped to R Mbit/s each way (default 0: unlimited)
  --json FILE          write every number (per second, per step, scaler events) as JSON
  --svg FILE           write the plot (edges running and throughput over time, both runs)
  --markdown FILE      write the tables as Markdown
  --keep               keep the temporary folder
  --from FILE          measure nothing: write --svg/--markdown from a --json written earlier
  --help               this text`;

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  console.log(HELP);
  process.exit(0);
}
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const numbers = (flag, text) => text.split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0 || n > 200) usage(`--${flag} takes whole numbers 0..200 separated by commas, got "${text}"`);
  return n;
});
function usage(message) {
  console.error(`bench-site: ${message} (see --help)`);
  process.exit(1);
}
const steps = numbers('steps', opt('steps', '1,4,16,32,16,4,1'));
const stepSeconds = Number(opt('step-seconds', 30));
const edgeCount = Number(opt('edges', 3));
const idleSeconds = Number(opt('idle-seconds', 10));
const modes = opt('modes', 'scale-down,always-on').split(',');
const wanMs = Number(opt('wan-ms', 0));
const wanMbps = Number(opt('wan-mbps', 0));
if (!(wanMs >= 0) || !(wanMbps >= 0)) usage('--wan-ms and --wan-mbps take numbers >= 0');
const wan = wanMs > 0 || wanMbps > 0 ? { delayMs: wanMs, bytesPerSecond: Math.round((wanMbps * 1e6) / 8) } : null;
if (!(stepSeconds > 0)) usage(`--step-seconds must be a positive number of seconds`);
if (!Number.isInteger(edgeCount) || edgeCount < 2 || edgeCount > 8) usage('--edges must be 2..8');
if (!(idleSeconds > 0)) usage('--idle-seconds must be a positive number of seconds');
for (const m of modes) if (!['scale-down', 'always-on'].includes(m)) usage(`--modes: unknown mode "${m}" (scale-down, always-on)`);
if (opt('from', null)) {
  let earlier;
  try {
    earlier = JSON.parse(readFileSync(opt('from', null), 'utf8'));
  } catch (err) {
    usage(`--from ${opt('from', null)}: ${err instanceof Error ? err.message : err}; give a file written by --json`);
  }
  if (!Array.isArray(earlier?.runs)) usage(`--from ${opt('from', null)}: no "runs"; give a file written by --json`);
  writeOutputs(earlier);
  process.exit(0);
}
if (!haveHaproxy()) usage('haproxy is not installed (Debian: apt-get install haproxy)');
const say = (msg) => process.stderr.write(`[bench-site] ${msg}\n`);

/** One request from a client's own address, on a new connection; resolves, never rejects. */
function send(siteUrl, localAddress, method, pathname, body) {
  return new Promise((resolve) => {
    const started = performance.now();
    const data = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(pathname, siteUrl);
    const done = (status, text) => resolve({ status, text, ms: performance.now() - started });
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, localAddress, agent: false, timeout: 30_000,
      headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => done(res.statusCode ?? 0, text));
      res.on('error', (err) => done(0, err.message));
    });
    req.on('error', (err) => done(0, err.message));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}

const pct = (xs, p) => (xs.length === 0 ? null : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]);
const round = (x, d = 1) => (x === null ? null : Math.round(x * 10 ** d) / 10 ** d);

/** One ramp over a started site: per-second samples, per-step numbers, failures, violations. */
async function ramp(site, mode) {
  const t0 = Date.now();
  const total = steps.length * stepSeconds * 1000;
  const stepAt = (ms) => Math.min(steps.length - 1, Math.floor((ms - t0) / (stepSeconds * 1000)));
  const perStep = steps.map((clients) => ({ clients, requests: 0, failed: 0, violations: 0, latencies: [] }));
  const seconds = [];
  let current = { ok: 0, failed: 0 };
  const failures = [];
  /** Failed requests by HTTP status (0: no answer: refused, reset, timed out). */
  const byStatus = {};
  const violations = [];
  let stop = false;

  const count = (answer, ok, what) => {
    const s = perStep[stepAt(Date.now())];
    s.requests++;
    s.latencies.push(answer.ms);
    if (ok) current.ok++;
    else {
      current.failed++;
      s.failed++;
      byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
      if (failures.length < 50) failures.push(`${what}: ${answer.status} ${answer.text.slice(0, 100)}`);
    }
  };
  async function client(c) {
    const address = `127.0.0.${10 + c}`;
    const mine = [];
    for (let i = 0; !stop; i++) {
      // Active while the current step has more than c clients.
      if (steps[stepAt(Date.now())] <= c) {
        await sleep(100);
        continue;
      }
      const text = `${mode}-${c}-${i}`;
      const created = await send(site.url, address, 'POST', '/notes', { text });
      count(created, created.status === 201, `POST /notes ${text}`);
      if (created.status === 201) {
        const { id } = JSON.parse(created.text);
        mine.push(id);
        const own = await send(site.url, address, 'GET', `/notes/${id}`);
        count(own, own.status === 200, `GET /notes/${id} (own write ${text})`);
        if (own.status === 404 || (own.status === 200 && JSON.parse(own.text).text !== text)) {
          perStep[stepAt(Date.now())].violations++;
          if (violations.length < 50) violations.push(`${text} (id ${id}): ${own.status} ${own.text.slice(0, 80)}`);
        }
      }
      const visits = await send(site.url, address, 'GET', '/visits');
      count(visits, visits.status === 200, 'GET /visits');
      if (mine.length > 0) {
        const id = mine[Math.floor(Math.random() * mine.length)];
        const old = await send(site.url, address, 'GET', `/notes/${id}`);
        count(old, old.status === 200, `GET /notes/${id}`);
      }
    }
  }

  // The sampler: every second, what happened in it.
  const cpu = new Map(); // pid -> last CPU seconds seen
  const delta = (pid, read) => {
    const now = pid === null ? null : read(pid);
    if (now === null) return 0;
    const before = cpu.get(pid) ?? 0;
    cpu.set(pid, now);
    return Math.max(0, now - before);
  };
  // Baselines: CPU spent before the ramp (start-up, catch-up) is not counted.
  for (const name of site.names) delta(site.pidOf(name), sessionCpuSeconds);
  delta(site.cloudPid, processCpuSeconds);
  delta(site.haproxyPid, processCpuSeconds);
  const sampler = (async () => {
    for (let s = 1; Date.now() - t0 < total + 500; s++) {
      await sleep(t0 + s * 1000 - Date.now());
      const done = current;
      current = { ok: 0, failed: 0 };
      let running = 0;
      let edgeCpu = 0;
      for (const name of site.names) {
        const pid = site.pidOf(name);
        if (pid !== null && alive(pid)) running++;
        edgeCpu += delta(pid, sessionCpuSeconds);
      }
      const status = await serverStatus(site.socket).catch(() => new Map());
      seconds.push({
        t: s,
        clients: steps[Math.min(steps.length - 1, Math.floor((s - 1) / stepSeconds))],
        ok: done.ok,
        failed: done.failed,
        edgesRunning: running,
        edgesUp: [...status.values()].filter((v) => v.startsWith('UP')).length,
        edgeCpuSeconds: round(edgeCpu, 2),
        cloudCpuSeconds: round(delta(site.cloudPid, processCpuSeconds), 2),
        haproxyCpuSeconds: round(delta(site.haproxyPid, processCpuSeconds), 2),
      });
      if (s % 10 === 0) say(`${mode} t=${s}s clients=${seconds.at(-1).clients} ok=${done.ok}/s failed=${done.failed} edges running=${running}`);
      if (s * 1000 >= total) break;
    }
  })();
  const clients = Array.from({ length: Math.max(...steps) }, (_, c) => client(c));
  await sleep(total - (Date.now() - t0));
  stop = true;
  await Promise.all(clients);
  await sampler;
  return {
    mode,
    startedAt: new Date(t0).toISOString(),
    seconds,
    steps: perStep.map((s) => ({ clients: s.clients, requests: s.requests, perSecond: round(s.requests / stepSeconds), failed: s.failed, violations: s.violations,
      p50Ms: round(pct(s.latencies, 0.5)), p99Ms: round(pct(s.latencies, 0.99)) })),
    failures,
    failedByStatus: byStatus,
    violations,
  };
}

/** Waits until the cloud and every running edge list the same notes; seconds waited or null. */
async function converge(site) {
  const started = Date.now();
  const urls = [site.cloudUrl, ...site.names.filter((n) => site.pidOf(n) !== null && alive(site.pidOf(n))).map((n) => site.edgeUrl(n))];
  while (Date.now() - started < 60_000) {
    const lists = await Promise.all(urls.map(async (u) => {
      try {
        const notes = await (await fetch(`${u}/notes`)).json();
        return notes.map((n) => `${n.id}:${n.text}`).sort().join('\n');
      } catch {
        return null;
      }
    }));
    if (lists[0] !== null && lists.every((l) => l === lists[0])) return { seconds: round((Date.now() - started) / 1000), notes: lists[0].split('\n').filter(Boolean).length, replicas: urls.length };
    await sleep(500);
  }
  return { seconds: null, notes: null, replicas: urls.length };
}

const scratch = mkdtempSync(path.join(tmpdir(), 'edgstr-bench-site-'));
const runs = [];
let site = null;
const cleanUp = async () => {
  await site?.stop().catch(() => undefined);
  if (!argv.includes('--keep')) rmSync(scratch, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanUp().then(() => process.exit(130)));
try {
  say(`generating and installing the tally site (--target rpi --edges ${edgeCount}) in ${scratch}`);
  const generated = await generateSite(scratch, edgeCount);
  for (const mode of modes) {
    say(`${mode}: starting the cloud, ${edgeCount} edges, HAProxy${mode === 'scale-down' ? ' and the scaler' : ''}`);
    site = await startSite({ site: generated, dir: path.join(scratch, mode), scaler: mode === 'scale-down', scalerSettings: { idleSeconds }, wan });
    const loadBefore = loadavg()[0];
    say(`${mode}: ramp ${steps.join(' -> ')} clients, ${stepSeconds} s a step`);
    const result = await ramp(site, mode);
    const converged = await converge(site);
    const events = site.events.map(({ at, event, edge }) => ({ at, event, edge }));
    await site.stop();
    site = null;
    const run = { ...result, converged, scalerEvents: events, load: { before: round(loadBefore, 2), after: round(loadavg()[0], 2) } };
    run.energy = energy(run, edgeCount);
    runs.push(run);
    const totals = run.steps.reduce((a, s) => ({ requests: a.requests + s.requests, failed: a.failed + s.failed, violations: a.violations + s.violations }), { requests: 0, failed: 0, violations: 0 });
    say(`${mode}: ${totals.requests} requests, ${totals.failed} failed, ${totals.violations} read-your-writes violations, edge CPU ${run.energy.edgeCpuSeconds} s, converged ${converged.seconds === null ? 'NO' : `in ${converged.seconds} s`}`);
  }
} finally {
  await cleanUp();
}

const report = { command: `node scripts/bench-site.mjs ${argv.join(' ')}`.trim(), at: new Date().toISOString(), steps, stepSeconds, edges: edgeCount, idleSeconds, wan, pi4: PI4, runs };
if (opt('json', null)) writeFileSync(opt('json', null), `${JSON.stringify(report, null, 2)}\n`);
writeOutputs(report);

function writeOutputs(r) {
  if (opt('markdown', null)) writeFileSync(opt('markdown', null), markdownReport(r));
  if (opt('svg', null)) writeFileSync(opt('svg', null), plot(r));
  process.stdout.write(markdownReport(r));
}

/** Two panels, one above the other: edges running, and requests answered per second. */
function plot(r) {
  // Every `every` seconds, the mean over those seconds (plotted at the window's end).
  const points = (seconds, pick, every) => {
    const out = [];
    for (let i = every; i <= seconds.length; i += every) {
      const window = seconds.slice(i - every, i);
      out.push({ x: window.at(-1).t, y: window.reduce((n, s) => n + pick(s), 0) / window.length });
    }
    return out;
  };
  const panel = (title, yLabel, pick, every = 1) => renderLineChart({
    title,
    xLabel: `seconds (steps of ${r.stepSeconds} s: ${r.steps.join(' → ')} clients)`,
    yLabel,
    series: r.runs.map((run) => ({ name: run.mode, points: points(run.seconds, pick, every) })),
  }).replace(/^<\?xml[^>]*>\n/, '');
  const top = panel(`Edges running (site of ${r.edges})`, 'edges running', (s) => s.edgesRunning);
  const bottom = panel('Throughput through HAProxy (5 s means)', 'requests answered / s', (s) => s.ok, 5);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="640" height="800" viewBox="0 0 640 800">\n${top.replace('<svg ', '<svg x="0" y="0" ')}${bottom.replace('<svg ', '<svg x="0" y="400" ')}</svg>\n`;
}
