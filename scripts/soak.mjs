#!/usr/bin/env node
/**
 * Soak test of a generated system (DESIGN.md issue 6 "Soak"): the ledger fixture
 * (test/fixtures/faults/ledger) generated and run as a cloud + 2 edges on loopback; N minutes
 * of mixed load on both edges with sync running (inserts, updates of shared rows, counter
 * increments, file writes, reads, forwarded requests). Reports errors, the RSS of the cloud and
 * the edges at start and end, and checks that nothing was lost: every acknowledged insert is at
 * every replica, the counter equals the acknowledged increments, table/file checksums equal.
 * Every --sample seconds it reads each replica's GET /__edgstr/health?memory (RSS, V8 heap,
 * external/WASM memory, Automerge changes and ops per document) into a time series, and fits
 * a line to the RSS of the second half of the run (MiB per minute).
 * --steady: no inserts (updates of existing rows instead), so the replicated state keeps its
 * size: what memory still grows then is history and leaks, not data.
 *
 *   npm run build && node scripts/soak.mjs [--minutes 10] [--workers 2] [--steady] [--sample 30] [--json]
 *   EDGSTR_SOAK_PROF=DIR: CPU profiles of the cloud and the edges (DIR/<name>.cpuprofile)
 *
 * Exit 0 when no request failed and nothing was lost; 1 otherwise. Not a vitest test.
 */
import { spawn } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { generate } from '../dist/generate/index.js';
import { installGenerated } from '../dist/verify/install.js';
import { fileChecksums, tableChecksums } from '../dist/verify/checksum.js';
import { freePort } from '../dist/verify/processes.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    workers: { type: 'string', default: '2' },
    steady: { type: 'boolean', default: false },
    sample: { type: 'string', default: '30' },
    json: { type: 'boolean', default: false },
  },
});
const minutes = Number(args.minutes);
const workers = Number(args.workers);
const sampleSeconds = Number(args.sample);
if (!(minutes > 0) || !(workers > 0) || !(sampleSeconds > 0)) throw new Error('--minutes, --workers and --sample must be positive numbers');
const INPUT = fileURLToPath(new URL('../test/fixtures/faults/ledger/input/', import.meta.url));
const log = (m) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const scratch = mkdtempSync(join(tmpdir(), 'edgstr-soak-'));
const children = [];

