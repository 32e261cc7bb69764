#!/usr/bin/env node
// The edge's own overhead on the LAN (issue 14): the generated edge against the original app,
// both on loopback, in the same run. A bundled subject goes through record -> analyze ->
// review --accept all -> generate --target node; its generated cloud and one generated edge
// start with `npm start`, and the original app starts as analyze starts it. Three services
// of the subject, picked from analysis.json and the recorded traffic (or named with flags):
//   read  a GET with a route param that writes no state (one record),
//   list  a GET without params that writes no state,
//   write a POST that inserts into a table.
// Measured, alternating original / edge:
//   - p50/p95 of N sequential keep-alive requests per service (one client);
//   - req/s and p50/p99 with C keep-alive clients for T seconds on read and list (autocannon).
// Edge requests carry `x-edgstr-place: edge`, so adaptive placement cannot send them to the
// cloud (which on loopback runs the original app too); the table says where each was served.
import { cpSync, existsSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { generate } from '../dist/generate/index.js';
import { installGenerated } from '../dist/verify/install.js';
import { startProject } from '../dist/verify/processes.js';
import { freePort, processGroup } from './lib/procs.mjs';
import { analyzeSubject, copySubject, startApp, tmpWork } from './lib/subject-pipeline.mjs';

const HELP = `usage: node scripts/bench-lan.mjs [options]   (run \`npm run build\` first)

The generated edge against the original app on loopback (issue 14), alternating in one run.

  --subject NAME     bundled subject (default donutshop)
  --requests N       sequential requests per service and side, after 30 warm-up pairs (default 300)
  --connections C    concurrent keep-alive clients for the load phase (default 16)
  --duration T       seconds of load per service and side (default 5)
  --rounds R         load rounds, each original then edge (default 2)
  --read ID          the read-one service (default: picked, e.g. "GET /employees/:id")
  --list ID          the list service (default: picked, e.g. "GET /shops")
  --write ID         the write service (default: picked, e.g. "POST /donuts")
  --edge-env LIST    extra environment of the edge, NAME=VALUE,NAME=VALUE; e.g. the edge before
                     issue 14: EDGSTR_DISPATCH=loopback,EDGSTR_CONCURRENT_READS=off
  --only KINDS       measure only these of read,list,write (default all)
  --workdir DIR      reuse an analyzed workdir (skips record + analyze)
  --json             print the results as JSON on stdout
  --keep             keep the temporary folders
  --help             this text`;

const argv = process.argv.slice(2);
if (argv.includes('--help')) {
  console.log(HELP);
  process.exit(0);
}
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const subject = opt('subject', 'donutshop');
const requests = Number(opt('requests', 300));
const connections = Number(opt('connections', 16));
const duration = Number(opt('duration', 5));
const rounds = Number(opt('rounds', 2));
const say = (msg) => process.stderr.write(`[bench-lan] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const group = processGroup({ say, onInterrupt: () => {} });
const PLACE = { 'x-edgstr-place': 'edge' };
const edgeEnv = Object.fromEntries((opt('edge-env', '') || '').split(',').filter(Boolean).map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
const only = opt('only', 'read,list,write').split(',');

/** The first recorded 2xx request of each kind of service (see the header). */
function pickServices(workdir) {
  const analysis = JSON.parse(readFileSync(path.join(workdir, 'analysis.json'), 'utf8'));
  const decisions = JSON.parse(readFileSync(path.join(workdir, 'decisions.json'), 'utf8'));
  const accepted = (id) => JSON.stringify(decisions).includes(`"${id}"`);
  const har = JSON.parse(readFileSync(path.join(workdir, 'traffic.har'), 'utf8'));
  const writesNothing = (s) => ['tables', 'files', 'globals'].every((k) => s.state.writes[k].length === 0);
  const kinds = {
    read: { flag: opt('read', null), fits: (s) => s.method === 'GET' && s.route.includes(':') && writesNothing(s) },
    list: { flag: opt('list', null), fits: (s) => s.method === 'GET' && !s.route.includes(':') && writesNothing(s), answer: (text) => text?.includes('[') },
    write: { flag: opt('write', null), fits: (s) => s.method === 'POST' && s.state.writes.tables.length > 0 },
  };
  const picked = {};
  for (const [kind, { flag, fits, answer = () => true }] of Object.entries(kinds)) {
    for (const s of analysis.services) {
      if (flag ? s.id !== flag : !(fits(s) && s.replicable && accepted(s.id))) continue;
      const re = new RegExp(`^${s.route.replace(/:[^/]+/g, '[^/]+')}/?$`);
      const entry = har.log.entries.find((e) => e.request.method === s.method && re.test(new URL(e.request.url).pathname)
        && e.response.status >= 200 && e.response.status < 300 && (s.method === 'GET' || e.request.postData?.text) && (flag || answer(e.response.content?.text)));
      if (!entry) continue;
      const u = new URL(entry.request.url);
      picked[kind] = { service: s.id, method: s.method, path: u.pathname + u.search,
        contentType: entry.request.postData?.mimeType || 'application/json', body: entry.request.postData?.text };
      break;
    }
    if (!picked[kind]) throw new Error(`${workdir}: no ${flag ?? `${kind} service`} with a recorded 2xx request (name one with --${kind})`);
  }
  return picked;
}

/** One request; resolves with its latency in ms and where it was served. */
function send(agent, base, r, headers = {}) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(`${base}${r.path}`, { method: r.method, agent, headers: { ...headers, ...(r.body ? { 'content-type': r.contentType } : {}) } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300
        ? resolve({ ms: performance.now() - t0, served: res.headers['x-edgstr-served'] ?? 'app' })
        : reject(new Error(`${r.method} ${base}${r.path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    req.end(r.body);
  });
}

