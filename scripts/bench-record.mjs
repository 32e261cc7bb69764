#!/usr/bin/env node
// Benchmark of the recording proxy (edgstr record) against talking to the server directly.
//   node scripts/bench-record.mjs [--seconds 5] [--clients 20] [--exchanges 10000]
// Needs `npm run build` first (uses dist/). Server, recorder and load generator run in separate
// processes so they do not share one event loop. Prints a Markdown report on stdout.
//  1. throughput + p50/p99 latency, 20 concurrent keep-alive clients, 1 KB and 1 MB responses, in
//     3 alternating rounds per path (median round reported),
//     direct vs through the recorder (1 MB runs a fixed number of requests: the HAR grows 1 MB each);
//  2. per-exchange cost from exchange 1 to 10,000: sequential requests through the recorder,
//     mean latency per block of 1,000, and the HAR append time alone (HarWriter) per block.
// EDGSTR_BENCH_CPU_PROF=DIR writes a V8 CPU profile of each recorder process into DIR (open it in
// Chrome DevTools); it slows the recorder, so do not compare its numbers with unprofiled runs.
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir, cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';

const self = fileURLToPath(import.meta.url);
const dist = new URL('../dist/record/', import.meta.url);
const [role, ...rest] = process.argv.slice(2);

if (role === 'server') {
  const size = Number(rest[0]);
  const body = Buffer.alloc(size, 'x');
  let handled = 0;
  reportOnExit(() => handled);
  const srv = http.createServer((req, res) => {
    handled++;
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    });
  });
  srv.keepAliveTimeout = 30_000;
  srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
} else if (role === 'bare') {
  // http-proxy alone, configured as the recorder configures it, without recording: the ceiling.
  const { default: httpProxy } = await import('http-proxy');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  const proxy = httpProxy.createProxyServer({ target: rest[0], agent });
  let handled = 0;
  reportOnExit(() => handled);
  const srv = http.createServer((req, res) => {
    handled++;
    proxy.web(req, res);
  });
  srv.listen(0, '127.0.0.1', () => console.log(srv.address().port));
} else if (role === 'recorder') {
  const { startRecorder } = await import(new URL('recorder.js', dist).href);
  const rec = await startRecorder({ target: rest[0], port: 0, out: rest[1] });
  console.log(rec.port);
  process.on('SIGTERM', async () => {
    await rec.close();
    console.log(JSON.stringify({ cpuMicros: cpuMicros(), handled: rec.count }));
    process.exit(0);
  });
} else {
  await main();
}

function cpuMicros() {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/** On SIGTERM, prints {cpuMicros, handled} as the child's last stdout line, then exits. */
function reportOnExit(count) {
  process.on('SIGTERM', () => {
    console.log(JSON.stringify({ cpuMicros: cpuMicros(), handled: count() }));
    process.exit(0);
  });
}

function arg(name, def) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : def;
}

