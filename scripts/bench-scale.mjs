#!/usr/bin/env node
// The edge at real sizes (issue 14): what the GENERATED cloud and edge of a bundled subject cost
// with 10k, 100k and 1M replicated rows, and with a 200 MB file and 10,000 small files.
//
// The subject is curio (subjects/curio): its `items` table (id, name, price, favorite, photo;
// rows of ~150 B as JSON) and its replicated `uploads/` folder. It goes through the pipeline a
// user runs (its client recorded with `edgstr record`, analyze, review --accept all, generate
// --target node; scripts/lib/subject-pipeline.mjs), the generated projects are installed, and
// every case starts a fresh cloud (a copy of the generated cloud project) and fresh edges, as
// `node ...` from their `start` scripts, on loopback. Each edge dials the cloud through a TCP
// relay that counts bytes (src/bench/wan-proxy.ts, no delay). The script only talks to them over
// HTTP, their SQLite files (read-only, except the cloud's bulk load below) and /proc, so it
// measures whatever runtime the generated projects carry.
//
// Rows case (per size N):
//   1. load: `--api-rows` rows through the app's own API (POST /items at the cloud), the rest
//      inserted into the cloud app's SQLite file by this process while the cloud runs (batches
//      of 10,000 rows). The runtime's change capture is SQLite triggers (src/runtime/
//      table-schema.ts), which fire for every connection, so the cloud captures these rows as
//      app writes: health's pendingChanges rises after the insert (reported) and falls to 0 once
//      captured; the edge then holds all N rows, which is the proof.
//   2. catch-up: a fresh edge (new data dir) starts; time from its spawn until health says
//      caughtUp and its SQLite table holds every row of the cloud's (rows/s, bytes on the wire).
//   3. edge RSS idle (3 s after catch-up), /proc VmRSS, and health ?memory when it answers.
//   4. sync bytes per row write: `--single-writes` POST /items at the edge, each awaited at the
//      cloud (relay bytes / writes, both directions).
//   5. convergence: `--writes` back-to-back POST /items at the edge (one client), then the time
//      until the cloud holds all of them, from the last answer; edge peak RSS during them.
//   6. resume: a second fresh edge is killed (kill -9, whole process group) once it received half
//      the first edge's catch-up bytes (or, should they come in one piece, once it took as long
//      as the first edge's catch-up), restarted on the same data dir, and timed to caught up;
//      the bytes it receives after the restart over a full catch-up's tell whether it started
//      over (~100 %) or resumed. Nobody writes meanwhile: rows that appear are a problem.
// Files cases (each on a fresh cloud + edge, caught up first): `--files-small` files of 1-4 KiB
//   written into the cloud's uploads/, and one `--files-big-mb` file (written beside, then
//   renamed in); time until the edge holds them all byte for byte, and the RSS growth (peak -
//   before) of the cloud and the edge.
// Budget per case: a process past `--max-rss-mib` (default 4096) or a case past `--max-minutes`
//   (default 10) stops the case (SIGKILL): "did not finish", with what was measured until then.
//
//   npm run build
//   node scripts/bench-scale.mjs [--rows 10000,100000,1000000] [--files-small 10000] [--files-big-mb 200]
//        [--only rows|files] [--skip-writes] [--skip-resume] [--writes 1000] [--single-writes 100]
//        [--api-rows 100] [--max-rss-mib 4096] [--max-minutes 10] [--json out.json] [--workdir DIR] [--keep]
// --workdir DIR reuses an analyzed workdir of curio (skips record + analyze).
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { startWanProxy } from '../dist/bench/wan-proxy.js';
import { generate } from '../dist/generate/index.js';
import { installGenerated } from '../dist/verify/install.js';
import { freePort, processGroup } from './lib/procs.mjs';
import { BudgetExceeded, countRows, createBudget, health, sleep, startNode, waitFor, waitHealthy } from './lib/scale-cluster.mjs';
import { bigFile, sha256, smallFiles } from './lib/scale-files.mjs';
import { printReport } from './lib/scale-report.mjs';
import { analyzeSubject, copySubject, tmpWork } from './lib/subject-pipeline.mjs';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000,100000,1000000' },
    'files-small': { type: 'string', default: '10000' },
    'files-big-mb': { type: 'string', default: '200' },
    only: { type: 'string' },
    'skip-writes': { type: 'boolean', default: false },
    'skip-resume': { type: 'boolean', default: false },
    writes: { type: 'string', default: '1000' },
    'single-writes': { type: 'string', default: '100' },
    'api-rows': { type: 'string', default: '100' },
    'max-rss-mib': { type: 'string', default: '4096' },
    'max-minutes': { type: 'string', default: '10' },
    json: { type: 'string' },
    workdir: { type: 'string' },
    keep: { type: 'boolean', default: false },
  },
});
const usage = (msg) => {
  process.stderr.write(`bench-scale: ${msg}\n`);
  process.exit(1);
};
const count = (flag) => {
  const n = Number(args[flag]);
  if (!Number.isInteger(n) || n < 0) usage(`--${flag} ${args[flag]}: give a whole number >= 0`);
  return n;
};
const sizes = args.rows.split(',').filter(Boolean).map((s) => {
  const n = Number(s.replace(/_/g, ''));
  if (!Number.isInteger(n) || n < 1) usage(`--rows ${args.rows}: give comma-separated row counts, e.g. 10000,100000`);
  return n;
});
if (args.only && !['rows', 'files'].includes(args.only)) usage(`--only ${args.only}: give rows or files`);
const opts = {
  sizes: args.only === 'files' ? [] : sizes,
  smallFiles: args.only === 'rows' ? 0 : count('files-small'),
  bigFileMiB: args.only === 'rows' ? 0 : count('files-big-mb'),
  writes: args['skip-writes'] ? 0 : count('writes'),
  singleWrites: args['skip-writes'] ? 0 : count('single-writes'),
  resume: !args['skip-resume'],
  apiRows: count('api-rows'),
  maxRssMiB: count('max-rss-mib'),
  maxMs: Number(args['max-minutes']) * 60_000,
};
if (!(opts.maxMs > 0)) usage(`--max-minutes ${args['max-minutes']}: give a positive number`);

