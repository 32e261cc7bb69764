/**
 * History compaction across a cloud and two edges: epochs start while edges write, edges that
 * were down (with and without writes of their own) come back on an older epoch, and a restart
 * of an edge keeps the epoch. Nothing acknowledged is lost and every replica ends up identical.
 */
import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLES, startCluster, type Cluster, type Node } from './cluster.js';
import { io } from 'socket.io-client';
import { SECRET, tableChecksum, waitFor } from './helpers.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster(2, { compactAfterOps: 300 });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const all = (): Node[] => [cluster.cloud, ...cluster.edges];
const sum = (n: Node): string => tableChecksum(n.dbFile, TABLES);
const epochOf = (n: Node, docId: string): number => n.replica.health({ memory: true }).memory!.docs[docId]!.epoch;
const opsOf = (n: Node, docId: string): number => n.replica.health({ memory: true }).memory!.docs[docId]!.ops;
const log = (n: Node): string => readFileSync(join(n.root, 'data/uploads/log.txt'), 'utf8');
// Tables keep no history (table-store.ts): epochs concern the files and globals documents.
const docIds = ['files', 'globals'];

/**
 * One request's writes, mostly updates (history to compact; a rebuild that would keep most of
 * the operations is not worth an epoch): 20 upserted rows, an updated row (the same row at both
 * edges), a rewritten file, an increment; every tenth also inserts a row and appends a line.
 */
async function write(e: Node, i: number): Promise<void> {
  const tx = await e.replica.begin();
  if (i % 10 === 0) {
    e.app.prepare('INSERT INTO notes (title) VALUES (?)').run(`${e.name} ${i}`);
    appendFileSync(join(e.root, 'data/uploads/log.txt'), `${e.name} ${i}\n`);
  }
  // 20 rows: writes that land in one capture window (20 ms) update a row once in the history.
  const upsert = e.app.prepare('INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)');
  for (let j = 0; j < 20; j++) upsert.run(`${e.name}-${j}`, `${i}`);
  e.app.prepare('UPDATE notes SET title = ? WHERE id = 1').run(`seed one, ${e.name} ${i}`);
  // Tables keep no history: the history to compact is the files' (five rewritten per request).
  for (let j = 0; j < 5; j++) writeFileSync(join(e.root, `data/uploads/status-${e.name}-${j}.txt`), `${i}`);
  e.state.counter += 1;
  await tx.commit();
}

async function converged(ms = 10_000): Promise<void> {
  await waitFor(() => {
    const nodes = all();
    const first = nodes[0]!;
    return nodes.every((n) => sum(n) === sum(first) && n.state.counter === first.state.counter &&
      existsSync(join(n.root, 'data/uploads/log.txt')) && log(n) === log(first) &&
      docIds.every((d) => epochOf(n, d) === epochOf(first, d)) && n.replica.health().pendingChanges === 0);
  }, ms, 'identical replicas on the same epochs');
}

