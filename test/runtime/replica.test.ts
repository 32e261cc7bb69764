import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import { io } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILE_PATHS, TABLES, startCluster, type Cluster, type Node } from './cluster.js';
import { SECRET, tableChecksum, waitFor } from './helpers.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster(2);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const all = (): Node[] => [cluster.cloud, ...cluster.edges];
const rows = (n: Node, sql: string, ...params: unknown[]): Record<string, unknown>[] =>
  n.app.prepare(sql).all(...params) as Record<string, unknown>[];
const sum = (n: Node): string => tableChecksum(n.dbFile, TABLES);
const readFile = (n: Node, rel: string): string | null =>
  existsSync(join(n.root, rel)) ? readFileSync(join(n.root, rel), 'utf8') : null;

describe('replica: cloud hub + two edges over socket.io', () => {
  it('starts every edge from the cloud copy', () => {
    const [e1, e2] = cluster.edges;
    expect(sum(e1!)).toBe(sum(cluster.cloud));
    expect(sum(e2!)).toBe(sum(cluster.cloud));
    expect(cluster.cloud.replica.health()).toMatchObject({ nodeId: 'cloud', role: 'cloud' });
    expect(cluster.cloud.replica.health().peers.sort()).toEqual(['edge-1', 'edge-2']);
  });

  it('makes a write at edge 1 (row, file, globals) visible at edge 2 and the cloud within 2 s', async () => {
    const e1 = cluster.edges[0]!;
    const tx = await e1.replica.begin();
    e1.app.prepare("INSERT INTO notes (title, body) VALUES ('from edge 1', x'cafe')").run();
    writeFileSync(join(e1.root, 'data/uploads/e1.txt'), 'uploaded at edge 1');
    e1.state.counter += 1;
    e1.state.cache.set('k1', { v: 1 });
    await tx.commit();
    const started = Date.now();
    for (const n of [cluster.edges[1]!, cluster.cloud]) {
      await waitFor(() =>
        rows(n, "SELECT id FROM notes WHERE title = 'from edge 1'").length === 1 &&
        readFile(n, 'data/uploads/e1.txt') === 'uploaded at edge 1' &&
        n.state.counter === 11 &&
        JSON.stringify(n.state.cache.get('k1')) === '{"v":1}', 2000, `edge 1 write at ${n.name}`);
    }
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('reaches both edges with a write the cloud app made directly (background capture)', async () => {
    cluster.cloud.app.prepare("UPDATE kv SET v = 'set at cloud' WHERE k = 'color'").run();
    for (const e of cluster.edges) {
      await waitFor(() => JSON.stringify(rows(e, 'SELECT v FROM kv')) === '[{"v":"set at cloud"}]', 2000, 'cloud write');
    }
  });

  it('keeps concurrent inserts at both edges, with identical tables everywhere', async () => {
    const [e1, e2] = cluster.edges as [Node, Node];
    const [t1, t2] = await Promise.all([e1.replica.begin(), e2.replica.begin()]);
    const ids: string[] = [];
    for (const [e, t] of [[e1, t1], [e2, t2]] as const) {
      for (let i = 0; i < 3; i++) {
        // The like references the note just created: applied elsewhere in any order.
        const noteId = e.app.prepare('INSERT INTO notes (title) VALUES (?)').run(`${e.name} #${i}`).lastInsertRowid;
        ids.push(`notes ${noteId}`);
        ids.push(`likes ${e.app.prepare('INSERT INTO likes (note_id, who) VALUES (?, ?)').run(noteId, `${e.name} #${i}`).lastInsertRowid}`);
      }
      await t.commit();
    }
    await waitFor(() => all().every((n) => rows(n, "SELECT * FROM notes WHERE title LIKE 'edge-%'").length === 6 &&
      rows(n, "SELECT * FROM likes WHERE who LIKE 'edge-%'").length === 6), 3000, 'concurrent inserts everywhere');
    await waitFor(() => sum(e1) === sum(cluster.cloud) && sum(e2) === sum(cluster.cloud), 3000, 'identical checksums');
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('adds up concurrent counter increments', async () => {
    await waitFor(() => all().every((n) => n.state.counter === all()[0]!.state.counter), 2000, 'counters equal');
    const base = cluster.cloud.state.counter;
    const [e1, e2] = cluster.edges as [Node, Node];
    const [t1, t2] = await Promise.all([e1.replica.begin(), e2.replica.begin()]);
    e1.state.counter += 5;
    e2.state.counter += 7;
    cluster.cloud.state.counter += 1;
    await Promise.all([t1.commit(), t2.commit()]);
    await waitFor(() => all().every((n) => n.state.counter === base + 13), 3000, 'counter = sum of increments');
  });

  it('rolls back a failed local request: no trace locally, nothing synced', async () => {
    const e1 = cluster.edges[0]!;
    await e1.replica.flush();
    const before = { sum: sum(e1), counter: e1.state.counter, cache: [...e1.state.cache] };
    const cacheRef = e1.state.cache;
    const tx = await e1.replica.begin();
    e1.app.prepare("INSERT INTO notes (title) VALUES ('failed request')").run();
    e1.app.prepare('DELETE FROM likes').run();
    writeFileSync(join(e1.root, 'data/uploads/failed.txt'), 'x');
    writeFileSync(join(e1.root, 'data/motd.txt'), 'overwritten');
    e1.state.counter += 100;
    e1.state.cache.set('failed', true);
    await tx.rollback();
    expect(sum(e1)).toBe(before.sum);
    expect(readFile(e1, 'data/uploads/failed.txt')).toBeNull();
    expect(readFile(e1, 'data/motd.txt')).toBe('hello');
    expect(e1.state.counter).toBe(before.counter);
    expect([...e1.state.cache]).toEqual(before.cache);
    expect(e1.state.cache).toBe(cacheRef);
    await e1.replica.flush();
    await new Promise((r) => setTimeout(r, 300));
    expect(rows(cluster.cloud, "SELECT * FROM notes WHERE title = 'failed request'")).toEqual([]);
    expect(readFile(cluster.cloud, 'data/uploads/failed.txt')).toBeNull();
    await waitFor(() => e1.replica.health().pendingChanges === 0, 3000, 'nothing pending at edge 1');
  });

  it('keeps a committed write that is not yet captured when a later request on the same row rolls back', async () => {
    const e1 = cluster.edges[0]!;
    await e1.replica.flush();
    const id = e1.app.prepare("INSERT INTO notes (title) VALUES ('v0')").run().lastInsertRowid;
    await e1.replica.flush();
    // Request 1 commits v1 and a new row; its capture waits for the sync delay.
    const t1 = await e1.replica.begin();
    e1.app.prepare("UPDATE notes SET title = 'v1' WHERE id = ?").run(id);
    const added = e1.app.prepare("INSERT INTO notes (title) VALUES ('kept')").run().lastInsertRowid;
    await t1.commit();
    // Request 2 (right after, before any capture) changes both rows, then fails.
    const t2 = await e1.replica.begin();
    expect(e1.replica.health().pendingChanges).toBeGreaterThan(0);
    e1.app.prepare("UPDATE notes SET title = 'v2' WHERE id = ?").run(id);
    e1.app.prepare('DELETE FROM notes WHERE id = ?').run(added);
    await t2.rollback();
    const title = (rowId: number | bigint): unknown => (e1.app.prepare('SELECT title FROM notes WHERE id = ?').get(rowId) as { title?: string } | undefined)?.title;
    expect(title(id)).toBe('v1');
    expect(title(added)).toBe('kept');
    await waitFor(() => rows(cluster.cloud, 'SELECT title FROM notes WHERE id = ?', id)[0]?.title === 'v1' &&
      rows(cluster.cloud, 'SELECT title FROM notes WHERE id = ?', added).length === 1, 3000, 'request 1 reached the cloud');
  });

  it('reports memory and document sizes in health only when asked', () => {
    const e1 = cluster.edges[0]!;
    expect(e1.replica.health().memory).toBeUndefined();
    const m = e1.replica.health({ memory: true }).memory!;
    expect(m.rssMiB).toBeGreaterThan(m.heapUsedMiB);
    expect(Object.keys(m.docs).sort()).toEqual(Object.keys(e1.replica.health({ docs: true }).docs!).sort());
    for (const d of Object.values(m.docs)) expect(d.ops).toBeGreaterThan(0);
  });

  it('refuses a peer with a wrong token: disconnected, receives nothing', async () => {
    const received: unknown[] = [];
    const sock = io(cluster.url, { path: '/edgstr-sync', auth: { token: 'wrong', nodeId: 'evil' }, reconnection: false, transports: ['websocket'] });
    sock.onAny((...args: unknown[]) => received.push(args));
    const error = await new Promise<string>((resolve) => sock.on('connect_error', (e: Error) => resolve(e.message)));
    sock.close();
    expect(error).toBe('unauthorized');
    expect(received).toEqual([]);
    expect(cluster.cloud.replica.health().peers).not.toContain('evil');
  });

  it('survives malformed and oversized messages from an authenticated peer', async () => {
    const sock = io(cluster.url, { path: '/edgstr-sync', auth: { token: SECRET, nodeId: 'fuzzer' }, reconnection: false, transports: ['websocket'] });
    await new Promise<void>((r) => sock.on('connect', () => r()));
    const refusedBefore = cluster.cloud.replica.refusedMessages;
    sock.emit('edgstr', 'garbage');
    sock.emit('edgstr', { type: 'sync', docId: 'files', data: 'not bytes' });
    sock.emit('edgstr', { type: 'sync', docId: 'files', data: new Uint8Array([1, 2, 3, 4]) });
    sock.emit('edgstr', { type: 'sync', docId: '../../etc', data: new Uint8Array([1]) });
    sock.emit('edgstr', { type: 'nope' });
    // Table messages: malformed, and for a database the hub does not replicate.
    sock.emit('edgstr', { type: 'tpage', db: 'db-app', from: 0, to: 1, head: 1, more: false, rows: [['kv', 'not json', 1, null, 1, 's', null]] });
    sock.emit('edgstr', { type: 'tpull', db: 'db-nope', after: 0 });
    await waitFor(() => cluster.cloud.replica.refusedMessages >= refusedBefore + 7, 2000, 'refusals');
    const dropped = new Promise<void>((r) => sock.on('disconnect', () => r()));
    sock.emit('edgstr', { type: 'sync', docId: 'files', data: new Uint8Array(2 * 1024 * 1024) });
    await dropped;
    sock.close();
    // The hub still syncs.
    cluster.cloud.app.prepare("INSERT INTO kv (k, v) VALUES ('after-fuzz', 'ok')").run();
    for (const e of cluster.edges) await waitFor(() => rows(e, "SELECT * FROM kv WHERE k = 'after-fuzz'").length === 1, 2000, 'sync after fuzz');
  });

  it('refuses remote file changes whose path escapes the root', async () => {
    const e1 = cluster.edges[0]!;
    const files = e1.replica.adapters.get('files')!;
    const release = await (e1.replica as unknown as { mutex: { acquire(): Promise<() => void> } }).mutex.acquire();
    const outside = join(cluster.cloud.root, '..', 'escaped.txt');
    try {
      files.store.doc = A.change(files.store.doc, (d) => {
        const f = d.files as Record<string, unknown>;
        for (const p of ['../escaped.txt', '/etc/edgstr-escaped', 'data/uploads/../../escaped.txt', 'data/other.txt']) {
          f[p] = { data: new Uint8Array([1]), hash: 'x' };
        }
      });
    } finally {
      release();
    }
    await e1.replica.flush();
    await new Promise((r) => setTimeout(r, 500));
    expect(existsSync(outside)).toBe(false);
    expect(existsSync('/etc/edgstr-escaped')).toBe(false);
    expect(existsSync(join(cluster.cloud.root, 'data/other.txt'))).toBe(false);
    expect(FILE_PATHS).not.toContain('data/other.txt');
  });
  it('stays quiet when idle and converged: pendingChanges 0 at every health sample, no sync traffic', async () => {
    await waitFor(() => all().every((n) => n.replica.health().pendingChanges === 0), 5000, 'everything confirmed');
    await waitFor(() => sum(cluster.edges[0]!) === sum(cluster.cloud) && sum(cluster.edges[1]!) === sum(cluster.cloud), 3000, 'identical checksums');
    // Let the last acknowledgements land before counting.
    await new Promise((r) => setTimeout(r, 300));
    const sentBefore = all().map((n) => n.replica.traffic.messages);
    const samples: number[][] = [];
    // 2 s: many background flushes (every 30 ms here), and the old "nudge" (every 10th) many times.
    for (let i = 0; i < 10; i++) {
      samples.push(all().map((n) => n.replica.health().pendingChanges));
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(samples).toEqual(Array.from({ length: 10 }, () => [0, 0, 0]));
    expect(all().map((n) => n.replica.traffic.messages)).toEqual(sentBefore);
  });
});