const SUBJECT = 'curio';
const TABLE = 'items';
const BATCH = 10_000;
const say = (msg) => process.stderr.write(`[bench-scale ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
const group = processGroup({ say });
let live = null;
process.on('SIGINT', () => {
  live?.kill();
  group.killAll();
  process.exit(130);
});
const load = () => loadavg().map((x) => +x.toFixed(2));
const secs = (ms) => Math.round(ms / 10) / 100;

// Rows that look like a shop catalogue's: ~85-char names, a photo name, ~150 B as JSON.
const WORDS = ['brass', 'copper', 'walnut', 'enamel', 'vintage', 'hand-painted', 'porcelain', 'oak', 'glass', 'linen', 'lamp', 'clock', 'vase', 'kettle', 'teapot', 'mirror', 'stool', 'bowl', 'tray', 'candlestick', 'with', 'small', 'chip', 'signed', 'base', 'restored'];
function itemName(i) {
  let name = `No. ${i}:`;
  for (let k = 0; name.length < 80; k++) name += ` ${WORDS[(i * 7 + k * 13 + ((i >> k) & 7)) % WORDS.length]}`;
  return name;
}
const itemRow = (i) => [itemName(i), (i * 7919) % 100_000, i % 5 === 0 ? 1 : 0, i % 2 === 0 ? `item-${i}-photo.jpg` : null];

/** The generated projects, once: pipeline (or --workdir), generate, install. */
async function prepare(work) {
  const appDir = copySubject(SUBJECT);
  const workdir = args.workdir ? path.resolve(args.workdir) : path.join(work, '.edgstr');
  const out = path.join(work, 'out');
  try {
    if (!args.workdir) await analyzeSubject(group, appDir, workdir);
    await generate({ workdir, out, target: 'node', edges: 1, cloudUrl: 'http://127.0.0.1:9' });
  } finally {
    rmSync(appDir, { recursive: true, force: true });
  }
  say('installing the generated projects (npm ci --omit=dev)');
  await Promise.all([installGenerated(path.join(out, 'edge')), installGenerated(path.join(out, 'cloud'))]);
  const config = JSON.parse(readFileSync(path.join(out, 'cloud', 'config.json'), 'utf8'));
  const db = config.tables.find((t) => t.tables.includes(TABLE));
  const folder = config.files.find((f) => f.endsWith('/'));
  if (!db || !folder) throw new Error(`${out}/cloud/config.json: ${SUBJECT}'s ${TABLE} table or a replicated folder is missing (tables ${JSON.stringify(config.tables)}, files ${JSON.stringify(config.files)})`);
  return { out, appSubdir: config.app.dir, dbFile: db.file, folder };
}

