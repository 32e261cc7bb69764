/**
 * The site cluster of `--target rpi --edges 3` as generated, run for real on loopback: Debian's
 * HAProxy with the generated site/haproxy.cfg (addresses from its environment variables) in
 * front of 3 generated tally edges and their cloud, and the generated site/scaler.mjs with
 * start/stop commands that stand in for `systemctl start|stop edgstr-edge` on a Pi (they start
 * and stop the edge process by its pid file). Clients come from distinct loopback addresses
 * (127.0.0.x), as distinct clients on a LAN do, because HAProxy pins a writing client by source.
 * 1. Load, and one edge SIGKILLed mid-load: no client request fails.
 * 2. Idle: the scaler drains then stops an edge while a light client still runs: none fails.
 * 3. Load again: the scaler starts it, and HAProxy uses it only once it is caught up.
 * Throughout, every client reads back its own write right after making it (read-your-writes
 * violations are counted; goal 0), and at the end all running replicas converge.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/index.js';
import { GeneratedProcesses, generateTally, json } from '../generate/start-generated.js';

const scratch = mkdtempSync(join(tmpdir(), 'edgstr-site-'));
const out = join(scratch, 'out');
const procs = new GeneratedProcesses();
const socket = join(scratch, 'haproxy.sock');
const EDGES = ['edge-1', 'edge-2', 'edge-3'];
const edgePorts = new Map<string, number>();
let cloudUrl = '';
let siteUrl = '';
let haproxy: ChildProcess | null = null;
let scaler: ChildProcess | null = null;
const scalerEvents: { event: string; edge?: string }[] = [];
const ctl = join(scratch, 'edge-ctl.sh');

/** The stand-in for systemctl on the Pis: starts/stops an edge process by its pid file. */
function writeCtl(): void {
  const env = Object.entries({ TALLY_ROLE: 'edge', HOST: '127.0.0.1' }).map(([k, v]) => `${k}=${v}`).join(' ');
  writeFileSync(ctl, `#!/bin/sh
# usage: edge-ctl.sh start|stop|kill NAME [PORT]
set -eu
pidfile="${scratch}/$2.pid"
case "$1" in
  start)
    cd "${join(out, 'edge')}"
    ${env} PORT="$3" EDGSTR_NODE_ID="$2" EDGSTR_DATA_DIR="${scratch}/data-$2" setsid node --max-semi-space-size=4 server.js >>"${scratch}/$2.log" 2>&1 </dev/null &
    echo $! >"$pidfile" ;;
  stop|kill)
    pid="$(cat "$pidfile")"
    if [ "$1" = kill ]; then kill -KILL "$pid" 2>/dev/null || true; else kill -TERM "$pid" 2>/dev/null || true; fi
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done ;;
esac
`, { mode: 0o755 });
}

const sh = (args: string[]): Promise<void> => new Promise((resolve, reject) => {
  const child = spawn('sh', [ctl, ...args], { stdio: 'ignore' });
  child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`edge-ctl ${args.join(' ')}: exit ${code}`))));
});

function haproxyCommand(command: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createConnection(socket);
    let answer = '';
    s.setEncoding('utf8');
    s.on('connect', () => s.end(`${command}\n`));
    s.on('data', (d: string) => (answer += d));
    s.on('end', () => resolve(answer));
    s.on('error', reject);
  });
}

async function serverStatus(): Promise<Map<string, string>> {
  const lines = (await haproxyCommand('show stat')).trim().split('\n');
  const header = lines[0]!.replace(/^# /, '').split(',');
  const m = new Map<string, string>();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[header.indexOf('pxname')] === 'edges' && EDGES.includes(f[header.indexOf('svname')]!)) m.set(f[header.indexOf('svname')]!, f[header.indexOf('status')]!);
  }
  return m;
}

interface Answer { status: number; body: string; served: string | undefined }

/** One request from a client address (each client its own 127.0.0.x), a new connection each. */
function send(localAddress: string, method: string, path: string, body?: unknown): Promise<Answer> {
  return new Promise((resolve) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const url = new URL(path, siteUrl);
    const req = httpRequest({ host: url.hostname, port: url.port, path: url.pathname, method, localAddress, agent: false, timeout: 30_000,
      headers: data === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, served: res.headers['x-edgstr-served'] as string | undefined }));
      res.on('error', () => resolve({ status: 0, body: 'response error', served: undefined }));
    });
    req.on('error', (err) => resolve({ status: 0, body: err.message, served: undefined }));
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.end(data);
  });
}

