#!/usr/bin/env node
// Measures the edgstr runtime's sync on loopback (issue 4 goals): sync bytes per row write
// (against the original request + response bytes and the whole replicated state),
// edge write latency against the same INSERT in a plain better-sqlite3 app (in-process and
// over HTTP from a separate client process), time to converge after 1,000 writes, edge RSS
// with 10,000 replicated rows. The cloud runs in a child process (its own RSS), the edge in
// this one (with a generated edge's node flags), the HTTP client in a third.
//
//   npm run build && node scripts/bench-sync.mjs [--writes 1000] [--rows 10000] [--requests 500] [--json]
// Diagnostics: BENCH_EDGE_PROF=FILE writes a CPU profile of the edge during the HTTP phase,
// BENCH_CLOUD_PROF=DIR profiles the cloud process, BENCH_MEM_DETAIL=1 prints V8 heap spaces.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, createServer, request as httpRequest } from 'node:http';
import { loadavg } from 'node:os';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

const here = dirname(fileURLToPath(import.meta.url));
const runtime = await import(join(here, '..', 'dist', 'runtime', 'index.js'));
const SECRET = 'bench-secret';
const SCHEMA = 'CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, body TEXT)';
process.env.EDGSTR_QUIET = '1';

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
}

function makeDb(file) {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  return db;
}

function config(role, dir, extra = {}) {
  return {
    role, nodeId: role === 'cloud' ? 'cloud' : 'edge-1', secret: SECRET, dataDir: join(dir, 'data'),
    rangeIndex: role === 'cloud' ? 0 : 1, tables: [{ file: join(dir, 'app.db'), tables: ['notes'] }],
    files: { root: dir, paths: [] }, globals: [], ...extra,
  };
}

/** Cloud process: the app's HTTP server with the hub, plus /count and /bulk for the bench. */
async function runCloud() {
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-bench-cloud-'));
  const db = makeDb(join(dir, 'app.db'));
  const replica = await runtime.startReplica(config('cloud', dir));
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/count') {
      res.end(String(db.prepare('SELECT count(*) AS n FROM notes').get().n));
    } else if (url.pathname === '/bulk') {
      const n = Number(url.searchParams.get('n'));
      const insert = db.prepare('INSERT INTO notes (title, body) VALUES (?, ?)');
      db.transaction(() => { for (let i = 0; i < n; i++) insert.run(`bulk ${i}`, 'x'.repeat(100)); })();
      res.end('ok');
    } else if (url.pathname === '/rss') {
      res.end(String(process.memoryUsage().rss));
    } else res.end('app');
  });
  replica.attachHub(server);
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.on('SIGTERM', async () => {
    await replica.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

/** Wraps a transport endpoint to count the bytes of sync messages in each direction. */
function counting(endpoint, counts) {
  return {
    close: () => endpoint.close(),
    onConnection(handler) {
      endpoint.onConnection((c) => {
        handler({
          remoteId: c.remoteId,
          send(m) { if (m.type === 'sync') { counts.sent += m.data.length; counts.sentMsgs++; } c.send(m); },
          onMessage(h) { c.onMessage((raw) => { if (raw?.data?.length) { counts.received += raw.data.length; counts.receivedMsgs++; } h(raw); }); },
          onClose: (h) => c.onClose(h),
          close: () => c.close(),
        });
      });
    },
  };
}

/** The original app: the same INSERT behind the same HTTP handler, no edgstr, its own process. */
async function runPlainApp() {
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-bench-plain-'));
  const db = makeDb(join(dir, 'app.db'));
  const insert = db.prepare('INSERT INTO notes (title, body) VALUES (?, ?)');
  const handle = noteHandler((title, body) => insert.run(title, body).lastInsertRowid);
  const server = createServer((req, res) => {
    if (req.url === '/cpu') res.end(JSON.stringify(process.cpuUsage()));
    else handle(req, res);
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
  process.on('SIGTERM', () => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
}

/** POST /notes {title, body} -> 201 with the row: the same handler for the plain app and the edge. */
function noteHandler(insertNote) {
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const { title, body } = JSON.parse(Buffer.concat(chunks).toString());
      const id = await insertNote(title, body);
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: Number(id), title, body }));
    });
  };
}