/** One case's cluster: a fresh cloud copy, its budget, and edges dialing it through counting relays. */
async function openCluster(gen, label) {
  const scratch = mkdtempSync(path.join(path.dirname(gen.out), `${label}-`));
  const cloudDir = path.join(scratch, 'cloud');
  const modules = path.join(gen.out, 'cloud', 'node_modules');
  cpSync(path.join(gen.out, 'cloud'), cloudDir, { recursive: true, filter: (src) => !src.startsWith(modules) });
  symlinkSync(modules, path.join(cloudDir, 'node_modules'), 'dir');
  const budget = createBudget({ label, maxRssMiB: opts.maxRssMiB, maxMs: opts.maxMs, say });
  const relays = [];
  const cluster = {
    scratch,
    budget,
    cloudApp: path.join(cloudDir, gen.appSubdir),
    cloud: null,
    async startCloud() {
      cluster.cloud = budget.add(startNode('cloud', cloudDir, await freePort(), { EDGSTR_DATA_DIR: path.join(scratch, 'cloud-data') }));
      await waitHealthy(budget, cluster.cloud);
      return cluster.cloud;
    },
    /** A relay to the cloud (fresh byte counters), for one edge. */
    async relay() {
      const relay = await startWanProxy({ targetHost: '127.0.0.1', targetPort: Number(new URL(cluster.cloud.url).port), delayMs: 0, bytesPerSecond: 0 });
      relays.push(relay);
      return relay;
    },
    /** Starts an edge (not waiting for anything): its app state lives in <data>/app (edgstr-config.js). */
    async startEdge(nodeId, relay, dataDir = path.join(scratch, nodeId)) {
      const edge = budget.add(startNode(nodeId, path.join(gen.out, 'edge'), await freePort(), {
        EDGSTR_CLOUD_URL: `http://127.0.0.1:${relay.port}`, EDGSTR_NODE_ID: nodeId, EDGSTR_DATA_DIR: dataDir,
      }));
      return Object.assign(edge, { dataDir, appDir: path.join(dataDir, 'app') });
    },
    kill: () => budget.killAll(),
    async close() {
      await budget.stop();
      await Promise.all(relays.map((r) => r.close()));
      if (!args.keep) rmSync(scratch, { recursive: true, force: true });
    },
  };
  live = cluster;
  return cluster;
}