function child(args) {
  return new Promise((resolve, reject) => {
    const prof = args[0] === 'recorder' && process.env.EDGSTR_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.EDGSTR_BENCH_CPU_PROF}`] : [];
    const p = spawn(process.execPath, [...prof, self, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let text = '';
    p.stdout.on('data', (d) => (text += d));
    // stop() resolves to the child's {cpuMicros, handled} report.
    const stop = () => new Promise((r) => {
      p.once('exit', () => r(JSON.parse(text.trim().split('\n').at(-1))));
      p.kill('SIGTERM');
    });
    p.stdout.once('data', (d) => resolve({ port: Number(String(d).trim().split('\n')[0]), stop }));
    p.once('error', reject);
  });
}

function get(agent, port, path = '/') {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let text = '';
      res.on('data', (c) => {
        if (res.statusCode !== 200) text += c;
      });
      res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`status ${res.statusCode}: ${text.slice(0, 300)}`))));
    });
    req.on('error', reject);
  });
}

/** `clients` keep-alive loops until `seconds` pass or `total` requests are done. */
async function load(port, { clients, seconds, total }) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: clients });
  const lat = [];
  const end = performance.now() + seconds * 1000;
  let issued = 0;
  const t0 = performance.now();
  let errors = 0;
  let firstError;
  await Promise.all(Array.from({ length: clients }, async () => {
    while ((total ? issued < total : performance.now() < end)) {
      issued++;
      try {
        lat.push(await get(agent, port));
      } catch (err) {
        errors++;
        firstError ??= err.message;
      }
    }
  }));
  const elapsed = (performance.now() - t0) / 1000;
  agent.destroy();
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))];
  if (errors) process.stderr.write(`${errors} failed requests on port ${port}, first: ${firstError}\n`);
  return { n: lat.length, errors, rps: lat.length / elapsed, p50: q(0.5), p99: q(0.99) };
}

async function main() {
  const seconds = arg('seconds', 5);
  const clients = arg('clients', 20);
  const exchanges = arg('exchanges', 10_000);
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-bench-'));
  const out = [];
  const say = (s) => out.push(s);
  const cpuRows = [];
  say(`# edgstr record benchmark\n`);
  say(`node ${process.version}, ${cpus().length} CPUs, load average at start ${loadavg().map((x) => x.toFixed(1)).join(' ')}; ${clients} keep-alive clients\n`);
  say('| response | path | requests (all rounds) | req/s (median round) | p50 ms | p99 ms | added p50 | added p99 | proxy/direct throughput |');
  say('| --- | --- | --- | --- | --- | --- | --- | --- | --- |');
  try {
    for (const [label, size, opts] of [['1 KB', 1024, { seconds: seconds * 3 }], ['1 MB', 1024 * 1024, { total: 300 }]]) {
      const server = await child(['server', String(size)]);
      const har = join(dir, `bench-${size}.har`);
      const rec = await child(['recorder', `http://127.0.0.1:${server.port}`, har]);
      const bare = await child(['bare', `http://127.0.0.1:${server.port}`]);
      await load(server.port, { clients, total: 200 }); // warm-up
      await load(rec.port, { clients, total: 200 });
      await load(bare.port, { clients, total: 200 });
      // The machine's load varies: alternate the three paths over rounds and keep each one's median round.
      const runs = { direct: [], proxied: [], plain: [] };
      const rounds = 3;
      const per = opts.total ? { total: Math.ceil(opts.total / rounds) } : { seconds: opts.seconds / rounds };
      for (let r = 0; r < rounds; r++) {
        runs.direct.push(await load(server.port, { clients, ...per }));
        runs.proxied.push(await load(rec.port, { clients, ...per }));
        runs.plain.push(await load(bare.port, { clients, ...per }));
      }
      const median = (xs) => [...xs].sort((a, b) => a.rps - b.rps)[Math.floor(xs.length / 2)];
      const total = (xs) => xs.reduce((n, x) => n + x.n, 0);
      const direct = { ...median(runs.direct), n: total(runs.direct) };
      const proxied = { ...median(runs.proxied), n: total(runs.proxied) };
      const plain = { ...median(runs.plain), n: total(runs.plain) };
      const cpu = { recorder: await rec.stop(), bare: await bare.stop(), server: await server.stop() };
      const perEx = (c) => (c.cpuMicros / Math.max(1, c.handled)).toFixed(0);
      const usPer = (c) => c.cpuMicros / Math.max(1, c.handled);
      cpuRows.push(`| ${label} | ${perEx(cpu.server)} | ${perEx(cpu.recorder)} | ${perEx(cpu.bare)} | ${(usPer(cpu.recorder) / usPer(cpu.server)).toFixed(2)}x | ${(usPer(cpu.recorder) / usPer(cpu.bare)).toFixed(2)}x |`);
      const f = (x) => x.toFixed(2);
      const d = (x) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
      say(`| ${label} | direct | ${direct.n} | ${direct.rps.toFixed(0)} | ${f(direct.p50)} | ${f(direct.p99)} | | | |`);
      say(`| ${label} | recorder | ${proxied.n} | ${proxied.rps.toFixed(0)} | ${f(proxied.p50)} | ${f(proxied.p99)} | ${d(proxied.p50 - direct.p50)} | ${d(proxied.p99 - direct.p99)} | ${(proxied.rps / direct.rps).toFixed(2)}x |`);
      say(`| ${label} | http-proxy alone (no recording) | ${plain.n} | ${plain.rps.toFixed(0)} | ${f(plain.p50)} | ${f(plain.p99)} | ${d(plain.p50 - direct.p50)} | ${d(plain.p99 - direct.p99)} | ${(plain.rps / direct.rps).toFixed(2)}x |`);
      say(`|  |  | HAR ${(statSync(har).size / 1e6).toFixed(1)} MB |  |  |  |  |  |  |`);
      rmSync(har, { force: true });
    }

    say('\nCPU time per exchange (user+system of each process over its lifetime, warm-up included; independent of how busy the machine is):\n');
    say('| response | server (µs) | recorder (µs) | http-proxy alone (µs) | recorder / server | recorder / http-proxy alone |');
    say('| --- | --- | --- | --- | --- | --- |');
    for (const r of cpuRows) say(r);
    say(`\n## Per-exchange cost, exchange 1 to ${exchanges}\n`);
    const server = await child(['server', '1024']);
    const har = join(dir, 'seq.har');
    const rec = await child(['recorder', `http://127.0.0.1:${server.port}`, har]);
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const block = exchanges / 10;
    // JIT warm-up (recorded too): the blocks below are exchanges 501 to 500 + N of the file.
    for (let i = 0; i < 500; i++) await get(agent, rec.port);
    const blocks = [];
    for (let b = 0; b < 10; b++) {
      let sum = 0;
      for (let i = 0; i < block; i++) sum += await get(agent, rec.port);
      blocks.push(sum / block);
    }
    agent.destroy();
    await rec.stop();
    await server.stop();
    const { HarWriter } = await import(new URL('har-writer.js', dist).href);
    const wfile = join(dir, 'writer.har');
    const writer = await HarWriter.open(wfile);
    const entry = JSON.parse(JSON.stringify({ startedDateTime: new Date().toISOString(), time: 1, request: { method: 'GET', url: 'http://x/a', httpVersion: 'HTTP/1.1', headers: [], queryString: [], cookies: [], headersSize: -1, bodySize: 0 }, response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 1024, mimeType: 'text/plain', text: 'x'.repeat(1024) }, redirectURL: '', headersSize: -1, bodySize: 1024 }, cache: {}, timings: { send: 0, wait: 1, receive: 0 }, _edgstrSeq: 0 }));
    const wblocks = [];
    for (let b = 0; b < 10; b++) {
      const t0 = performance.now();
      for (let i = 0; i < block; i++) await writer.append({ ...entry, _edgstrSeq: b * block + i + 1 });
      wblocks.push(((performance.now() - t0) / block) * 1000);
    }
    await writer.close();
    say('| exchanges | mean latency through recorder (ms, sequential, 1 KB) | HAR append alone (µs) |');
    say('| --- | --- | --- |');
    blocks.forEach((ms, i) => say(`| ${i * block + 1}-${(i + 1) * block} (file entries ${500 + i * block + 1}-${500 + (i + 1) * block}) | ${ms.toFixed(3)} | ${wblocks[i].toFixed(1)} |`));
    say(`\nlast/first block: latency ${(blocks[9] / blocks[0]).toFixed(2)}x, append ${(wblocks[9] / wblocks[0]).toFixed(2)}x; HAR ${(statSync(har).size / 1e6).toFixed(1)} MB`);
    say(`\nload average at the end ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(out.join('\n'));
}
