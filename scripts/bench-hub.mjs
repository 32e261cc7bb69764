#!/usr/bin/env node
// One hub, many edges (issue 16): how many edges can one cloud hub serve?
//
// The hub is the real runtime's cloud replica (startReplica, role cloud, the generated cloud's
// defaults) serving the sync hub on its own HTTP server, in its own process
// (scripts/lib/hub-cloud.mjs). The edges are real runtime edge replicas without an app, several
// per worker process (scripts/lib/hub-edges.mjs), each with its own data dir, its own copy of the
// snapshot and its own socket.io connection, named as operators name them (pi-kitchen-07). The
// replicated state is the donut shop's (scripts/lib/hub-state.mjs): its three tables, an
// `orders` table, and one replicated counter. Everything runs on loopback.
//
// Per N edges: start the hub, start the edges (each caught up with the hub), then every edge
// writes `--rate` times a second for `--seconds` (an order under its own key; every 5th write
// updates a shared donut row, every 10th also increments the counter), each write a local
// transaction as the generated edge serves a request. Measured:
//   - lag of an order from the edge that wrote it until every other edge holds it (p50/p95;
//     edges look for new orders every `--poll-ms`, which the lag includes);
//   - convergence: from the last write until every edge's state equals the hub's (health ?docs:
//     table digests and document heads), the hub holds every order and the counter adds up;
//   - hub CPU (user + system from /proc, during the writes) per second and per edge, and per
//     write from the first write until convergence (a hub that fell behind works on); hub RSS
//     before the edges, with them connected and idle (per edge), and its peak during writes;
//   - hub event-loop delay (p99 during the writes);
//   - sync bytes per write at the hub: every byte of every TCP connection of the hub's server
//     (it serves only the sync hub), in and out, from the first write to convergence;
//   - reconnects (TCP connections beyond one per edge) and write errors.
// A case whose process grows past `--max-rss-mib` or that runs past `--max-minutes` is stopped
// (scale-cluster.mjs's budget): "did not finish". `--profile N` runs the hub of the N-edge case
// under `node --cpu-prof` and prints its hottest frames.
//
//   npm run build
//   node scripts/bench-hub.mjs [--edges 10,50,100] [--rate 2] [--seconds 30] [--edges-per-worker 25]
//        [--poll-ms 25] [--edge-flush-ms 500] [--converge-timeout 120] [--max-rss-mib 3072]
//        [--max-minutes 10] [--profile N] [--json out.json] [--keep]
import { randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { forkProc } from './lib/hub-procs.mjs';
import { findProfile, summarizeProfile } from './lib/hub-profile.mjs';
import { printHubReport } from './lib/hub-report.mjs';
import { writeSeed } from './lib/hub-state.mjs';
import { BudgetExceeded, countRows, createBudget, sleep } from './lib/scale-cluster.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    edges: { type: 'string', default: '10,50,100' },
    rate: { type: 'string', default: '2' },
    seconds: { type: 'string', default: '30' },
    'edges-per-worker': { type: 'string', default: '25' },
    'poll-ms': { type: 'string', default: '25' },
    'edge-flush-ms': { type: 'string', default: '500' },
    'shared-every': { type: 'string', default: '5' },
    'global-every': { type: 'string', default: '10' },
    'converge-timeout': { type: 'string', default: '120' },
    'max-rss-mib': { type: 'string', default: '3072' },
    'max-minutes': { type: 'string', default: '10' },
    profile: { type: 'string' },
    json: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const positive = (name) => {
  const v = Number(flags[name]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`bench-hub: --${name} must be a positive number (got ${flags[name]})\n`);
    process.exit(1);
  }
  return v;
};
const edgeCounts = flags.edges.split(',').map((s) => Number(s.trim()));
if (edgeCounts.some((n) => !Number.isInteger(n) || n < 2)) {
  process.stderr.write(`bench-hub: --edges must list whole numbers >= 2, comma-separated (got ${flags.edges})\n`);
  process.exit(1);
}
const opts = {
  rate: positive('rate'),
  seconds: positive('seconds'),
  edgesPerWorker: positive('edges-per-worker'),
  pollMs: positive('poll-ms'),
  edgeFlushMs: positive('edge-flush-ms'),
  sharedEvery: Number(flags['shared-every']),
  globalEvery: Number(flags['global-every']),
  convergeTimeoutMs: positive('converge-timeout') * 1000,
  maxRssMiB: positive('max-rss-mib'),
  maxMinutes: positive('max-minutes'),
  profile: flags.profile ? Number(flags.profile) : null,
};
const say = (msg) => process.stderr.write(`[bench-hub] ${msg}\n`);
const round = (v, d = 1) => Math.round(v * 10 ** d) / 10 ** d;
const pct = (xs, p) => (xs.length ? [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))] : null);
const load = () => loadavg().map((x) => round(x, 2));