/**
 * Client process: `n` sequential POSTs to each of two routes, alternating, keep-alive (one
 * request in flight at a time, like one user); prints the latencies in ms as JSON.
 */
async function runClient(plainBase, edgeBase, n) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  // The sockets to the plain app: their byte counts are the original request + response bytes.
  const plainSockets = new Set();
  const post = (path) => new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = httpRequest(path === '/plain' ? `${plainBase}/notes` : `${edgeBase}/notes`, { method: 'POST', agent, headers: { 'content-type': 'application/json' } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode === 201 ? resolve(performance.now() - t0) : reject(new Error(`${path}: ${res.statusCode}`))));
    });
    req.on('error', reject);
    if (path === '/plain') req.once('socket', (socket) => plainSockets.add(socket));
    req.end(JSON.stringify({ title: 'a note', body: 'a body of about forty characters, fixed..' }));
  });
  const out = { plain: [], edge: [] };
  for (let i = 0; i < 50; i++) { await post('/plain'); await post('/edge'); }
  for (let i = 0; i < n; i++) {
    out.plain.push(await post('/plain'));
    out.edge.push(await post('/edge'));
  }
  agent.destroy();
  out.plainBytesPerRequest = [...plainSockets].reduce((sum, sk) => sum + sk.bytesRead + sk.bytesWritten, 0) / (n + 50);
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