async function postItem(base, i) {
  const res = await fetch(`${base}/items`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: itemName(i), price: i % 100_000 }) });
  const body = await res.json();
  if (res.status !== 201) throw new Error(`POST ${base}/items: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.id, served: res.headers.get('x-edgstr-served') };
}

/**
 * Waits until `edge` says it is caught up and its table holds as many rows as the cloud's
 * (`rows()`). Caught up for 30 s with a different count is a divergence: the case fails.
 */
async function waitCaughtUp(budget, edge, dbFile, rows) {
  let divergedSince = null;
  return waitFor(budget, async () => {
    const h = await health(edge);
    const have = countRows(path.join(edge.appDir, dbFile), TABLE);
    const want = rows();
    waiting = `${edge.name}: caughtUp ${h?.caughtUp ?? 'no answer'}, peers ${JSON.stringify(h?.peers ?? null)}, ${have} rows, the cloud ${want}`;
    if (h?.caughtUp !== true || have === null) divergedSince = null;
    else if (have === want) return true;
    else if ((divergedSince ??= performance.now()) < performance.now() - 30_000) throw new Error(`${edge.name} diverged: caught up for 30 s, yet it holds ${have} rows of ${TABLE} and the cloud ${want}`);
    return false;
  }, 100);
}
/** What the last wait saw (for the reason of a case that did not finish). */
let waiting = null;

/** Rows case: see the header. Fills `r` phase by phase, so a stopped case keeps what it measured. */
async function measureRows(gen, n, r) {
  const c = await openCluster(gen, `rows-${n}`);
  try {
    const { budget } = c;
    const cloud = await c.startCloud();
    const db = new Database(path.join(c.cloudApp, gen.dbFile), { timeout: 30_000 });
    try {
      const total = () => db.prepare(`SELECT count(*) AS n FROM "${TABLE}"`).get().n;
      // 1. load
      r.phase = 'load';
      const apiRows = Math.min(opts.apiRows, Math.max(0, n - total()));
      let t = performance.now();
      for (let i = 0; i < apiRows; i++) await postItem(cloud.url, i);
      r.load = { apiRows, apiSeconds: secs(performance.now() - t) };
      const bulk = Math.max(0, n - total());
      const insert = db.prepare(`INSERT INTO "${TABLE}" (name, price, favorite, photo) VALUES (?, ?, ?, ?)`);
      const insertMany = db.transaction((from, to) => {
        for (let i = from; i < to; i++) insert.run(...itemRow(i));
      });
      say(`rows ${n}: ${apiRows} rows through POST /items, inserting ${bulk} more into the cloud's ${gen.dbFile}`);
      t = performance.now();
      for (let i = 0; i < bulk; i += BATCH) {
        budget.check();
        insertMany(apiRows + i, apiRows + Math.min(bulk, i + BATCH));
        await sleep(0);
      }
      const inserted = performance.now();
      const rows = total();
      r.rowBytes = Math.round(db.prepare(`SELECT avg(length(json_object('id', id, 'name', name, 'price', price, 'favorite', favorite, 'photo', photo))) AS b FROM "${TABLE}"`).get().b);
      r.load.bulkRows = bulk;
      r.load.insertSeconds = secs(inserted - t);
      r.load.pendingAfterInsert = (await health(cloud))?.pendingChanges ?? null;
      await waitFor(budget, async () => {
        const pending = (await health(cloud))?.pendingChanges;
        waiting = `the cloud's pendingChanges ${pending} (${secs(performance.now() - inserted)} s after the insert)`;
        return pending === 0;
      }, 200);
      r.load.cloudCaptureSeconds = secs(performance.now() - inserted);
      r.rowsTotal = rows;
      await sleep(2000);
      r.cloud = { afterLoad: { ...cloud.memory(), health: (await health(cloud, '?memory'))?.memory ?? null } };
      say(`rows ${n}: the cloud captured ${rows} rows in ${r.load.cloudCaptureSeconds} s; RSS ${r.cloud.afterLoad.rssMiB} MiB`);

      // 2. catch-up of a fresh edge
      r.phase = 'catch-up';
      const relay = await c.relay();
      const edge = await c.startEdge('edge-1', relay);
      await waitCaughtUp(budget, edge, gen.dbFile, () => rows);
      const catchUpMs = performance.now() - edge.startedAt;
      const st = relay.stats();
      r.catchUp = { seconds: secs(catchUpMs), rowsPerSecond: Math.round(rows / (catchUpMs / 1000)), bytesDown: st.down, bytesUp: st.up, edgePeakMiB: edge.memory().hwmMiB };
      say(`rows ${n}: a fresh edge caught up in ${r.catchUp.seconds} s (${r.catchUp.rowsPerSecond} rows/s, ${st.down} B down)`);
      // 3. idle
      await sleep(3000);
      r.edge = { idle: { ...edge.memory(), health: (await health(edge, '?memory'))?.memory ?? null } };

      if (opts.singleWrites > 0 || opts.writes > 0) {
        // 4. bytes per write, one at a time, each awaited at the cloud
        r.phase = 'writes';
        const has = db.prepare(`SELECT 1 FROM "${TABLE}" WHERE id = ?`);
        const served = {};
        relay.resetStats();
        for (let i = 0; i < opts.singleWrites; i++) {
          const w = await postItem(edge.url, 10_000_000 + i);
          served[w.served] = (served[w.served] ?? 0) + 1;
          await waitFor(budget, () => has.get(w.id), 2);
        }
        await sleep(300);
        const ws = relay.stats();
        r.writes = { single: opts.singleWrites };
        if (opts.singleWrites > 0) Object.assign(r.writes, { upBytesPerWrite: Math.round(ws.up / opts.singleWrites), downBytesPerWrite: Math.round(ws.down / opts.singleWrites) });
        // 5. back-to-back writes; convergence at the cloud after the last answer
        const window = budget.window();
        const ids = [];
        t = performance.now();
        for (let i = 0; i < opts.writes; i++) {
          if (i % 50 === 0) budget.check();
          const w = await postItem(edge.url, 20_000_000 + i);
          served[w.served] = (served[w.served] ?? 0) + 1;
          ids.push(w.id);
        }
        const written = performance.now();
        const held = db.prepare(`SELECT count(*) AS n FROM "${TABLE}" WHERE id IN (SELECT value FROM json_each(?))`);
        const idsJson = JSON.stringify(ids);
        await waitFor(budget, () => held.get(idsJson).n === ids.length, 5);
        Object.assign(r.writes, { burst: opts.writes, writeSeconds: secs(written - t), convergeMs: Math.round(performance.now() - written), served });
        r.edge.underWritesPeakMiB = window.peak(edge);
        r.cloud.underWritesPeakMiB = window.peak(cloud);
        window.close();
        await sleep(2000);
        r.edge.afterWrites = edge.memory();
        say(`rows ${n}: ${r.writes.upBytesPerWrite} B up per write; ${opts.writes} writes in ${r.writes.writeSeconds} s, at the cloud ${r.writes.convergeMs} ms after the last`);
      }

      // 6. interrupted catch-up
      if (opts.resume) {
        r.phase = 'resume';
        const before = total();
        const relay2 = await c.relay();
        let edge2 = await c.startEdge('edge-2', relay2);
        const t2 = edge2.startedAt;
        // Mid catch-up: once half the bytes of a full catch-up arrived (or, should they come in
        // one piece, once it has taken as long as a full catch-up did).
        const trigger = await waitFor(budget, () => {
          const down = relay2.stats().down;
          const ms = performance.now() - t2;
          return down >= r.catchUp.bytesDown / 2 ? 'half the bytes' : (ms >= catchUpMs && down > 0) || ms >= 2 * catchUpMs ? 'catch-up time' : null;
        }, 5);
        const killedAt = { trigger, seconds: secs(performance.now() - t2), bytesDown: relay2.stats().down };
        await edge2.kill();
        killedAt.edgeRows = countRows(path.join(edge2.appDir, gen.dbFile), TABLE);
        relay2.resetStats();
        edge2 = await c.startEdge('edge-2', relay2, edge2.dataDir);
        await waitCaughtUp(budget, edge2, gen.dbFile, total);
        const after = relay2.stats().down;
        const fraction = Math.round((after / r.catchUp.bytesDown) * 100) / 100;
        // Nobody writes during this phase: rows that appear anyway were made by the restart
        // (seen: the app's first-start seeding ran again at the restarted edge and replicated).
        r.resume = { killedAt, restartSeconds: secs(performance.now() - edge2.startedAt), bytesDownAfterRestart: after, resentFraction: fraction,
          verdict: fraction >= 0.8 ? 'starts over' : fraction <= 0.6 ? 'resumes' : 'partly resumes', rowsAddedByRestart: total() - before };
        if (r.resume.rowsAddedByRestart !== 0) r.problems = [`after the interrupted catch-up, ${r.resume.rowsAddedByRestart} rows nobody wrote appeared at the cloud: ${JSON.stringify(db.prepare(`SELECT id, name FROM "${TABLE}" ORDER BY id DESC LIMIT 3`).all())}`];
        say(`rows ${n}: killed edge-2 after ${killedAt.seconds} s (${killedAt.bytesDown} B); after its restart it caught up in ${r.resume.restartSeconds} s, ${Math.round(fraction * 100)} % of a full catch-up's bytes: ${r.resume.verdict}`);
        for (const p of r.problems ?? []) say(`rows ${n}: PROBLEM: ${p}`);
      }
      r.cloud.end = cloud.memory();
    } finally {
      db.close();
    }
  } catch (err) {
    r.peakRssMiB = c.budget.peaks();
    r.tails = c.budget.tails();
    throw err;
  } finally {
    await c.close();
  }
}