/** Starts a project's `start` script as `node ...` directly, so its pid is the node process (for RSS). */
async function startNode(name, dir, port, env) {
  const script = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts.start.split(/\s+/);
  // node refuses --cpu-prof in NODE_OPTIONS: it goes on the command line, after `node`.
  const prof = PROF_DIR && script[0] === 'node' ? ['--cpu-prof', `--cpu-prof-dir=${PROF_DIR}`, `--cpu-prof-name=${name}.cpuprofile`] : [];
  const child = spawn(script[0], [...prof, ...script.slice(1)], { cwd: dir, env: { ...process.env, ...env, PORT: String(port) }, detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
  let tail = '';
  child.stderr.on('data', (d) => (tail = (tail + d).slice(-4000)));
  children.push(child);
  const url = `http://127.0.0.1:${port}`;
  for (const until = Date.now() + 60_000; ; ) {
    if (child.exitCode !== null) throw new Error(`${name} exited: ${tail}`);
    if (await fetch(`${url}/__edgstr/health`).then((r) => r.ok, () => false)) return { name, url, pid: child.pid, tail: () => tail };
    if (Date.now() > until) throw new Error(`${name} did not start: ${tail}`);
    await sleep(200);
  }
}

/** The replica's own memory report (GET /__edgstr/health?memory), or null when it does not answer. */
async function memory(url) {
  try {
    const res = await fetch(`${url}/__edgstr/health?memory`, { signal: AbortSignal.timeout(5_000) });
    return (await res.json()).memory ?? null;
  } catch {
    return null;
  }
}

/** Least-squares slope of y over x. */
function slope(points) {
  if (points.length < 2) return null;
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  return sxx === 0 ? null : points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / sxx;
}

function rssMiB(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 102.4) / 10 : NaN;
}

async function call(url, method = 'GET', body) {
  const res = await fetch(url, { method, signal: AbortSignal.timeout(10_000), ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

/** EDGSTR_SOAK_PROF=DIR: each replica writes a CPU profile there (it is stopped with SIGTERM first). */
const PROF_DIR = process.env.EDGSTR_SOAK_PROF;

function cleanup() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
}

async function stopGently() {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      /* gone */
    }
  }
  await Promise.all(children.map((c) => (c.exitCode !== null ? null : new Promise((r) => { c.once('exit', r); setTimeout(r, 10_000); }))));
}
process.on('SIGINT', () => (cleanup(), process.exit(130)));

try {
  log(`generating and installing the ledger fixture in ${scratch}`);
  const workdir = join(scratch, 'work');
  cpSync(INPUT, workdir, { recursive: true });
  const out = join(scratch, 'out');
  await generate({ workdir, out, target: 'node', edges: 2, cloudUrl: 'http://127.0.0.1:9' });
  await Promise.all([installGenerated(join(out, 'edge')), installGenerated(join(out, 'cloud'))]);
  const cloudDir = join(scratch, 'cloud');
  const skip = join(out, 'cloud', 'node_modules');
  cpSync(join(out, 'cloud'), cloudDir, { recursive: true, filter: (s) => !(s === skip || s.startsWith(skip + sep)) });
  symlinkSync(skip, join(cloudDir, 'node_modules'), 'junction');

  const cloud = await startNode('cloud', cloudDir, await freePort(), { EDGSTR_DATA_DIR: join(scratch, 'cloud-data') });
  const edges = [];
  for (const i of [1, 2]) {
    const dataDir = join(scratch, `edge-${i}`);
    edges.push({ ...(await startNode(`edge-${i}`, join(out, 'edge'), await freePort(), { EDGSTR_CLOUD_URL: cloud.url, EDGSTR_NODE_ID: `edge-${i}`, EDGSTR_DATA_DIR: dataDir })), appDir: join(dataDir, 'app') });
  }
  const replicas = [{ ...cloud, appDir: join(cloudDir, 'app') }, ...edges];
  const rssStart = Object.fromEntries(replicas.map((r) => [r.name, rssMiB(r.pid)]));
  log(`running ${minutes} min of mixed load, ${workers} workers per edge; RSS at start ${JSON.stringify(rssStart)}`);

  const stats = { requests: 0, errors: 0, errorSamples: [], hitsAcked: 0 };
  const acked = [];
  const rssMax = { ...rssStart };
  const end = Date.now() + minutes * 60_000;
  const sampler = setInterval(() => {
    for (const r of replicas) rssMax[r.name] = Math.max(rssMax[r.name], rssMiB(r.pid));
  }, 5_000);
  /** [{ minute, <replica>: { rssMiB, heapUsedMiB, externalMiB, ops } }] */
  const series = [];
  const takeSample = async () => {
    const minute = Math.round((Date.now() - (end - minutes * 60_000)) / 600) / 100;
    const row = { minute };
    for (const r of replicas) {
      const m = await memory(r.url);
      if (m) row[r.name] = { rssMiB: m.rssMiB, heapUsedMiB: m.heapUsedMiB, externalMiB: m.externalMiB, ops: Object.values(m.docs).reduce((a, d) => a + d.ops, 0) };
    }
    series.push(row);
    log(`minute ${minute}: ${replicas.map((r) => `${r.name} ${row[r.name]?.rssMiB ?? '?'} MiB (heap ${row[r.name]?.heapUsedMiB ?? '?'}, ops ${row[r.name]?.ops ?? '?'})`).join(', ')}`);
  };
  await takeSample();
  const memorySampler = setInterval(() => void takeSample(), sampleSeconds * 1000);
  const worker = async (edge, w) => {
    for (let n = 0; Date.now() < end; n++) {
      const op = n % 10;
      let req;
      if (op < 3) req = args.steady ? ['PUT', `/items/${1 + (n % 3)}`, { qty: -n }] : ['POST', '/items', { name: `${edge.name}-w${w}-${n}`, qty: n }];
      else if (op < 5) req = ['PUT', `/items/${1 + (n % 3)}`, { qty: n }];
      else if (op === 5) req = ['POST', '/hits'];
      else if (op === 6) req = ['PUT', `/files/soak-${n % 5}`, { text: `${edge.name} ${n}` }];
      else if (op === 7) req = ['GET', `/items/${1 + (n % 3)}`];
      else if (op === 8) req = ['GET', '/origin'];
      else req = ['GET', '/hits'];
      stats.requests++;
      try {
        const answer = await call(`${edge.url}${req[1]}`, req[0], req[2]);
        if (answer.status >= 300) throw new Error(`${req[0]} ${req[1]} -> ${answer.status} ${JSON.stringify(answer.body).slice(0, 100)}`);
        if (req[0] === 'POST' && req[1] === '/items') acked.push(answer.body);
        if (req[1] === '/hits' && req[0] === 'POST') stats.hitsAcked++;
      } catch (err) {
        stats.errors++;
        if (stats.errorSamples.length < 5) stats.errorSamples.push(`${edge.name}: ${err.message}`);
      }
    }
  };
  const started = Date.now();
  await Promise.all(edges.flatMap((e) => Array.from({ length: workers }, (_, w) => worker(e, w))));
  const elapsed = (Date.now() - started) / 1000;
  clearInterval(sampler);
  clearInterval(memorySampler);
  await takeSample();
  const rssEnd = Object.fromEntries(replicas.map((r) => [r.name, rssMiB(r.pid)]));

  log('load over; waiting for convergence');
  let lost = [];
  let sums = null;
  let convergedAfter = null;
  const t0 = Date.now();
  while (Date.now() - t0 < 60_000) {
    const views = await Promise.all(replicas.map(async (r) => ({
      rows: new Map((await call(`${r.url}/items`)).body.map((i) => [i.id, i.name])),
      hits: (await call(`${r.url}/hits`)).body.hits,
      tables: JSON.stringify(tableChecksums(join(r.appDir, 'data', 'ledger.db'), ['items'])),
      files: JSON.stringify(fileChecksums(r.appDir, ['data/files/'])),
    })));
    lost = views.flatMap((v, i) => acked.filter((a) => v.rows.get(a.id) !== a.name).map((a) => `${replicas[i].name}:${a.id}`));
    sums = views.map((v) => ({ hits: v.hits, tables: v.tables, files: v.files }));
    const same = sums.every((s) => JSON.stringify(s) === JSON.stringify(sums[0]));
    if (lost.length === 0 && same && sums[0].hits === stats.hitsAcked) {
      convergedAfter = (Date.now() - t0) / 1000;
      break;
    }
    await sleep(500);
  }
  const report = {
    minutes,
    workersPerEdge: workers,
    seconds: Math.round(elapsed),
    requests: stats.requests,
    requestsPerSecond: Math.round(stats.requests / elapsed),
    errors: stats.errors,
    errorSamples: stats.errorSamples,
    insertsAcked: acked.length,
    hitsAcked: stats.hitsAcked,
    lost: lost.length,
    lostSamples: lost.slice(0, 5),
    convergedAfterSeconds: convergedAfter,
    replicas: sums?.map((s, i) => ({ name: replicas[i].name, hits: s.hits, tables: JSON.parse(s.tables) })),
    steady: args.steady,
    rssMiB: Object.fromEntries(replicas.map((r) => [r.name, { start: rssStart[r.name], max: rssMax[r.name], end: rssEnd[r.name] }])),
    // Growth over the second half of the run, when start-up and warm-up are behind.
    rssSlopeMiBPerMinute: Object.fromEntries(replicas.map((r) => {
      const late = series.filter((x) => x.minute >= minutes / 2 && x[r.name]).map((x) => [x.minute, x[r.name].rssMiB]);
      const k = slope(late);
      return [r.name, k === null ? null : Math.round(k * 100) / 100];
    })),
    memorySeries: series,
  };
  console.log(JSON.stringify(report, null, args.json ? 0 : 2));
  if (PROF_DIR) await stopGently();
  cleanup();
  rmSync(scratch, { recursive: true, force: true });
  process.exit(stats.errors === 0 && lost.length === 0 && convergedAfter !== null ? 0 : 1);
} catch (err) {
  cleanup();
  log(`failed: ${err instanceof Error ? err.stack : err}`);
  process.exit(2);
}