async function startProfile() {
  const { Session } = await import('node:inspector/promises');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop(file) {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** BENCH_MEM_DETAIL: external memory (mostly Automerge's WASM, which never shrinks) at a point. */
const memNote = (where) => {
  if (process.env.BENCH_MEM_DETAIL) progress(`${where}: rss ${(process.memoryUsage().rss / 2 ** 20).toFixed(1)} MB, external ${(process.memoryUsage().external / 2 ** 20).toFixed(1)} MB`);
};
const progress = (msg) => process.stderr.write(`[bench] ${msg}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function main() {
  const writes = arg('writes', 1000);
  const rows = arg('rows', 10000);
  const requests = arg('requests', 500);
  const loadBefore = loadavg();
  const cloud = spawn(process.execPath, [...(process.env.BENCH_CLOUD_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CLOUD_PROF}`] : []), fileURLToPath(import.meta.url), '--cloud'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port } = await new Promise((resolve) => cloud.stdout.once('data', (d) => resolve(JSON.parse(String(d)))));
  const base = `http://127.0.0.1:${port}`;
  // Retry: an idle keep-alive socket closed by the server races with the next request.
  const get = async (path) => {
    for (let attempt = 0; ; attempt++) {
      try {
        return await (await fetch(`${base}${path}`)).text();
      } catch (err) {
        if (attempt >= 3) throw err;
      }
    }
  };
  const cloudCount = async () => Number(await get('/count'));
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-bench-edge-'));
  const app = makeDb(join(dir, 'app.db'));
  const counts = { sent: 0, received: 0, sentMsgs: 0, receivedMsgs: 0 };
  const edge = await runtime.startReplica(config('edge', dir, { initialSyncTimeoutMs: 0 }));
  edge.attachTransport(counting(runtime.dialSocketIo(base, { secret: SECRET, nodeId: 'edge-1' }), counts));
  progress('edge started');
  while (edge.health().peers.length === 0) await sleep(20);
  progress('connected');
  memNote('connected');
  await sleep(300);
  const insert = app.prepare('INSERT INTO notes (title, body) VALUES (?, ?)');
  const write = async (title) => {
    const tx = await edge.begin();
    insert.run(title, 'a body of about forty characters, fixed..');
    await tx.commit();
  };

  // 1. Bytes per row write, one request at a time (each synced before the next).
  const single = 100;
  const before = { ...counts };
  const commitMs = [];
  for (let i = 0; i < single; i++) {
    const t0 = performance.now();
    await write(`single ${i}`);
    commitMs.push(performance.now() - t0);
    while ((await cloudCount()) < i + 1) await sleep(2);
    if (i % 20 === 0) progress(`single ${i}`);
  }
  await sleep(300);
  const perWrite = {
    edgeToCloudBytes: (counts.sent - before.sent) / single,
    cloudToEdgeBytes: (counts.received - before.received) / single,
    messagesPerWrite: (counts.sentMsgs - before.sentMsgs + counts.receivedMsgs - before.receivedMsgs) / single,
    commitP50ms: pct(commitMs, 0.5),
    commitP95ms: pct(commitMs, 0.95),
  };

  // 2. Write latency: the same INSERT in the original app (a plain better-sqlite3 database, no
  // edgstr) and at the edge (begin, INSERT, commit on the replicated database).
  memNote('after 100 single writes');
  const plainDb = makeDb(join(dir, 'plain.db'));
  const plainInsert = plainDb.prepare('INSERT INTO notes (title, body) VALUES (?, ?)');
  // 2a. In-process, back to back: the edge's begin() captures the previous write (nothing runs
  // between two calls), so this is the cost per write, not what a client waits for.
  const inProcess = { plain: [], edge: [] };
  for (let i = 0; i < 300; i++) {
    let t = performance.now();
    plainInsert.run(`plain ${i}`, 'a body of about forty characters, fixed..');
    inProcess.plain.push(performance.now() - t);
    t = performance.now();
    await write(`inproc ${i}`);
    inProcess.edge.push(performance.now() - t);
  }
  // 2b. Over HTTP from a client process, alternating between the plain app (its own process)
  // and the edge (this process): what a client waits for, request to answer.
  const plainApp = spawn(process.execPath, [fileURLToPath(import.meta.url), '--plain-app'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const { port: plainPort } = await new Promise((resolve) => plainApp.stdout.once('data', (d) => resolve(JSON.parse(String(d)))));
  const edgeServer = createServer(noteHandler(async (title, body) => {
    const tx = await edge.begin();
    const id = insert.run(title, body).lastInsertRowid;
    await tx.commit();
    return id;
  }));
  await new Promise((r) => edgeServer.listen(0, '127.0.0.1', r));
  const client = spawn(process.execPath, [fileURLToPath(import.meta.url), '--client', `http://127.0.0.1:${plainPort}`,
    `http://127.0.0.1:${edgeServer.address().port}`, String(requests)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let clientOut = '';
  client.stdout.on('data', (d) => (clientOut += d));
  // BENCH_EDGE_PROF=FILE: a CPU profile of the edge during this phase only (open in Chrome DevTools).
  const prof = process.env.BENCH_EDGE_PROF ? await startProfile() : null;
  const edgeCpu0 = process.cpuUsage();
  const plainCpu0 = JSON.parse(await (await fetch(`http://127.0.0.1:${plainPort}/cpu`)).text());
  await new Promise((r) => client.once('exit', r));
  // Let the edge finish what follows the last answer (capture, send, fsync) before reading its CPU.
  await sleep(300);
  const edgeCpu = process.cpuUsage(edgeCpu0);
  if (prof) await prof.stop(process.env.BENCH_EDGE_PROF);
  const plainCpu1 = JSON.parse(await (await fetch(`http://127.0.0.1:${plainPort}/cpu`)).text());
  const cpuMs = (c) => (c.user + c.system) / 1000;
  const cpuPerRequest = {
    plainMs: (cpuMs(plainCpu1) - cpuMs(plainCpu0)) / (requests + 50),
    edgeMs: cpuMs(edgeCpu) / (requests + 50),
  };
  edgeServer.close();
  plainApp.kill('SIGTERM');
  const overHttp = JSON.parse(clientOut);
  while ((await cloudCount()) < single + 300 + (requests + 50)) await sleep(5);
  const latency = {
    inProcessPlainP50ms: pct(inProcess.plain, 0.5), inProcessEdgeP50ms: pct(inProcess.edge, 0.5),
    inProcessEdgeP95ms: pct(inProcess.edge, 0.95),
    httpRequests: requests, httpPlainP50ms: pct(overHttp.plain, 0.5), httpEdgeP50ms: pct(overHttp.edge, 0.5),
    httpPlainP95ms: pct(overHttp.plain, 0.95), httpEdgeP95ms: pct(overHttp.edge, 0.95),
    cpuPerRequestPlainMs: cpuPerRequest.plainMs, cpuPerRequestEdgeMs: cpuPerRequest.edgeMs,
  };
  // What one write's sync (edge -> cloud) compares with: the original request + response on the
  // wire, and shipping the whole replicated state (every row of the table, as JSON) per write.
  perWrite.originalRequestResponseBytes = overHttp.plainBytesPerRequest;
  latency.httpP50Ratio = latency.httpEdgeP50ms / latency.httpPlainP50ms;
  progress(`latency: http p50 plain ${latency.httpPlainP50ms.toFixed(2)} ms, edge ${latency.httpEdgeP50ms.toFixed(2)} ms`);
  const edgeRows = single + 300 + requests + 50;

  // 3. Convergence after `writes` writes made back to back at the edge.
  const t0 = performance.now();
  for (let i = 0; i < writes; i++) {
    await write(`burst ${i}`);
    if (i % 200 === 0) progress(`burst ${i} at ${Math.round(performance.now() - t0)} ms`);
  }
  const writeDone = performance.now();
  progress('burst written');
  memNote('after the HTTP phase and the burst');
  while ((await cloudCount()) < edgeRows + writes) await sleep(5);
  const converged = performance.now();
  const burst = {
    writes,
    writeMs: Math.round(writeDone - t0),
    convergeAfterLastWriteMs: Math.round(converged - writeDone),
    convergeTotalMs: Math.round(converged - t0),
  };

  // 4. RSS with `rows` replicated rows (cloud bulk insert, synced to the edge), idle and under load.
  await get(`/bulk?n=${rows}`);
  const total = edgeRows + writes + rows;
  const tBulk = performance.now();
  while (app.prepare('SELECT count(*) AS n FROM notes').get().n < total) await sleep(20);
  const bulkSyncMs = Math.round(performance.now() - tBulk);
  global.gc?.();
  await sleep(500);
  const memIdle = process.memoryUsage();
  if (process.env.BENCH_MEM_DETAIL) {
    const v8 = await import('node:v8');
    progress(JSON.stringify(memIdle));
    for (const sp of v8.getHeapSpaceStatistics()) progress(`${sp.space_name}: size ${(sp.space_size / 2 ** 20).toFixed(1)} used ${(sp.space_used_size / 2 ** 20).toFixed(1)} MB`);
  }
  const rssIdle = memIdle.rss;
  perWrite.wholeStateBytes = Buffer.byteLength(JSON.stringify(app.prepare('SELECT * FROM notes').all()));
  perWrite.wholeStateRows = total;
  progress(`bulk synced in ${bulkSyncMs} ms`);
  let rssLoad = 0;
  for (let i = 0; i < 500; i++) {
    await write(`load ${i}`);
    if (i % 50 === 0) rssLoad = Math.max(rssLoad, process.memoryUsage().rss);
  }
  const cloudRss = Number(await get('/rss'));
  const memory = { rows: total, bulkSyncMs, edgeRssIdleMB: +(rssIdle / 2 ** 20).toFixed(1),
    edgeRssLoadMB: +(rssLoad / 2 ** 20).toFixed(1), cloudRssMB: +(cloudRss / 2 ** 20).toFixed(1),
    edgeIdleHeapTotalMB: +(memIdle.heapTotal / 2 ** 20).toFixed(1), edgeIdleExternalMB: +(memIdle.external / 2 ** 20).toFixed(1) };

  const loadAfter = loadavg();
  const result = { perWrite, latency, burst, memory, node: process.version, when: new Date().toISOString(),
    loadAverage: { before: loadBefore.map((x) => +x.toFixed(2)), after: loadAfter.map((x) => +x.toFixed(2)) } };
  if (process.argv.includes('--json')) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  else {
    console.log(`sync per row write: edge->cloud ${perWrite.edgeToCloudBytes.toFixed(0)} B, cloud->edge ${perWrite.cloudToEdgeBytes.toFixed(0)} B, ${perWrite.messagesPerWrite.toFixed(1)} messages`);
    console.log(`per write, edge->cloud sync ${perWrite.edgeToCloudBytes.toFixed(0)} B vs the original request + response ${perWrite.originalRequestResponseBytes.toFixed(0)} B vs the whole replicated state ${perWrite.wholeStateBytes} B (${perWrite.wholeStateRows} rows as JSON)`);
    console.log(`commit latency (one write, then wait for the cloud): p50 ${perWrite.commitP50ms.toFixed(2)} ms, p95 ${perWrite.commitP95ms.toFixed(2)} ms`);
    console.log(`in-process back to back: plain INSERT p50 ${latency.inProcessPlainP50ms.toFixed(3)} ms; edge begin+INSERT+commit p50 ${latency.inProcessEdgeP50ms.toFixed(3)} ms, p95 ${latency.inProcessEdgeP95ms.toFixed(3)} ms`);
    console.log(`over HTTP (${requests} sequential POSTs each, client in another process): plain app p50 ${latency.httpPlainP50ms.toFixed(3)} ms (p95 ${latency.httpPlainP95ms.toFixed(3)}), edge p50 ${latency.httpEdgeP50ms.toFixed(3)} ms (p95 ${latency.httpEdgeP95ms.toFixed(3)}): ratio ${latency.httpP50Ratio.toFixed(2)}`);
    console.log(`CPU per request over HTTP (user+system, including what follows the answer): plain app ${latency.cpuPerRequestPlainMs.toFixed(3)} ms, edge ${latency.cpuPerRequestEdgeMs.toFixed(3)} ms`);
    console.log(`${writes} writes: written in ${burst.writeMs} ms, converged ${burst.convergeAfterLastWriteMs} ms after the last (${burst.convergeTotalMs} ms total)`);
    console.log(`load average (1/5/15 min) before ${result.loadAverage.before.join(' ')}, after ${result.loadAverage.after.join(' ')}`);
    console.log(`${total} rows: bulk of ${rows} synced to the edge in ${bulkSyncMs} ms; edge RSS idle ${memory.edgeRssIdleMB} MB (V8 heap ${memory.edgeIdleHeapTotalMB}, external incl. Automerge WASM ${memory.edgeIdleExternalMB}), under load ${memory.edgeRssLoadMB} MB; cloud RSS ${memory.cloudRssMB} MB`);
  }
  await edge.close();
  app.close();
  plainDb.close();
  cloud.kill('SIGTERM');
  await new Promise((r) => cloud.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}

/**
 * The edge (this process) runs with the node flags of a generated edge's `npm start`; re-exec
 * with them when missing. The plain app and the cloud keep node's defaults.
 */
async function edgeFlagsOrReexec() {
  const { EDGE_START } = await import(join(here, '..', 'dist', 'generate', 'plan.js'));
  const flags = EDGE_START.split(/\s+/).filter((a) => a.startsWith('--'));
  if (flags.every((f) => process.execArgv.includes(f))) return false;
  const child = spawn(process.execPath, [...process.execArgv, ...flags, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  const code = await new Promise((r) => child.once('exit', (c) => r(c ?? 1)));
  process.exit(code);
}

if (process.argv.includes('--cloud')) await runCloud();
else if (process.argv.includes('--plain-app')) await runPlainApp();
else if (process.argv.includes('--client')) {
  const i = process.argv.indexOf('--client');
  await runClient(process.argv[i + 1], process.argv[i + 2], Number(process.argv[i + 3]));
} else if (!(await edgeFlagsOrReexec())) await main();