describe('history compaction (epochs)', () => {
  it('starts new epochs while both edges write, loses nothing and bounds the history', async () => {
    writeFileSync(join(cluster.cloud.root, 'data/uploads/log.txt'), '');
    await converged();
    const counter0 = cluster.cloud.state.counter;
    const [e1, e2] = cluster.edges as [Node, Node];
    const rounds = 120;
    for (let i = 0; i < rounds; i++) {
      await Promise.all([write(e1, i), write(e2, i)]);
      if (i % 10 === 0) await new Promise((r) => setTimeout(r, 60));
    }
    await waitFor(() => epochOf(cluster.cloud, 'files') >= 1, 10_000, 'a compaction of the files');
    await converged();
    for (const n of all()) {
      expect(n.state.counter).toBe(counter0 + 2 * rounds);
      const titles = n.app.prepare("SELECT count(*) AS n FROM notes WHERE title LIKE 'edge-%'").get() as { n: number };
      expect(titles.n).toBe(2 * rounds / 10);
      expect(log(n).trim().split('\n')).toHaveLength(2 * rounds / 10);
    }
    expect(cluster.cloud.replica.epochSwitches).toBeGreaterThanOrEqual(1);
    // The live state is ~1,000 operations; without compaction the history would hold every
    // update, rewrite and increment since the start (more than 2,000 of them at each document).
    expect(opsOf(cluster.cloud, 'files')).toBeLessThan(3000);
  }, 60_000);

  it('brings back an edge that was down during a compaction, with and without writes of its own', async () => {
    const [e1, e2] = cluster.edges as [Node, Node];
    await converged();
    const counter0 = cluster.cloud.state.counter;
    const epoch0 = epochOf(cluster.cloud, 'files');
    await e2.replica.close();
    e2.app.close();
    // Written at edge 2 while its runtime is down: the change log keeps them for its restart.
    const offline = new Database(e2.dbFile);
    offline.prepare("INSERT INTO kv (k, v) VALUES ('offline', 'written while down')").run();
    offline.close();
    writeFileSync(join(e2.root, 'data/uploads/offline.txt'), 'written while down');
    // Apart, so that each is its own capture (back-to-back writes share one, and the history
    // grows by far less).
    for (let i = 200; i < 260; i++) {
      await write(e1, i);
      await new Promise((r) => setTimeout(r, 30));
    }
    await waitFor(() => epochOf(cluster.cloud, 'files') > epoch0, 10_000, 'a compaction while edge 2 is down');
    const catchUps = cluster.cloud.replica.staleCatchUps;
    await cluster.startEdge(2, e2.dir);
    await converged();
    // Its files document had a write of its own: caught up on the archive first. Its globals
    // had none: offered the current epoch at once. Its tables pull what they lack by version.
    expect(cluster.cloud.replica.staleCatchUps).toBe(catchUps + 1);
    for (const n of all()) {
      expect(n.app.prepare("SELECT v FROM kv WHERE k = 'offline'").get()).toEqual({ v: 'written while down' });
      expect(readFileSync(join(n.root, 'data/uploads/offline.txt'), 'utf8')).toBe('written while down');
      expect(n.state.counter).toBe(counter0 + 60);
    }
  }, 60_000);

  it('gives a fresh edge joining after a compaction the current epoch, not its snapshot', async () => {
    await converged();
    const catchUps = cluster.cloud.replica.staleCatchUps;
    const before = { sum: sum(cluster.cloud), counter: cluster.cloud.state.counter };
    const e3 = await cluster.startEdge(3);
    await converged();
    expect(sum(e3)).toBe(before.sum);
    expect(cluster.cloud.state.counter).toBe(before.counter);
    expect(epochOf(e3, 'files')).toBe(epochOf(cluster.cloud, 'files'));
    expect(cluster.cloud.replica.staleCatchUps).toBe(catchUps);
    await write(e3, 1);
    await converged();
  }, 60_000);

  it('keeps the epoch across a restart of an edge', async () => {
    await converged();
    const epoch = epochOf(cluster.cloud, 'files');
    expect(epoch).toBeGreaterThanOrEqual(1);
    const e1 = cluster.edges[0]!;
    await write(e1, 1000);
    await converged();
    await e1.replica.close();
    e1.app.close();
    const again = await cluster.startEdge(1, e1.dir);
    // The cloud may have compacted again meanwhile (the writes above count toward it): the
    // restarted edge holds the cloud's current epoch, never an older one or its snapshot's.
    expect(epochOf(again, 'files')).toBeGreaterThanOrEqual(epoch);
    expect(epochOf(again, 'files')).toBe(epochOf(cluster.cloud, 'files'));
    await write(again, 1001);
    await converged();
  }, 60_000);

  it('refuses epoch messages an authenticated peer should not send, and keeps syncing', async () => {
    await converged();
    const sock = io(cluster.url, { path: '/edgstr-sync', auth: { token: SECRET, nodeId: 'fuzzer' }, reconnection: false, transports: ['websocket'] });
    await new Promise<void>((r) => sock.on('connect', () => r()));
    const refusedBefore = cluster.cloud.replica.refusedMessages;
    const epoch = epochOf(cluster.cloud, 'files');
    // An offer sent to the hub; a sync message of an epoch the hub never had; an older-epoch
    // message that does not decode; a fresh request for a document the hub does not have.
    sock.emit('edgstr', { type: 'epoch', docId: 'files', epoch: epoch + 1, base: [], data: new Uint8Array([1]) });
    sock.emit('edgstr', { type: 'sync', docId: 'files', epoch: epoch + 5, data: new Uint8Array([0x42, 0, 0, 0, 0]) });
    sock.emit('edgstr', { type: 'sync', docId: 'files', epoch: 0, data: new Uint8Array([1, 2, 3]) });
    sock.emit('edgstr', { type: 'fresh', docId: 'nope' });
    await waitFor(() => cluster.cloud.replica.refusedMessages >= refusedBefore + 4, 3000, 'refusals');
    sock.close();
    expect(epochOf(cluster.cloud, 'files')).toBe(epoch);
    await write(cluster.edges[0]!, 2000);
    await converged();
  }, 60_000);
});