const SITES = ['kitchen', 'bakery', 'front', 'depot', 'market', 'harbor', 'airport', 'campus', 'mall', 'station'];
/** Operator-style node ids: pi-kitchen-01 .. pi-station-NN (ten sites). */
const edgeName = (i) => `pi-${SITES[i % SITES.length]}-${String(Math.floor(i / SITES.length) + 1).padStart(2, '0')}`;

let current = null;
process.on('SIGINT', () => {
  current?.killAll();
  process.exit(130);
});

/** One case: a hub and N edges in W workers; returns its measurements (or why it stopped). */
async function runCase(n) {
  const label = `${n} edges`;
  const scratch = mkdtempSync(path.join(tmpdir(), `edgstr-bench-hub-${n}-`));
  const secret = randomBytes(16).toString('hex');
  const seed = path.join(scratch, 'seed.db');
  writeSeed(seed);
  const hubDir = path.join(scratch, 'hub');
  mkdirSync(path.join(hubDir, 'app'), { recursive: true });
  cpSync(seed, path.join(hubDir, 'app', 'donuts.db'));
  const budget = createBudget({ label, maxRssMiB: opts.maxRssMiB, maxMs: opts.maxMinutes * 60_000, say });
  current = budget;
  const profiled = opts.profile === n;
  const r = { case: label, edges: n, status: 'ok', loadAverageStart: load() };
  // Any failure while the budget stopped the case is the budget's doing: say so.
  const guarded = async (promise) => {
    try {
      return await promise;
    } catch (err) {
      budget.check();
      throw err;
    }
  };
  try {
    const hub = budget.add(forkProc('hub', path.join(here, 'lib', 'hub-cloud.mjs'), [hubDir, secret], {
      execArgv: profiled ? ['--cpu-prof', `--cpu-prof-dir=${scratch}`] : [],
    }));
    const { port } = await guarded(hub.ready);
    const hubUrl = `http://127.0.0.1:${port}`;
    await sleep(500);
    r.hub = { rssBeforeEdgesMiB: hub.memory().rssMiB };
    const workerCount = Math.ceil(n / opts.edgesPerWorker);
    const workers = Array.from({ length: workerCount }, (_, w) => budget.add(forkProc(`edges-${w + 1}`, path.join(here, 'lib', 'hub-edges.mjs'), [String(w + 1)])));
    await guarded(Promise.all(workers.map((w) => w.ready)));
    const specs = workers.map(() => []);
    for (let i = 0; i < n; i++) {
      specs[i % workerCount].push({ name: edgeName(i), dir: path.join(scratch, edgeName(i)), seed, hubUrl, secret, flushIntervalMs: opts.edgeFlushMs });
    }
    say(`${label}: starting ${n} edges in ${workerCount} worker processes`);
    let t = performance.now();
    await guarded(Promise.all(workers.map((w, i) => w.request('start', { edges: specs[i], concurrency: 5 }))));
    r.startSeconds = round((performance.now() - t) / 1000);
    await sleep(2000);
    budget.check();
    const before = await guarded(hub.request('stats', {}));
    if (before.peers !== n) throw new Error(`the hub has ${before.peers} sync peers, expected ${n}`);
    r.hub.rssIdleMiB = hub.memory().rssMiB;
    r.hub.rssPerEdgeMiB = round((r.hub.rssIdleMiB - r.hub.rssBeforeEdgesMiB) / n, 2);

    say(`${label}: writing for ${opts.seconds} s at ${opts.rate}/s per edge`);
    const window = budget.window();
    const cpu0 = hub.cpuSeconds();
    const workerCpu0 = workers.map((w) => w.cpuSeconds());
    const t0 = Date.now();
    const runs = await guarded(Promise.all(workers.map((w) => w.request('run', {
      rate: opts.rate, seconds: opts.seconds, pollMs: opts.pollMs, sharedEvery: opts.sharedEvery, globalEvery: opts.globalEvery,
    }))));
    const stoppedAt = Math.max(...runs.map((x) => x.stoppedAt));
    const writeSeconds = (stoppedAt - t0) / 1000;
    const cpu1 = hub.cpuSeconds();
    const workerCpu1 = workers.map((w) => w.cpuSeconds());
    const during = await guarded(hub.request('stats', {}));
    r.hub.rssPeakMiB = window.peak(hub);
    window.close();
    const sum = (k) => runs.reduce((s, x) => s + x[k], 0);
    r.writes = { inserts: sum('inserts'), updates: sum('updates'), increments: sum('increments'), errors: sum('errors'), errorSamples: runs.flatMap((x) => x.errorSamples).slice(0, 5) };
    r.writes.total = r.writes.inserts + r.writes.updates;
    r.writes.perSecond = round(r.writes.total / writeSeconds);
    r.hub.cpuSecondsPerSecond = round((cpu1 - cpu0) / writeSeconds, 3);
    r.hub.cpuMsPerSecondPerEdge = round(((cpu1 - cpu0) / writeSeconds / n) * 1000, 2);
    r.hub.cpuMsPerWrite = round(((cpu1 - cpu0) / r.writes.total) * 1000, 2);
    r.hub.loopDelayMs = { p99: round(during.loop.p99), max: round(during.loop.max) };
    r.workersCpuSecondsPerSecond = round(workerCpu1.reduce((s, c, i) => s + c - workerCpu0[i], 0) / writeSeconds, 2);

    say(`${label}: ${r.writes.total} writes; waiting for every edge to hold the hub's state`);
    const hubDb = path.join(hubDir, 'app', 'donuts.db');
    let last = null;
    const converged = async () => {
      const [h, ...states] = await Promise.all([hub.request('stats', { docs: true }), ...workers.map((w) => w.request('state'))]);
      const edges = states.flatMap((s) => s.edges);
      const hubOrders = countRows(hubDb, 'orders');
      const same = edges.filter((e) => Object.entries(h.docs).every(([k, v]) => e.docs[k] === v) && e.orders === r.writes.inserts);
      last = { hubOrders, hubSold: h.sold, edgesEqual: same.length, peers: h.peers, edgesConnected: edges.filter((e) => e.peers === 1).length,
        ranges: edges.filter((e) => e.rangeIndex !== null).length };
      return hubOrders === r.writes.inserts && h.sold === r.writes.increments && same.length === n;
    };
    let done = false;
    while (!done && Date.now() - stoppedAt < opts.convergeTimeoutMs) {
      done = await guarded(converged());
      if (!done) await sleep(250);
    }
    const convergedAt = Date.now();
    const cpu2 = hub.cpuSeconds();
    const after = await guarded(hub.request('stats', {}));
    r.convergence = { converged: done, afterLastWriteMs: done ? convergedAt - stoppedAt : null, ...last };
    r.hub.cpuSecondsConverging = round(cpu2 - cpu1, 2);
    // A hub that falls behind does the rest of the work after the writes stop: this counts all of it.
    r.hub.cpuMsPerWriteToConvergence = round(((cpu2 - cpu0) / r.writes.total) * 1000, 2);
    if (!done) {
      r.status = 'did not converge';
      r.reason = `within ${opts.convergeTimeoutMs / 1000} s of the last write: ${last.edgesEqual} of ${n} edges equal to the hub, hub ${last.hubOrders} of ${r.writes.inserts} orders`;
    }
    const bytesIn = after.bytesRead - before.bytesRead;
    const bytesOut = after.bytesWritten - before.bytesWritten;
    r.bytes = { in: bytesIn, out: bytesOut, inPerWrite: Math.round(bytesIn / r.writes.total), outPerWrite: Math.round(bytesOut / r.writes.total),
      perWrite: Math.round((bytesIn + bytesOut) / r.writes.total), outPerWritePerOtherEdge: Math.round(bytesOut / r.writes.total / (n - 1)) };
    r.reconnects = after.connections - n;
    // What the hub logged last (dropped peers, refused messages), for a case that went wrong.
    r.hubLog = hub.tail().split('\n').slice(-8);
    r.edgeLogs = workers.flatMap((w) => w.tail().split('\n').filter((l) => /warn|fail|refus|reconnect|error/i.test(l)).slice(-4));
    r.refusedMessages = after.refusedMessages;

    const lists = await guarded(Promise.all(workers.map((w) => w.request('arrivals'))));
    const all = new Map();
    for (const { arrivals } of lists) {
      for (const [id, lag, seen] of arrivals) {
        const a = all.get(id);
        if (a) {
          a[0] = Math.max(a[0], lag);
          a[1] += seen;
        } else all.set(id, [lag, seen]);
      }
    }
    const complete = [...all.values()].filter(([, seen]) => seen === n - 1).map(([lag]) => lag);
    r.lagToAllMs = { p50: pct(complete, 0.5), p95: pct(complete, 0.95), max: pct(complete, 1), orders: complete.length, incomplete: r.writes.inserts - complete.length };

    r.loadAverageEnd = load();
    await Promise.all(workers.map((w) => w.stop()));
    await hub.stop();
    if (profiled) {
      const file = findProfile(scratch);
      if (file) {
        r.profile = summarizeProfile(file);
        const kept = path.join(flags.json ? path.dirname(path.resolve(flags.json)) : tmpdir(), `bench-hub-${n}.cpuprofile`);
        cpSync(file, kept);
        r.profile.file = kept;
      } else r.profile = { error: 'no .cpuprofile was written' };
    }
  } catch (err) {
    r.status = err instanceof BudgetExceeded ? 'did not finish' : 'failed';
    r.reason = err instanceof Error ? err.message : String(err);
    r.tails = budget.tails();
    r.peakRssMiB = budget.peaks();
    say(`${label}: ${r.status}: ${r.reason}`);
  } finally {
    await budget.stop();
    current = null;
    if (opts.keep) say(`kept ${scratch}`);
    else rmSync(scratch, { recursive: true, force: true });
  }
  return r;
}

const report = {
  command: `node scripts/bench-hub.mjs ${process.argv.slice(2).join(' ')}`.trim(),
  when: new Date().toISOString(),
  node: process.version,
  loadAverageStart: load(),
  options: opts,
  cases: [],
};
for (const n of edgeCounts) {
  report.cases.push(await runCase(n));
  if (flags.json) writeFileSync(flags.json, `${JSON.stringify(report, null, 2)}\n`);
}
report.loadAverageEnd = load();
if (flags.json) writeFileSync(flags.json, `${JSON.stringify(report, null, 2)}\n`);
printHubReport(report);
process.exitCode = report.cases.every((c) => c.status === 'ok') ? 0 : 1;
