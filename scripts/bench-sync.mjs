#!/usr/bin/env node
// Measures sync on the projects `edgstr generate` writes for a bundled subject, as users run
// them (issue 13): the subject goes through record -> analyze -> review --accept all ->
// generate --target node, then its generated cloud and one generated edge start with `npm start`
// on loopback, the edge dialing the cloud through a byte-counting TCP relay (no delay), and the
// original app starts as analyze starts it. The write is the subject's first recorded
// accepted POST that inserts a row, replayed as recorded. Outputs:
//   - sync bytes per row write (edge <-> cloud, on the wire: socket.io framing included), one
//     write at a time, each awaited at the cloud, against the original request + response bytes;
//   - HTTP write p50/p95, the edge against the plain app, sequential keep-alive POSTs alternating;
//   - time for the cloud to hold all of N back-to-back edge writes (after the last answer);
//   - edge RSS idle (after convergence) and under load (peak during the burst), from its health.
//
//   - with --rows N (issue 14, tables at scale): N extra rows (copies of the table's first row,
//     new keys) put into the cloud's database before it starts; then the cloud's start-up and
//     RSS, and a fresh edge's catch-up on all of them (until its health ?docs digest equals the
//     cloud's: rows/s), before the phases above run on that table size;
//   - cloud RSS idle and after the burst, from its health.
//
//   npm run build && node scripts/bench-sync.mjs [--subject donutshop] [--writes 1000]
//        [--requests 300] [--runs 1] [--rows 0] [--json] [--keep]
// Diagnostics: --workdir DIR reuses an analyzed workdir (skips record + analyze).
import Database from 'better-sqlite3';
import { cpSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { Agent, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { generate } from '../dist/generate/index.js';
import { installGenerated } from '../dist/verify/install.js';
import { startWanProxy } from '../dist/bench/wan-proxy.js';
import { startProject } from '../dist/verify/processes.js';
import { freePort, processGroup } from './lib/procs.mjs';
import { analyzeSubject, copySubject, startApp, tmpWork } from './lib/subject-pipeline.mjs';

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const subject = opt('subject', 'donutshop');
const writes = Number(opt('writes', 1000));
const requests = Number(opt('requests', 300));
const runs = Number(opt('runs', 1));
const extraRows = Number(opt('rows', 0));
const say = (msg) => process.stderr.write(`[bench-sync] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];
const group = processGroup({ say, onInterrupt: () => {} });

/** The first recorded POST of an accepted service that inserts into a table, answered 2xx. */
function pickWrite(workdir) {
  const analysis = JSON.parse(readFileSync(path.join(workdir, 'analysis.json'), 'utf8'));
  const decisions = JSON.parse(readFileSync(path.join(workdir, 'decisions.json'), 'utf8'));
  const accepted = (id) => JSON.stringify(decisions).includes(`"${id}"`);
  const har = JSON.parse(readFileSync(path.join(workdir, 'traffic.har'), 'utf8'));
  for (const s of analysis.services) {
    if (s.method !== 'POST' || !s.replicable || s.state.writes.tables.length === 0 || !accepted(s.id)) continue;
    const re = new RegExp(`^${s.route.replace(/:[^/]+/g, '[^/]+')}$`);
    const entry = har.log.entries.find((e) => e.request.method === 'POST' && re.test(new URL(e.request.url).pathname)
      && e.response.status >= 200 && e.response.status < 300 && e.request.postData?.text);
    if (entry) {
      const u = new URL(entry.request.url);
      return { service: s.id, table: s.state.writes.tables[0], path: u.pathname + u.search,
        contentType: entry.request.postData.mimeType || 'application/json', body: entry.request.postData.text };
    }
  }
  throw new Error(`${workdir}: no accepted POST service that writes a table was recorded`);
}

/** POSTs the write to `base`; resolves with the latency in ms. */
function post(agent, base, write, sockets) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(`${base}${write.path}`, { method: 'POST', agent, headers: { 'content-type': write.contentType } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode < 300 ? resolve(performance.now() - t0) : reject(new Error(`${base}${write.path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    if (sockets) req.once('socket', (s) => sockets.add(s));
    req.end(write.body);
  });
}

async function edgeRssMiB(edge) {
  const h = await (await fetch(`${edge.url}/__edgstr/health?memory`)).json();
  return h.memory.rssMiB;
}

async function digests(node) {
  return (await (await fetch(`${node.url}/__edgstr/health?docs`)).json()).docs;
}

/** Copies of the table's first row under new keys, in transactions of 10,000; returns the bytes of a row. */
function addRows(file, table, n) {
  const db = new Database(file);
  try {
    const cols = db.prepare(`PRAGMA table_info("${table}")`).all();
    const pk = cols.filter((c) => c.pk > 0).map((c) => c.name);
    const rest = cols.map((c) => c.name).filter((c) => !pk.includes(c) || pk.length > 1 || !/INT/i.test(cols.find((x) => x.name === c).type));
    if (rest.length === cols.length) throw new Error(`--rows: ${table} has no integer key to generate`);
    const list = rest.map((c) => `"${c}"`).join(', ');
    const first = db.prepare(`SELECT ${list} FROM "${table}" LIMIT 1`).get();
    if (!first) throw new Error(`--rows: ${table} has no row to copy`);
    // Pad the longest text column so a row is ~150 bytes, as in the goal.
    const text = rest.filter((c) => typeof first[c] === 'string').sort((a, b) => first[b].length - first[a].length)[0];
    const size = () => rest.reduce((s, c) => s + String(first[c] ?? '').length, 0);
    if (text && size() < 150) first[text] = first[text] + ' '.repeat(150 - size());
    const insert = db.prepare(`INSERT INTO "${table}" (${list}) VALUES (${rest.map(() => '?').join(', ')})`);
    for (let done = 0; done < n; done += 10_000) {
      db.transaction(() => {
        for (let i = done; i < Math.min(n, done + 10_000); i++) insert.run(...rest.map((c) => (c === text ? `${i} ${first[c]}`.slice(0, first[c].length) : first[c])));
      })();
    }
    return size();
  } finally {
    db.close();
  }
}

/** One measurement on a fresh cloud + edge + plain app. */
async function measure(out, appDir, write, appSubdir, dbFile) {
  const scratch = tmpWork(`${subject}-run`);
  const cloudPort = await freePort();
  // The cloud runs the app in its project dir: a fresh copy per run (node_modules linked).
  const cloudDir = path.join(scratch, 'cloud');
  cpSync(path.join(out, 'cloud'), cloudDir, { recursive: true, filter: (src) => !src.startsWith(path.join(out, 'cloud', 'node_modules')) });
  symlinkSync(path.join(out, 'cloud', 'node_modules'), path.join(cloudDir, 'node_modules'), 'dir');
  const scale = {};
  if (extraRows > 0) {
    say(`adding ${extraRows} rows to ${write.table} at the cloud`);
    scale.rowBytes = addRows(path.join(cloudDir, appSubdir, dbFile), write.table, extraRows);
  }
  let t = performance.now();
  const cloud = await startProject({ name: 'cloud', dir: cloudDir, port: cloudPort, timeoutMs: 600_000, env: { EDGSTR_DATA_DIR: path.join(scratch, 'cloud-data') } });
  scale.cloudStartMs = Math.round(performance.now() - t);
  const relay = await startWanProxy({ targetHost: '127.0.0.1', targetPort: cloudPort, delayMs: 0, bytesPerSecond: 0 });
  t = performance.now();
  const edge = await startProject({ name: 'edge-1', dir: path.join(out, 'edge'), port: await freePort(), timeoutMs: 600_000,
    env: { EDGSTR_CLOUD_URL: `http://127.0.0.1:${relay.port}`, EDGSTR_NODE_ID: 'edge-1', EDGSTR_DATA_DIR: path.join(scratch, 'edge-1') } });
  // A fresh edge catches up on the cloud's tables: until its digests equal the cloud's.
  for (;;) {
    const [c, e] = await Promise.all([digests(cloud), digests(edge)]);
    if (Object.keys(c).every((k) => !k.startsWith('db-') || c[k] === e[k])) break;
    await sleep(200);
  }
  scale.catchUpMs = Math.round(performance.now() - t);
  scale.catchUpRowsPerS = Math.round(extraRows / (scale.catchUpMs / 1000));
  scale.cloudRssIdleMiB = await edgeRssMiB(cloud);
  scale.edgeRssCaughtUpMiB = await edgeRssMiB(edge);
  await group.run('npm', ['run', '--silent', 'reset'], { cwd: appDir });
  const plainPort = await freePort();
  const plain = await startApp(group.start, appDir, plainPort);
  const cloudDb = new Database(path.join(cloudDir, appSubdir, dbFile), { readonly: true, fileMustExist: true });
  const cloudRows = () => cloudDb.prepare(`SELECT count(*) AS n FROM "${write.table}"`).get().n;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  try {
    // Connected: the cloud holds a write made at the edge.
    const rows0 = cloudRows();
    await post(agent, edge.url, write);
    while (cloudRows() < rows0 + 1) await sleep(10);
    await sleep(300);

    // 1. Sync bytes per row write, one at a time, each awaited at the cloud.
    const single = 100;
    relay.resetStats();
    let expected = cloudRows();
    for (let i = 0; i < single; i++) {
      await post(agent, edge.url, write);
      expected++;
      while (cloudRows() < expected) await sleep(2);
    }
    await sleep(300);
    const st = relay.stats();
    const perWrite = { edgeToCloudBytes: st.up / single, cloudToEdgeBytes: st.down / single };

    // 2. HTTP write latency, alternating plain app and edge, after 50 warm-up pairs.
    const plainSockets = new Set();
    const lat = { plain: [], edge: [] };
    const plainBase = `http://127.0.0.1:${plainPort}`;
    const plainAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 50 + requests; i++) {
      const p = await post(plainAgent, plainBase, write, plainSockets);
      const e = await post(agent, edge.url, write);
      if (i >= 50) {
        lat.plain.push(p);
        lat.edge.push(e);
      }
    }
    plainAgent.destroy();
    perWrite.originalRequestResponseBytes = [...plainSockets].reduce((s, k) => s + k.bytesRead + k.bytesWritten, 0) / (50 + requests);
    expected += 50 + requests;
    while (cloudRows() < expected) await sleep(5);
    const latency = { httpPlainP50ms: pct(lat.plain, 0.5), httpEdgeP50ms: pct(lat.edge, 0.5),
      httpPlainP95ms: pct(lat.plain, 0.95), httpEdgeP95ms: pct(lat.edge, 0.95) };
    latency.httpP50Ratio = latency.httpEdgeP50ms / latency.httpPlainP50ms;
    await sleep(1000);
    const rssIdleBefore = await edgeRssMiB(edge);

    // 3. N back-to-back writes at the edge (one client, sequential), then until the cloud holds all.
    const t0 = performance.now();
    let rssLoad = 0;
    for (let i = 0; i < writes; i++) {
      await post(agent, edge.url, write);
      if (i % 100 === 0) rssLoad = Math.max(rssLoad, await edgeRssMiB(edge));
    }
    const written = performance.now();
    expected += writes;
    while (cloudRows() < expected) await sleep(2);
    const converged = performance.now();
    const burst = { writes, writeMs: Math.round(written - t0), convergeAfterLastWriteMs: Math.round(converged - written) };
    await sleep(1000);
    const memory = { edgeRssIdleMiB: rssIdleBefore, edgeRssAfterMiB: await edgeRssMiB(edge), edgeRssLoadMiB: rssLoad, rows: expected,
      cloudRssAfterMiB: await edgeRssMiB(cloud) };
    return { perWrite, latency, burst, memory, scale };
  } finally {
    agent.destroy();
    cloudDb.close();
    await Promise.all([plain.stop(), edge.stop(), cloud.stop(), relay.close()]);
    rmSync(scratch, { recursive: true, force: true });
  }
}