/** req/s and latency of `connections` keep-alive clients for `duration` s. */
async function load(base, r, headers = {}) {
  const result = await autocannon({ url: `${base}${r.path}`, method: r.method, connections, duration, headers });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99,
    non2xx: result.non2xx, errors: result.errors + result.timeouts, total: result.requests.total };
}

async function servedAtEdge(edge) {
  const h = await (await fetch(`${edge.url}/__edgstr/health`)).json();
  return h.served;
}

/** One measurement on a fresh cloud + edge + original app. */
async function measure(out, appDir, picked) {
  const scratch = tmpWork(`${subject}-lan`);
  const cloudPort = await freePort();
  const cloudDir = path.join(scratch, 'cloud');
  cpSync(path.join(out, 'cloud'), cloudDir, { recursive: true, filter: (src) => !src.startsWith(path.join(out, 'cloud', 'node_modules')) });
  symlinkSync(path.join(out, 'cloud', 'node_modules'), path.join(cloudDir, 'node_modules'), 'dir');
  const cloud = await startProject({ name: 'cloud', dir: cloudDir, port: cloudPort, env: { EDGSTR_DATA_DIR: path.join(scratch, 'cloud-data'), EDGSTR_QUIET: '1' } });
  const edge = await startProject({ name: 'edge-1', dir: path.join(out, 'edge'), port: await freePort(),
    env: { EDGSTR_CLOUD_URL: cloud.url, HOST: '127.0.0.1', EDGSTR_NODE_ID: 'edge-1', EDGSTR_DATA_DIR: path.join(scratch, 'edge-1'), EDGSTR_QUIET: '1', ...edgeEnv } });
  await group.run('npm', ['run', '--silent', 'reset'], { cwd: appDir });
  const plainPort = await freePort();
  const plain = await startApp(group.start, appDir, plainPort);
  const plainBase = `http://127.0.0.1:${plainPort}`;
  const agents = { plain: new Agent({ keepAlive: true, maxSockets: 1 }), edge: new Agent({ keepAlive: true, maxSockets: 1 }) };
  try {
    for (let i = 0; i < 100; i++) {
      if ((await fetch(`${edge.url}/__edgstr/health?ready`)).status === 200) break;
      await sleep(100);
    }
    const sequential = {};
    const served = {};
    for (const [kind, r] of Object.entries(picked).filter(([k]) => only.includes(k))) {
      const lat = { plain: [], edge: [] };
      const where = {};
      for (let i = 0; i < 30 + requests; i++) {
        const p = await send(agents.plain, plainBase, r);
        const e = await send(agents.edge, edge.url, r, PLACE);
        where[e.served] = (where[e.served] ?? 0) + 1;
        if (i >= 30) {
          lat.plain.push(p.ms);
          lat.edge.push(e.ms);
        }
      }
      served[kind] = where;
      sequential[kind] = { plainP50: pct(lat.plain, 0.5), plainP95: pct(lat.plain, 0.95), edgeP50: pct(lat.edge, 0.5), edgeP95: pct(lat.edge, 0.95) };
      sequential[kind].p50Ratio = sequential[kind].edgeP50 / sequential[kind].plainP50;
    }
    const concurrent = {};
    for (const kind of ['read', 'list'].filter((k) => only.includes(k))) {
      const r = picked[kind];
      const runs = { plain: [], edge: [] };
      for (let round = 0; round < rounds; round++) {
        runs.plain.push(await load(plainBase, r));
        runs.edge.push(await load(edge.url, r, PLACE));
      }
      const mean = (xs, k) => xs.reduce((s, x) => s + x[k], 0) / xs.length;
      const side = (xs) => ({ rps: mean(xs, 'rps'), p50: mean(xs, 'p50'), p99: mean(xs, 'p99'), non2xx: xs.reduce((s, x) => s + x.non2xx, 0), errors: xs.reduce((s, x) => s + x.errors, 0) });
      concurrent[kind] = { plain: side(runs.plain), edge: side(runs.edge), runs };
      concurrent[kind].rpsRatio = concurrent[kind].edge.rps / concurrent[kind].plain.rps;
    }
    return { sequential, served, concurrent, edgeServed: await servedAtEdge(edge) };
  } finally {
    agents.plain.destroy();
    agents.edge.destroy();
    await Promise.all([plain.stop(), edge.stop(), cloud.stop()]);
    if (!argv.includes('--keep')) rmSync(scratch, { recursive: true, force: true });
  }
}

