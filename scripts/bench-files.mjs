#!/usr/bin/env node
// Replicated files at real sizes (issue 14, the files part), at the runtime level: a cloud and
// an edge replica (startReplica from dist/runtime, as generated projects run it), each in its
// own process, synced over socket.io on loopback. The app's writes happen at the edge (an
// upload), and the cloud receives them. Measured per case, for both processes:
//   - time from the edge's capture until the cloud has the file(s) on disk, nothing pending;
//   - RSS before, peak RSS during (getrusage maxrss, so a peak inside a synchronous step counts)
//     and RSS after; Automerge's `files` document: operations and saved size.
// Cases: one file of --big-mb MiB (default 200), then --many small files (default 10,000) of
// --small-bytes bytes (default 1024).
//
//   npm run build && node scripts/bench-files.mjs [--big-mb 200] [--many 10000] [--small-bytes 1024] [--json]
//
// The data dirs live under the OS temp dir and are deleted at the end (--keep keeps them).
import { fork } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomFillSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const opt = (name, def) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : def);
const PATHS = ['data/uploads/'];
const SECRET = 'bench-files-secret-0123456789';
const MiB = 2 ** 20;

if (process.env.BENCH_FILES_ROLE) await child(process.env.BENCH_FILES_ROLE);
else await main();

async function main() {
  const bigMb = Number(opt('big-mb', 200));
  const many = Number(opt('many', 10_000));
  const smallBytes = Number(opt('small-bytes', 1024));
  const say = (msg) => process.stderr.write(`[bench-files] ${msg}\n`);
  const base = mkdtempSync(join(tmpdir(), 'edgstr-bench-files-'));
  const procs = [];
  try {
    const cloud = spawnRole('cloud', base, procs);
    const { port } = await cloud.ask({ cmd: 'ready' });
    const edge = spawnRole('edge', base, procs, `http://127.0.0.1:${port}`);
    await edge.ask({ cmd: 'ready' });
    await waitUntil(async () => (await edge.ask({ cmd: 'status' })).caughtUp, 30_000, 'the edge to catch up');
    const results = [];
    const run = async (name, write) => {
      const before = { cloud: await cloud.ask({ cmd: 'memory' }), edge: await edge.ask({ cmd: 'memory' }) };
      const wrote = await edge.ask(write);
      const started = Date.now();
      await edge.ask({ cmd: 'flush' });
      await waitUntil(async () => {
        const s = await cloud.ask({ cmd: 'status', expect: wrote.expect });
        return s.has && s.pending === 0;
      }, 30 * 60_000, `${name} at the cloud`);
      const seconds = (Date.now() - started) / 1000;
      const after = { cloud: await cloud.ask({ cmd: 'memory' }), edge: await edge.ask({ cmd: 'memory' }) };
      const row = { case: name, seconds, load: loadavg()[0] };
      for (const side of ['edge', 'cloud']) {
        row[side] = {
          rssBeforeMiB: before[side].rssMiB,
          anonFileBeforeMiB: [before[side].anonMiB, before[side].fileMiB],
          peakGrowthMiB: round(after[side].maxRssMiB - before[side].rssMiB),
          rssAfterMiB: after[side].rssMiB,
          externalAfterMiB: after[side].externalMiB,
          heapAfterMiB: after[side].heapMiB,
          filesDoc: after[side].filesDoc,
          sampledPeak: after[side].sampledPeak,
        };
      }
      results.push(row);
      say(`${name}: ${seconds.toFixed(1)} s; edge RSS ${row.edge.rssBeforeMiB} -> peak +${row.edge.peakGrowthMiB} -> ${row.edge.rssAfterMiB} MiB; cloud RSS ${row.cloud.rssBeforeMiB} -> peak +${row.cloud.peakGrowthMiB} -> ${row.cloud.rssAfterMiB} MiB; files doc ${JSON.stringify(row.cloud.filesDoc)}; before (anon, file) edge ${row.edge.anonFileBeforeMiB} cloud ${row.cloud.anonFileBeforeMiB}; sampled peaks edge ${JSON.stringify(row.edge.sampledPeak)} cloud ${JSON.stringify(row.cloud.sampledPeak)} (load ${row.load.toFixed(2)})`);
    };
    if (bigMb > 0) await run(`one file of ${bigMb} MiB`, { cmd: 'write-big', mb: bigMb });
    if (many > 0) await run(`${many} files of ${smallBytes} B`, { cmd: 'write-many', n: many, bytes: smallBytes });
    if (argv.includes('--json')) process.stdout.write(`${JSON.stringify({ results }, null, 2)}\n`);
  } finally {
    for (const p of procs) p.kill('SIGKILL');
    if (!argv.includes('--keep')) rmSync(base, { recursive: true, force: true });
    else say(`kept ${base}`);
  }
}