/** Files case: `files` are [{ name, size, write(dir) }] written into the cloud's replicated folder. */
async function measureFiles(gen, label, files, r) {
  const c = await openCluster(gen, label);
  try {
    const { budget } = c;
    const cloud = await c.startCloud();
    const relay = await c.relay();
    const edge = await c.startEdge('edge-1', relay);
    await waitCaughtUp(budget, edge, gen.dbFile, () => countRows(path.join(c.cloudApp, gen.dbFile), TABLE));
    await sleep(2000);
    const before = { cloud: cloud.memory(), edge: edge.memory() };
    const window = budget.window();
    // RSS growth so far (also for a case the budget stops: the peak it reached until then).
    const side = (proc, k, after) => {
      const peak = window.peak(proc);
      return { rssBeforeMiB: before[k].rssMiB, peakMiB: peak, afterMiB: after?.rssMiB, growthMiB: Math.round((peak - before[k].rssMiB) * 10) / 10 };
    };
    r.growth = () => Object.assign(r, { cloud: side(cloud, 'cloud'), edge: side(edge, 'edge'), bytesDown: relay.stats().down });
    relay.resetStats();
    const cloudDir = path.join(c.cloudApp, gen.folder);
    const edgeDir = path.join(edge.appDir, gen.folder);
    const t = performance.now();
    const sums = new Map();
    for (const [i, f] of files.entries()) {
      if (i % 100 === 0) budget.check();
      sums.set(f.name, await f.write(cloudDir, c.scratch));
    }
    const written = performance.now();
    r.writeSeconds = secs(written - t);
    say(`${label}: wrote ${files.length} file(s) in the cloud's ${gen.folder} in ${r.writeSeconds} s; waiting for the edge`);
    const sizeAt = (name) => {
      try {
        return statSync(path.join(edgeDir, name)).size;
      } catch {
        return -1;
      }
    };
    await waitFor(budget, () => {
      const missing = files.filter((f) => sizeAt(f.name) !== f.size).length;
      waiting = `${missing} of ${files.length} file(s) not yet whole at the edge`;
      return missing === 0;
    }, 250);
    const arrived = performance.now();
    for (const f of files) {
      const sum = f.size > 2 ** 20 ? await sha256(path.join(edgeDir, f.name)) : createHash('sha256').update(readFileSync(path.join(edgeDir, f.name))).digest('hex');
      if (sum !== sums.get(f.name)) throw new Error(`${label}: ${f.name} at the edge differs from the cloud's`);
    }
    const peaks = { cloud: side(cloud, 'cloud'), edge: side(edge, 'edge') };
    r.bytesDown = relay.stats().down;
    await sleep(3000);
    Object.assign(r, { seconds: secs(arrived - t), cloud: { ...peaks.cloud, afterMiB: cloud.memory().rssMiB }, edge: { ...peaks.edge, afterMiB: edge.memory().rssMiB } });
    window.close();
    say(`${label}: at the edge ${r.seconds} s after the first write; RSS growth cloud ${r.cloud.growthMiB} MiB, edge ${r.edge.growthMiB} MiB`);
  } catch (err) {
    r.growth?.();
    r.tails = c.budget.tails();
    throw err;
  } finally {
    delete r.growth;
    await c.close();
  }
}