function print(r) {
  const f = (x) => x.toFixed(2);
  if (Object.keys(edgeEnv).length > 0) console.log(`edge environment: ${JSON.stringify(edgeEnv)}`);
  console.log(`subject ${subject}, node ${process.version}, load average before ${r.loadAverage.before.join(' ')}, after ${r.loadAverage.after.join(' ')}`);
  console.log(`\nsequential (${requests} keep-alive requests each, one client, alternating)`);
  console.log('| kind | service | original p50 / p95 ms | edge p50 / p95 ms | edge/original p50 | edge answers served |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const [kind, s] of Object.entries(r.sequential)) {
    const where = Object.entries(r.served[kind]).map(([k, v]) => `${k} ${v}`).join(', ');
    console.log(`| ${kind} | ${r.services[kind].service} | ${f(s.plainP50)} / ${f(s.plainP95)} | ${f(s.edgeP50)} / ${f(s.edgeP95)} | **${f(s.p50Ratio)}x** | ${where} |`);
  }
  console.log(`\nconcurrent (${connections} keep-alive clients, ${duration} s, ${rounds} rounds alternating, means)`);
  console.log('| kind | service | original req/s (p50 / p99 ms) | edge req/s (p50 / p99 ms) | edge/original req/s | non-2xx / errors (original, edge) |');
  console.log('| --- | --- | ---: | ---: | ---: | --- |');
  for (const [kind, c] of Object.entries(r.concurrent)) {
    console.log(`| ${kind} | ${r.services[kind].service} | ${c.plain.rps.toFixed(0)} (${c.plain.p50} / ${c.plain.p99}) | ${c.edge.rps.toFixed(0)} (${c.edge.p50} / ${c.edge.p99}) | **${f(c.rpsRatio)}x** | ${c.plain.non2xx}/${c.plain.errors}, ${c.edge.non2xx}/${c.edge.errors} |`);
  }
}

const work = tmpWork(subject);
const given = opt('workdir', null);
// A reused workdir names the app copy it analyzed: generate reads it there.
const keptApp = given ? JSON.parse(readFileSync(path.join(given, 'analysis.json'), 'utf8')).app.dir : null;
const appDir = keptApp && existsSync(keptApp) ? keptApp : copySubject(subject, keptApp);
try {
  const workdir = given ? path.resolve(given) : path.join(work, '.edgstr');
  if (!given) await analyzeSubject(group, appDir, workdir);
  const picked = pickServices(workdir);
  for (const [kind, r] of Object.entries(picked)) say(`${kind}: ${r.service} (${r.method} ${r.path})`);
  const out = path.join(work, 'out');
  await generate({ workdir, out, target: 'node', edges: 1, cloudUrl: 'http://127.0.0.1:9' });
  say('installing the generated projects (npm ci --omit=dev)');
  await Promise.all([installGenerated(path.join(out, 'edge')), installGenerated(path.join(out, 'cloud'))]);
  const before = loadavg().map((x) => +x.toFixed(2));
  const r = await measure(out, appDir, picked);
  Object.assign(r, { subject, services: picked, node: process.version, when: new Date().toISOString(),
    options: { requests, connections, duration, rounds, edgeEnv }, loadAverage: { before, after: loadavg().map((x) => +x.toFixed(2)) } });
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
  else print(r);
} finally {
  if (!argv.includes('--keep')) {
    rmSync(work, { recursive: true, force: true });
    if (!given) rmSync(appDir, { recursive: true, force: true });
  } else say(`kept ${work} and ${appDir}`);
}