function print(r) {
  const { perWrite: w, latency: l, burst: b, memory: m, scale: s } = r;
  if (extraRows > 0) console.log(`${extraRows} extra rows (~${s.rowBytes} B each): cloud started in ${s.cloudStartMs} ms, RSS ${s.cloudRssIdleMiB} MiB; a fresh edge caught up in ${s.catchUpMs} ms (${s.catchUpRowsPerS} rows/s), RSS ${s.edgeRssCaughtUpMiB} MiB`);
  console.log(`sync per row write (wire bytes, socket.io framing included): edge->cloud ${w.edgeToCloudBytes.toFixed(0)} B, cloud->edge ${w.cloudToEdgeBytes.toFixed(0)} B; the original request + response ${w.originalRequestResponseBytes.toFixed(0)} B`);
  console.log(`HTTP write (${requests} sequential POSTs each): plain app p50 ${l.httpPlainP50ms.toFixed(2)} ms (p95 ${l.httpPlainP95ms.toFixed(2)}), edge p50 ${l.httpEdgeP50ms.toFixed(2)} ms (p95 ${l.httpEdgeP95ms.toFixed(2)}): ratio ${l.httpP50Ratio.toFixed(2)}`);
  console.log(`${b.writes} back-to-back edge writes in ${b.writeMs} ms; the cloud held all of them ${b.convergeAfterLastWriteMs} ms after the last answer`);
  console.log(`edge RSS idle ${m.edgeRssIdleMiB} MiB, under load (peak) ${m.edgeRssLoadMiB} MiB, after ${m.edgeRssAfterMiB} MiB (${m.rows} rows in ${r.write.table}); cloud RSS after ${m.cloudRssAfterMiB} MiB`);
  console.log(`load average before ${r.loadAverage.before.join(' ')}, after ${r.loadAverage.after.join(' ')}`);
}

