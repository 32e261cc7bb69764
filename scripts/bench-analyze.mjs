#!/usr/bin/env node
// bench-analyze: per subject, wall time per stage of `edgstr analyze` (m = 3), peak RSS of the
// analyzer and of the instrumented app, and the instrumented/original time ratio per service
// (median of the from-init executions vs the median of 3 runs of the same request against the
// original app). Needs `npm run build`. Usage: node scripts/bench-analyze.mjs [subject ...]
// Writes a table on stdout (markdown) and bench-analyze.json in the OS temp dir.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { analyzeApp } = await import(path.join(root, 'dist/analyze/analyze.js'));
const { toRecorded } = await import(path.join(root, 'dist/analyze/replay/requests.js'));
const { compileRoute } = await import(path.join(root, 'dist/model/service-id.js'));

const freePort = () => new Promise((res) => { const s = net.createServer(); s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); }); });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function waitPort(port) { for (let i = 0; i < 300; i++) { try { await fetch(`http://127.0.0.1:${port}/`); return; } catch { await sleep(100); } } throw new Error('no answer'); }
function start(dir, port, env = {}) {
  spawnSync('npm', ['run', 'reset', '--silent'], { cwd: dir });
  return spawn('node', ['src/server.js'], { cwd: dir, env: { ...process.env, ...env, PORT: String(port) }, stdio: 'ignore', detached: true });
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function record(name, dir) {
  const out = path.join(os.tmpdir(), `bench-analyze-${name}.har`);
  fs.rmSync(out, { force: true });
  const port = await freePort();
  const rport = await freePort();
  const app = start(dir, port);
  await waitPort(port);
  const rec = spawn('node', [path.join(root, 'bin/edgstr'), 'record', '--target', `http://127.0.0.1:${port}`, '--port', String(rport), '--out', out], { stdio: 'ignore' });
  await waitPort(rport).catch(() => undefined);
  spawnSync('node', ['scripts/client.js', `http://127.0.0.1:${rport}`], { cwd: dir, stdio: 'ignore' });
  rec.kill('SIGINT');
  process.kill(-app.pid, 'SIGTERM');
  await sleep(500);
  spawnSync('npm', ['run', 'reset', '--silent'], { cwd: dir });
  return out;
}

async function originalTimes(dir, har, services) {
  const entries = JSON.parse(fs.readFileSync(har, 'utf8')).log.entries.map((e, i) => toRecorded(e, i)).filter(Boolean);
  const out = {};
  for (const s of services) {
    const match = compileRoute(s.route);
    const r = entries.find((e) => e.method === s.method && match(e.path) && e.status < 400);
    if (!r) continue;
    const times = [];
    for (let k = 0; k < 3; k++) {
      const port = await freePort();
      const app = start(dir, port);
      await waitPort(port);
      const qs = new URLSearchParams(r.query).toString();
      const t0 = performance.now();
      await fetch(`http://127.0.0.1:${port}${r.path}${qs ? `?${qs}` : ''}`, { method: r.method, headers: r.headers, body: r.body }).then((x) => x.arrayBuffer());
      times.push(performance.now() - t0);
      process.kill(-app.pid, 'SIGTERM');
      await sleep(300);
    }
    out[s.id] = median(times);
  }
  spawnSync('npm', ['run', 'reset', '--silent'], { cwd: dir });
  return out;
}

const names = process.argv.slice(2).length ? process.argv.slice(2) : fs.readdirSync(path.join(root, 'subjects')).filter((n) => fs.existsSync(path.join(root, 'subjects', n, 'expected.json')));
const results = [];
console.log('| subject | copy | start (instruments what loads) | replay | analyze | write | total s | analyzer RSS MB | app RSS MB | slowest service: instrumented / original ms (ratio) |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const name of names) {
  const dir = path.join(root, 'subjects', name);
  const har = await record(name, dir);
  const t0 = performance.now();
  const res = await analyzeApp({ appDir: dir, traffic: har, workdir: path.join(os.tmpdir(), `bench-analyze-${name}`), fuzz: 3 });
  const total = (performance.now() - t0) / 1000;
  const rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
  const orig = await originalTimes(dir, har, res.services);
  const ratios = res.services.filter((s) => orig[s.id] && s.runs.msMedian).map((s) => ({ id: s.id, inst: s.runs.msMedian, orig: orig[s.id], ratio: s.runs.msMedian / orig[s.id] }));
  const slow = ratios.sort((a, b) => b.orig - a.orig)[0];
  const t = res.timings;
  results.push({ name, timings: t, total, rssMb, appRssMb: Math.round(res.appMaxRssKb / 1024), ratios });
  console.log(`| ${name} | ${t.copy} | ${t.start} | ${t.replay} | ${t.analyze} | ${t.write} | ${total.toFixed(1)} | ${rssMb} | ${Math.round(res.appMaxRssKb / 1024)} | ${slow ? `${slow.id}: ${slow.inst.toFixed(0)} / ${slow.orig.toFixed(0)} (${slow.ratio.toFixed(1)}x)` : '-'} |`);
}
fs.writeFileSync(path.join(os.tmpdir(), 'bench-analyze.json'), JSON.stringify(results, null, 2));
