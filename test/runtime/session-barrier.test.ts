/**
 * The session barrier's parts on real replicas (a cloud hub and one edge on loopback): the heads
 * header's format, the cloud holding a request until it has the edge's writes (and its 503 past
 * the bound), the cloud's heads stamped on its answer, and the edge waiting for them before
 * serving locally (and giving up, so the request is forwarded, past the bound).
 * The end-to-end guarantee over a WAN is test/session/read-your-writes.test.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AFTER_HEADER, EdgeSession, HEADS_HEADER, encodeHeads, hasHeads, holdForSession, parseHeads } from '../../src/runtime/session-barrier.js';
import { startCluster, type Cluster } from './cluster.js';
import { waitFor } from './helpers.js';

const UNKNOWN = 'ab'.repeat(32);
let cluster: Cluster;
let server: Server;
let url = '';

/** The cloud's app behind holdForSession: /write inserts a row, /head answers with writeHead, /stream streams. */
function app(req: IncomingMessage, res: ServerResponse): void {
  if (req.url === '/write') {
    cluster.cloud.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)').run(`k${Date.now()}${Math.random()}`, 'from the cloud');
    res.setHeader('content-type', 'text/plain');
    res.end('written');
  } else if (req.url === '/head') {
    res.writeHead(201, { 'x-app': 'yes' });
    res.end('created');
  } else {
    res.write('part one, ');
    res.end('part two');
  }
}

beforeAll(async () => {
  cluster = await startCluster(1);
  await waitFor(() => cluster.cloud.replica.health().peers.length === 1, 5000, 'the edge to connect');
  server = createServer((req, res) => holdForSession(cluster.cloud.replica, { enabled: true, waitMs: 300 }, req, res, () => app(req, res)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  await cluster.close();
});

describe('session barrier', () => {
  it('encodes and parses heads; refuses anything else', () => {
    const value = encodeHeads(cluster.cloud.replica);
    const parsed = parseHeads(value)!;
    expect(parsed.map((d) => d.docId).sort()).toEqual([...cluster.cloud.replica.adapters.keys(), ...cluster.cloud.replica.tableSync.stores.keys()].sort());
    expect(parsed.find((d) => d.docId === 'db-app')?.table).toEqual({ site: 'cloud', version: cluster.cloud.replica.tableSync.stores.get('db-app')!.head() });
    expect(hasHeads(cluster.cloud.replica, parsed)).toBe(true);
    expect(parseHeads('')).toEqual([]);
    for (const bad of ['db-app', 'db-app@x=ab', `db-app@0=${UNKNOWN.slice(2)}`, `db app@0=${UNKNOWN}`, `db-app@0=${UNKNOWN};`, 'db-app@t:edge 1=3', 'db-app@t:edge-1=x', 'x'.repeat(9000)]) expect(parseHeads(bad), bad).toBeNull();
  });

  it('the cloud answers a request without the header untouched, and a malformed one with 400', async () => {
    const plain = await fetch(`${url}/write`);
    expect(plain.status).toBe(200);
    expect(plain.headers.get(HEADS_HEADER)).toBeNull();
    const bad = await fetch(`${url}/write`, { headers: { [AFTER_HEADER]: 'nonsense' } });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/malformed x-edgstr-after/);
  });

  it('the cloud holds a request until it has the edge writes it depends on, and stamps its own heads on the answer', async () => {
    const edge = cluster.edges[0]!;
    const session = new EdgeSession(edge.replica, { enabled: true, waitMs: 1000 });
    edge.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)').run('edge-write', 'from the edge');
    session.noteLocalCommit();
    const after = (await session.dependencies())!;
    expect(session.stats.flushedBeforeForward).toBe(1);
    // The edge's heads now include its write; the cloud may not have it yet, and waits for it.
    const res = await fetch(`${url}/write`, { headers: { [AFTER_HEADER]: after } });
    expect(res.status).toBe(200);
    expect(cluster.cloud.app.prepare('SELECT v FROM kv WHERE k = ?').get('edge-write')).toEqual({ v: 'from the edge' });
    const stamped = res.headers.get(HEADS_HEADER)!;
    // The stamp covers the cloud's own write made by this request.
    expect(hasHeads(cluster.cloud.replica, parseHeads(stamped)!)).toBe(true);
    session.noteCloudHeads(stamped);
    expect(await session.readyForLocal()).toBe(true);
    expect(edge.app.prepare("SELECT count(*) AS n FROM kv WHERE v = 'from the cloud'").get()).toEqual({ n: 2 });
  });

  it('the cloud answers 503 with Retry-After when the heads do not arrive within the bound', async () => {
    const t = performance.now();
    const res = await fetch(`${url}/write`, { headers: { [AFTER_HEADER]: `files@0=${UNKNOWN}` } });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('1');
    expect(((await res.json()) as { reason: string }).reason).toBe('session-barrier-timeout');
    expect(performance.now() - t).toBeGreaterThanOrEqual(290);
    // A newer epoch than the cloud's is never there either.
    expect((await fetch(`${url}/write`, { headers: { [AFTER_HEADER]: 'files@7=' + UNKNOWN } })).status).toBe(503);
    // Tables: a version of an edge's the cloud has not received.
    expect((await fetch(`${url}/write`, { headers: { [AFTER_HEADER]: 'db-app@t:edge-1=99999999' } })).status).toBe(503);
  });

  it("stamps an answer sent with writeHead; an answer streamed with write() goes out unstamped", async () => {
    const head = await fetch(`${url}/head`, { headers: { [AFTER_HEADER]: '' } });
    expect(head.status).toBe(201);
    expect(head.headers.get('x-app')).toBe('yes');
    expect(head.headers.get(HEADS_HEADER)).toMatch(/^db-app@t:cloud=[0-9]+;files@0=/);
    expect(await head.text()).toBe('created');
    const stream = await fetch(`${url}/stream`, { headers: { [AFTER_HEADER]: '' } });
    expect(await stream.text()).toBe('part one, part two');
    expect(stream.headers.get(HEADS_HEADER)).toBeNull();
  });

  it('the edge waits for the heads of a forwarded answer, and past the bound has the request forwarded', async () => {
    const edge = cluster.edges[0]!;
    const session = new EdgeSession(edge.replica, { enabled: true, waitMs: 200 });
    session.noteCloudHeads(`db-app@t:cloud=99999999`);
    expect(await session.readyForLocal()).toBe(false);
    expect(session.stats).toMatchObject({ waited: 1, forwardedStale: 1 });
    const off = new EdgeSession(edge.replica, { enabled: false, waitMs: 200 });
    off.noteCloudHeads(`files@0=${UNKNOWN}`);
    expect(await off.readyForLocal()).toBe(true);
    expect(await off.dependencies()).toBeNull();
  });

  it("a forward waits for the flush another forward started, which captures this client's write", async () => {
    // Two clients at one edge: A commits locally; B's forward clears the flag and flushes; A's
    // own forward comes next. Its heads must include A's write (they did not before the flush
    // in progress was awaited: the generated edge then relied on its flush after every answer).
    const edge = cluster.edges[0]!;
    const session = new EdgeSession(edge.replica, { enabled: true, waitMs: 1000 });
    edge.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)').run('raced-write', 'from client A');
    session.noteLocalCommit();
    const forwardOfB = session.dependencies();
    const forwardOfA = await session.dependencies();
    await forwardOfB;
    expect(session.stats.flushedBeforeForward).toBe(1);
    expect(forwardOfA).toBe(encodeHeads(edge.replica));
  });
});