function spawnRole(role, base, procs, cloudUrl) {
  const proc = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, BENCH_FILES_ROLE: role, BENCH_FILES_DIR: join(base, role), BENCH_FILES_CLOUD: cloudUrl ?? '', EDGSTR_QUIET: '1' },
    execArgv: ['--expose-gc'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  procs.push(proc);
  let next = 0;
  const waiting = new Map();
  proc.on('message', (m) => {
    waiting.get(m.id)?.(m);
    waiting.delete(m.id);
  });
  proc.on('exit', (code) => {
    for (const resolve of waiting.values()) resolve({ error: `${role} exited with ${code}` });
  });
  return {
    ask: (msg) => new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, (m) => (m.error ? reject(new Error(m.error)) : resolve(m)));
      proc.send({ ...msg, id });
    }),
  };
}

async function waitUntil(check, ms, what) {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function round(n) {
  return Math.round(n * 10) / 10;
}

/** A replica process: answers the parent's commands over IPC. */
async function child(role) {
  const { startReplica } = await import('../dist/runtime/index.js');
  const A = await import('@automerge/automerge');
  const dir = process.env.BENCH_FILES_DIR;
  const root = join(dir, 'app');
  mkdirSync(join(root, 'data', 'uploads'), { recursive: true });
  const config = {
    role, nodeId: role === 'cloud' ? 'cloud' : 'edge-1', secret: SECRET, dataDir: join(dir, 'edgstr-data'),
    rangeIndex: role === 'cloud' ? 0 : 1, tables: [], files: { root, paths: PATHS }, globals: [],
    ...(role === 'edge' ? { cloudUrl: process.env.BENCH_FILES_CLOUD, initialSyncTimeoutMs: 10_000 } : {}),
  };
  const replica = await startReplica(config);
  process.on('disconnect', () => process.exit(0));
  let port = 0;
  if (role === 'cloud') {
    const server = createServer((_q, s) => s.end('bench'));
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    port = server.address().port;
    replica.attachHub(server);
  }
  const mib = (n) => round(n / MiB);
  const has = (expect) => {
    if (!expect) return true;
    try {
      if (expect.dir) return readdirSync(join(root, expect.dir)).length === expect.count;
      return statSync(join(root, expect.file)).size === expect.size;
    } catch {
      return false;
    }
  };
  // What the memory was made of when RSS peaked (sampled every 20 ms between 'memory' asks).
  let peak = null;
  setInterval(() => {
    const u = process.memoryUsage();
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (k) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024;
    if (!peak || mib(u.rss) > peak.rss) peak = { anon: round(kb('RssAnon')), file: round(kb('RssFile')), rss: mib(u.rss), external: mib(u.external), arrayBuffers: mib(u.arrayBuffers), heap: mib(u.heapUsed), heapTotal: mib(u.heapTotal) };
  }, 20).unref();
  process.on('message', async (m) => {
    const reply = (body) => process.send({ ...body, id: m.id });
    try {
      switch (m.cmd) {
        case 'ready':
          return reply({ port });
        case 'status': {
          const h = replica.health();
          return reply({ caughtUp: h.caughtUp, pending: h.pendingChanges, has: has(m.expect) });
        }
        case 'memory': {
          globalThis.gc?.();
          const doc = replica.adapters.get('files').store.doc;
          const u = process.memoryUsage();
          const status = readFileSync('/proc/self/status', 'utf8');
          const kb = (k) => round(Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? 0) / 1024);
          return reply({
            anonMiB: kb('RssAnon'), fileMiB: kb('RssFile'),
            rssMiB: mib(u.rss), externalMiB: mib(u.external), heapMiB: mib(u.heapUsed), arrayBuffersMiB: mib(u.arrayBuffers), maxRssMiB: round(process.resourceUsage().maxRSS / 1024),
            filesDoc: { ops: A.stats(doc).numOps, savedKiB: Math.round(A.save(doc).length / 1024) },
            sampledPeak: peak,
          });
          peak = null;
        }
        case 'flush':
          await replica.flush();
          return reply({});
        case 'write-big': {
          // The app writes an upload of m.mb MiB, 1 MiB at a time (never whole in memory).
          const fd = openSync(join(root, 'data/uploads/big.bin'), 'w');
          const piece = Buffer.allocUnsafe(MiB);
          for (let i = 0; i < m.mb; i++) writeSync(fd, randomFillSync(piece));
          closeSync(fd);
          return reply({ expect: { file: 'data/uploads/big.bin', size: m.mb * MiB } });
        }
        case 'write-many': {
          const d = join(root, 'data/uploads/many');
          mkdirSync(d, { recursive: true });
          const piece = Buffer.allocUnsafe(m.bytes);
          for (let i = 0; i < m.n; i++) {
            const fd = openSync(join(d, `f${i}.bin`), 'w');
            writeSync(fd, randomFillSync(piece));
            closeSync(fd);
          }
          return reply({ expect: { dir: 'data/uploads/many', count: m.n } });
        }
        default:
          return reply({ error: `unknown command ${m.cmd}` });
      }
    } catch (err) {
      reply({ error: String(err?.stack ?? err) });
    }
  });
}