/** Runs one case under its budget; an exceeded budget is a result ("did not finish"), not a crash. */
async function runCase(r, fn) {
  const t = performance.now();
  waiting = null;
  r.loadAverageBefore = load();
  try {
    await fn(r);
    r.status = 'ok';
  } catch (err) {
    r.status = err instanceof BudgetExceeded ? 'did not finish' : 'failed';
    r.reason = `${r.phase ? `${r.phase}: ` : ''}${err instanceof Error ? err.message : String(err)}${waiting ? ` (last seen: ${waiting})` : ''}`;
    say(`${r.case}: ${r.status}: ${r.reason}`);
    for (const t of r.tails ?? []) say(`  ${t.replace(/\n/g, '\n    ')}`);
  }
  r.caseSeconds = secs(performance.now() - t);
  r.loadAverageAfter = load();
  return r;
}

const work = tmpWork('scale');
const report = { subject: SUBJECT, table: TABLE, node: process.version, when: new Date().toISOString(), loadAverageStart: load(),
  budget: { maxRssMiB: opts.maxRssMiB, maxMinutes: opts.maxMs / 60_000 }, command: `node scripts/bench-scale.mjs ${process.argv.slice(2).join(' ')}`.trim(), cases: [] };
try {
  const gen = await prepare(work);
  for (const n of opts.sizes) report.cases.push(await runCase({ case: `rows ${n}`, kind: 'rows', rows: n }, (r) => measureRows(gen, n, r)));
  if (opts.smallFiles > 0) {
    report.cases.push(await runCase({ case: `${opts.smallFiles} small files`, kind: 'files', files: opts.smallFiles },
      (r) => measureFiles(gen, 'small-files', smallFiles(opts.smallFiles), r)));
  }
  if (opts.bigFileMiB > 0) {
    report.cases.push(await runCase({ case: `one ${opts.bigFileMiB} MiB file`, kind: 'files', files: 1, mib: opts.bigFileMiB },
      (r) => measureFiles(gen, 'big-file', bigFile(opts.bigFileMiB), r)));
  }
  report.loadAverageEnd = load();
  if (args.json) writeFileSync(args.json, `${JSON.stringify(report, null, 2)}\n`);
  printReport(report);
} finally {
  if (!args.keep) rmSync(work, { recursive: true, force: true });
  else say(`kept ${work}`);
}
