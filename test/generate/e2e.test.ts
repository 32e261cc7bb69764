/**
 * End to end: generate the tally fixture, install both projects (native addons copied, not
 * rebuilt), start the cloud and two edges on loopback with `npm start`, and check what DESIGN.md
 * promises: local writes replicate within 2 s, other routes and failing services go to the cloud
 * (the failed attempt's local changes rolled back), health endpoints, no open proxy, 502 when the
 * cloud is down. Needs the built runtime (dist/runtime, `npm run build`).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.js';
import { fetchHealth } from '../../src/util/health-client.js';
import { generateTally } from './start-generated.js';

const scratch = mkdtempSync(join(tmpdir(), 'edgstr-generate-e2e-'));
const out = join(scratch, 'out');
const children: ChildProcess[] = [];
const logs = new Map<string, string[]>();
let cloudUrl = '';
const edgeUrl: string[] = [];

/** Starts `npm start` in its own process group (so the whole group can be stopped by its id). */
function start(name: string, cwd: string, env: Record<string, string>, args: string[] = []): ChildProcess {
  const child = spawn('npm', ['start', ...(args.length ? ['--', ...args] : [])], { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  logs.set(name, lines);
  child.stdout!.on('data', (d: Buffer) => lines.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
  children.push(child);
  return child;
}

function stop(child: ChildProcess): void {
  if (child.exitCode === null && child.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${[...logs].map(([n, l]) => `--- ${n}\n${l.join('')}`).join('\n')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function json(url: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: init?.method ?? 'GET',
    ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

const notesOf = async (base: string): Promise<{ id: number; text: string }[]> => (await json(`${base}/notes`)).body as { id: number; text: string }[];

beforeAll(async () => {
  const tally = await generateTally(scratch, out, 'node', 2);
  const cloudPort = tally.cloudPort;
  cloudUrl = tally.cloudUrl;

  start('cloud', join(out, 'cloud'), { PORT: String(cloudPort), TALLY_ROLE: 'cloud' });
  await waitFor('the cloud', async () => ((await json(`${cloudUrl}/__edgstr/health`)).status === 200 ? true : undefined), 30_000);
  for (const i of [1, 2]) {
    const name = `edge-${i}`;
    start(name, join(out, 'edge'), { PORT: '0', HOST: '127.0.0.1', TALLY_ROLE: 'edge' }, ['--edge', String(i)]);
    const port = await waitFor(`${name} to listen`, async () => /edgstr edge \S+ listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(logs.get(name)!.join(''))?.[1], 30_000);
    edgeUrl.push(`http://127.0.0.1:${port}`);
  }
}, 480_000);

afterAll(() => {
  children.forEach(stop);
  rmSync(scratch, { recursive: true, force: true });
});

describe('generated tally: cloud + two edges on loopback', () => {
  it('answers the health endpoints', async () => {
    const cloud = await json(`${cloudUrl}/__edgstr/health`);
    expect(cloud.body).toMatchObject({ nodeId: 'cloud', role: 'cloud' });
    for (const [i, base] of edgeUrl.entries()) {
      const health = await waitFor('edge peers', async () => {
        const h = (await json(`${base}/__edgstr/health`)).body as { peers: string[] };
        return h.peers.includes('cloud') ? h : undefined;
      }, 10_000);
      expect(health).toMatchObject({ nodeId: `edge-${i + 1}`, role: 'edge' });
      expect(Object.keys(health).sort()).toEqual(['caughtUp', 'lastSyncAt', 'nodeId', 'peers', 'pendingChanges', 'placement', 'rangeIndex', 'ready', 'role', 'served']);
      expect(health).toMatchObject({ rangeIndex: i + 1 });
    }
  });

  it('serves the snapshot state at the edges', async () => {
    expect(await notesOf(edgeUrl[0]!)).toEqual([{ id: 1, text: 'first' }, { id: 2, text: 'second' }]);
  });

  it('replicates a write through edge 1 to edge 2 and the cloud within 2 s (table, file, global)', async () => {
    const created = await json(`${edgeUrl[0]}/notes`, { method: 'POST', body: { text: 'from edge 1' } });
    expect(created.status).toBe(201);
    const id = (created.body as { id: number }).id;
    const since = Date.now();
    for (const base of [edgeUrl[1]!, cloudUrl]) {
      await waitFor(`note ${id} at ${base}`, async () => ((await notesOf(base)).some((n) => n.id === id && n.text === 'from edge 1') ? true : undefined), 2_000);
      await waitFor(`log line at ${base}`, async () => (String((await json(`${base}/log`)).body).includes(`${id} from edge 1`) ? true : undefined), 2_000);
      await waitFor(`visits at ${base}`, async () => (((await json(`${base}/visits`)).body as { visits: number }).visits === 1 ? true : undefined), 2_000);
    }
    expect(Date.now() - since).toBeLessThan(2_000 * 3);
  });

  it('forwards a service that is not accepted to the cloud', async () => {
    expect((await json(`${edgeUrl[0]}/whoami`)).body).toEqual({ role: 'cloud' });
  });

  it('forwards a failing local service to the cloud with its local changes rolled back', async () => {
    const before = ((await json(`${cloudUrl}/visits`)).body as { visits: number }).visits;
    const answer = await json(`${edgeUrl[0]}/imports`, { method: 'POST', body: { text: 'imported once', failOn: 'edge' } });
    expect(answer.status).toBe(201);
    for (const base of [edgeUrl[0]!, edgeUrl[1]!, cloudUrl]) {
      await waitFor(`the cloud's import at ${base}`, async () => ((await notesOf(base)).some((n) => n.text === 'imported once') ? true : undefined), 2_000);
    }
    await new Promise((r) => setTimeout(r, 300));
    for (const base of [edgeUrl[0]!, edgeUrl[1]!, cloudUrl]) {
      expect((await notesOf(base)).filter((n) => n.text === 'imported once'), base).toHaveLength(1);
      expect(String((await json(`${base}/log`)).body).match(/imported once/g), base).toHaveLength(1);
      // One increment (the cloud's), not two: the edge's attempt was rolled back.
      expect(((await json(`${base}/visits`)).body as { visits: number }).visits, base).toBe(before + 1);
    }
  });

  it('is not an open proxy: an absolute-form request target still goes to the cloud', async () => {
    const port = Number(new URL(edgeUrl[0]!).port);
    const body = await new Promise<string>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, method: 'GET', path: 'http://example.invalid/whoami', headers: { host: 'example.invalid' } }, (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve(data));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(body)).toEqual({ role: 'cloud' });
  });

  it('brings a write made at the cloud to both edges, and keeps concurrent creates at two edges', async () => {
    const atCloud = await json(`${cloudUrl}/notes`, { method: 'POST', body: { text: 'from the cloud' } });
    expect(atCloud.status).toBe(201);
    const [a, b] = await Promise.all([
      json(`${edgeUrl[0]}/notes`, { method: 'POST', body: { text: 'concurrent at edge 1' } }),
      json(`${edgeUrl[1]}/notes`, { method: 'POST', body: { text: 'concurrent at edge 2' } }),
    ]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect((a.body as { id: number }).id).not.toBe((b.body as { id: number }).id);
    const wanted = ['from the cloud', 'concurrent at edge 1', 'concurrent at edge 2'];
    for (const base of [edgeUrl[0]!, edgeUrl[1]!, cloudUrl]) {
      await waitFor(`all three notes at ${base}`, async () => {
        const texts = (await notesOf(base)).map((n) => n.text);
        return wanted.every((w) => texts.includes(w)) ? true : undefined;
      }, 2_000);
    }
    // All replicas end with the same table.
    const tables = await Promise.all([edgeUrl[0]!, edgeUrl[1]!, cloudUrl].map(notesOf));
    expect(tables[1]).toEqual(tables[0]);
    expect(tables[2]).toEqual(tables[0]);
  });

  it('says where each answer was served (x-edgstr-served) and counts it per service in health', async () => {
    const served = async (path: string, body?: unknown): Promise<string | null> =>
      (await fetch(`${edgeUrl[1]}${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })).headers.get('x-edgstr-served');
    const before = (await fetchHealth(edgeUrl[1]!))!.served!;
    expect(await served('/notes')).toBe('edge');
    expect(await served('/whoami')).toBe('cloud');
    expect(await served('/imports', { text: 'falls back', failOn: 'edge' })).toBe('fallback');
    expect(await served('/__edgstr/nothing')).toBe('cloud');
    const after = (await fetchHealth(edgeUrl[1]!))!.served!;
    expect(after['GET /notes']).toEqual({ ...before['GET /notes'], edge: before['GET /notes']!.edge + 1 });
    expect(after['GET /whoami']).toEqual({ ...before['GET /whoami'], local: false, cloud: before['GET /whoami']!.cloud + 1 });
    expect(after['POST /imports']).toEqual({ ...before['POST /imports'], local: true, fallback: before['POST /imports']!.fallback + 1 });
  });

  it('answers 502 naming the cloud when the cloud is down', async () => {
    stop(children[0]!);
    await waitFor('the cloud to stop', async () => ((await json(`${cloudUrl}/__edgstr/health`).then(() => false, () => true)) ? true : undefined), 10_000);
    const answer = await json(`${edgeUrl[0]}/whoami`);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({ cloud: cloudUrl });
    // Accepted services keep working offline.
    expect((await json(`${edgeUrl[0]}/notes`)).status).toBe(200);
  });
});