const work = tmpWork(subject);
const appDir = copySubject(subject);
try {
  const given = opt('workdir', null);
  const workdir = given ? path.resolve(given) : path.join(work, '.edgstr');
  if (!given) await analyzeSubject(group, appDir, workdir);
  const write = pickWrite(workdir);
  say(`write: ${write.service} into ${write.table} (${write.path})`);
  const out = path.join(work, 'out');
  await generate({ workdir, out, target: 'node', edges: 1, cloudUrl: 'http://127.0.0.1:9' });
  say('installing the generated projects (npm ci --omit=dev)');
  await Promise.all([installGenerated(path.join(out, 'edge')), installGenerated(path.join(out, 'cloud'))]);
  const cloudConfig = JSON.parse(readFileSync(path.join(out, 'cloud', 'config.json'), 'utf8'));
  const db = cloudConfig.tables.find((t) => t.tables.includes(write.table));
  if (!db) throw new Error(`${write.table}: not a replicated table of the generated cloud`);
  const results = [];
  for (let i = 0; i < runs; i++) {
    const before = loadavg().map((x) => +x.toFixed(2));
    const r = await measure(out, appDir, write, cloudConfig.app.dir, db.file);
    Object.assign(r, { subject, write, node: process.version, when: new Date().toISOString(),
      loadAverage: { before, after: loadavg().map((x) => +x.toFixed(2)) } });
    results.push(r);
    if (!argv.includes('--json')) print(r);
  }
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} finally {
  if (!argv.includes('--keep')) {
    rmSync(work, { recursive: true, force: true });
    rmSync(appDir, { recursive: true, force: true });
  } else say(`kept ${work} and ${appDir}`);
}