interface LoadResult { requests: number; failures: string[]; violations: string[]; written: string[] }

/**
 * `clients` clients, each in a loop: create a note, then list the notes and look for it (a
 * read-your-writes violation if it is missing), until `until()`; `pauseMs` between rounds.
 */
async function load(tag: string, clients: number, firstAddress: number, until: () => boolean, pauseMs = 0): Promise<LoadResult> {
  const result: LoadResult = { requests: 0, failures: [], violations: [], written: [] };
  await Promise.all(Array.from({ length: clients }, async (_, c) => {
    const address = `127.0.0.${firstAddress + c}`;
    for (let i = 0; !until(); i++) {
      const text = `${tag}-${c}-${i}`;
      const created = await send(address, 'POST', '/notes', { text });
      result.requests++;
      if (created.status !== 201) {
        result.failures.push(`POST ${text}: ${created.status} ${created.body.slice(0, 120)}`);
        continue;
      }
      result.written.push(text);
      const list = await send(address, 'GET', '/notes');
      result.requests++;
      if (list.status !== 200) {
        result.failures.push(`GET /notes after ${text}: ${list.status} ${list.body.slice(0, 120)}`);
        continue;
      }
      const texts = (JSON.parse(list.body) as { text: string }[]).map((n) => n.text);
      if (!texts.includes(text)) result.violations.push(text);
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }));
  return result;
}

const waitEvent = (event: string, timeoutMs: number): Promise<{ event: string; edge?: string }> =>
  procs.waitFor(`scaler event ${event}`, async () => scalerEvents.find((e) => e.event === event), timeoutMs);

beforeAll(async () => {
  const tally = await generateTally(scratch, out, 'rpi', 3);
  const cloudPort = tally.cloudPort;
  cloudUrl = tally.cloudUrl;
  procs.start('cloud', join(out, 'cloud'), { PORT: String(cloudPort), TALLY_ROLE: 'cloud' });
  await procs.waitFor('the cloud', async () => ((await json(`${cloudUrl}/__edgstr/health`)).status === 200 ? true : undefined), 30_000);
  writeCtl();
  for (const name of EDGES) {
    edgePorts.set(name, await freePort());
    await sh(['start', name, String(edgePorts.get(name))]);
  }
  const sitePort = await freePort();
  siteUrl = `http://127.0.0.1:${sitePort}`;
  const env: Record<string, string> = { EDGSTR_SITE_SOCKET: socket, EDGSTR_SITE_BIND: `127.0.0.1:${sitePort}` };
  EDGES.forEach((name, i) => (env[`EDGSTR_EDGE_${i + 1}`] = `127.0.0.1:${edgePorts.get(name)}`));
  haproxy = spawn('haproxy', ['-db', '-f', join(out, 'site', 'haproxy.cfg')], { env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  haproxy.once('error', (err) => { throw new Error(`haproxy did not start (apt-get install haproxy): ${err.message}`); });
  await procs.waitFor('all 3 edges UP (caught up) in HAProxy', async () => {
    const s = await serverStatus();
    return EDGES.every((e) => s.get(e)?.startsWith('UP')) ? true : undefined;
  }, 60_000);

  const generated = JSON.parse(readFileSync(join(out, 'site', 'scaler.json'), 'utf8')) as { settleMs: number };
  const config = {
    socket,
    backend: 'edges',
    intervalMs: 300,
    minEdges: 1,
    scaleUpAbove: 2,
    scaleDownBelow: 1,
    idleSeconds: 2,
    settleMs: generated.settleMs,
    edges: EDGES.map((name) => ({ name, url: `http://127.0.0.1:${edgePorts.get(name)}`, start: `sh ${ctl} start ${name} ${edgePorts.get(name)}`, stop: `sh ${ctl} stop ${name}` })),
  };
  writeFileSync(join(scratch, 'scaler.json'), JSON.stringify(config));
}, 480_000);

afterAll(async () => {
  if (scaler?.pid) process.kill(scaler.pid, 'SIGTERM');
  if (haproxy?.pid) process.kill(-haproxy.pid, 'SIGTERM');
  for (const name of EDGES) await sh(['stop', name]).catch(() => undefined);
  procs.stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

function startScaler(): void {
  scaler = spawn('node', [join(out, 'site', 'scaler.mjs'), join(scratch, 'scaler.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  let buffered = '';
  scaler.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) scalerEvents.push(JSON.parse(line) as { event: string; edge?: string });
  });
}

describe('a site of 3 generated edges behind HAProxy, with the generated scaler', () => {
  it('loses no request when an edge is killed mid-load, and every client reads its writes', async () => {
    const end = Date.now() + 8000;
    const killed = (async () => {
      await new Promise((r) => setTimeout(r, 3000));
      await sh(['kill', 'edge-2']);
    })();
    const result = await load('a', 6, 10, () => Date.now() > end);
    await killed;
    // A write the killed edge acknowledged but had not yet sent to the cloud is stranded there (an
    // edge answers before its writes leave: kill -9 strands up to one sync interval of them).
    // Such a write reads as missing; any other missed read is a read-your-writes violation.
    await new Promise((r) => setTimeout(r, 3000));
    const atCloud = new Set(((await json(`${cloudUrl}/notes`)).body as { text: string }[]).map((n) => n.text));
    const lost = result.violations.filter((t) => !atCloud.has(t));
    const violations = result.violations.filter((t) => atCloud.has(t));
    console.log(`site load with a kill: ${result.requests} requests, ${result.failures.length} failed, ${violations.length} read-your-writes violations, ${lost.length} acknowledged writes stranded on the killed edge (not at the cloud)`);
    expect(result.failures).toEqual([]);
    expect(violations).toEqual([]);
    expect(lost.length).toBeLessThanOrEqual(6);
    expect(result.requests).toBeGreaterThan(50);
    expect((await serverStatus()).get('edge-2')).toMatch(/^DOWN/);
  }, 60_000);

  it('drains then stops an idle edge; a light client meanwhile sees no failure', async () => {
    // edge-2 stays dead (a crashed Pi): the scaler works with edge-1 and edge-3.
    startScaler();
    let stopped = false;
    const light = load('b', 1, 20, () => stopped, 300);
    const event = await waitEvent('stopped', 60_000);
    stopped = true;
    const result = await light;
    expect(scalerEvents.map((e) => e.event)).toContain('drain');
    expect(['edge-1', 'edge-3']).toContain(event.edge);
    expect((await serverStatus()).get(event.edge!)).toMatch(/^MAINT/);
    expect(result.failures).toEqual([]);
    expect(result.violations).toEqual([]);
  }, 90_000);

  it('starts the stopped edge when load rises, and HAProxy sends it requests once it is caught up', async () => {
    const stoppedEdge = scalerEvents.find((e) => e.event === 'stopped')!.edge!;
    let done = false;
    const heavy = load('c', 8, 30, () => done);
    let result: LoadResult;
    try {
      const ready = await waitEvent('ready', 60_000);
      expect(ready.edge).toBe(stoppedEdge);
      // New clients arrive (the busy ones stick to the edges they write at): it gets some of them.
      let arrivals = false;
      const more = load('d', 4, 40, () => arrivals || done, 100);
      await procs.waitFor(`${stoppedEdge} serving`, async () => {
        const h = (await json(`http://127.0.0.1:${edgePorts.get(stoppedEdge)}/__edgstr/health`)).body as { served?: Record<string, { edge: number; cloud: number }> };
        const served = Object.values(h.served ?? {}).reduce((n, s) => n + s.edge + s.cloud, 0);
        return served > 0 ? true : undefined;
      }, 20_000).finally(() => (arrivals = true));
      const late = await more;
      expect(late.failures).toEqual([]);
      expect(late.violations).toEqual([]);
    } finally {
      done = true;
      result = await heavy;
    }
    console.log(`site load with scale-up: ${result.requests} requests, ${result.failures.length} failed, ${result.violations.length} read-your-writes violations`);
    expect(result.failures).toEqual([]);
    expect(result.violations).toEqual([]);
  }, 90_000);

  it('converges: the cloud and every running edge hold the same notes', async () => {
    const running = [cloudUrl, ...EDGES.filter((e) => e !== 'edge-2').map((e) => `http://127.0.0.1:${edgePorts.get(e)}`)];
    await procs.waitFor('replicas equal', async () => {
      const tables = await Promise.all(running.map(async (u) => JSON.stringify(((await json(`${u}/notes`)).body as { id: number; text: string }[]).map((n) => `${n.id}:${n.text}`).sort())));
      return tables.every((t) => t === tables[0]) ? true : undefined;
    }, 20_000);
  }, 30_000);
});
