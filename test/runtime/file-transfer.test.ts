/**
 * File chunks between real replicas (cloud hub + edges over socket.io on loopback): a big file
 * written at one edge reaches the other through the hub, to which the writer pushes the
 * chunks before their metadata; at most MAX_IN_FLIGHT_BYTES are asked at once; a transfer cut by a restart
 * resumes with the chunks it lacks.
 */
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES } from '../../src/runtime/chunk-store.js';
import { MAX_IN_FLIGHT_BYTES } from '../../src/runtime/chunk-transfer.js';
import type { ChunkMessage } from '../../src/runtime/sync/messages.js';
import type { PeerSync } from '../../src/runtime/sync/peer-sync.js';
import { startCluster, type Cluster, type Node } from './cluster.js';
import { waitFor } from './helpers.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster(2);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

const same = (a: Node, b: Node, rel: string): boolean =>
  existsSync(join(a.root, rel)) && existsSync(join(b.root, rel)) && readFileSync(join(a.root, rel)).equals(readFileSync(join(b.root, rel)));
const chunkCount = (n: Node): number => {
  const dir = join(n.dir, 'edgstr-data', 'chunks');
  return readdirSync(dir).reduce((sum, sub) => sum + readdirSync(join(dir, sub)).length, 0);
};

interface Moved {
  pushed: number;
  sent: number;
  received: number;
  confirmed: number;
}

describe('file chunks between replicas', () => {
  it('moves a big file from edge 1 to edge 2 through the hub, never more than MAX_IN_FLIGHT_BYTES asked at once', async () => {
    const [e1, e2] = cluster.edges as [Node, Node];
    const rel = 'data/uploads/video.bin';
    const chunks = 40;
    // (At start each edge pushed what it captured of its snapshot: counted from here.)
    const before = [e1, cluster.cloud, e2].map((n) => ({ ...n.replica.chunkTransfer!.traffic }));
    writeFileSync(join(e1.root, rel), randomBytes(chunks * CHUNK_BYTES - 7));
    let most = 0;
    const sample = setInterval(() => {
      for (const n of [cluster.cloud, e2]) most = Math.max(most, n.replica.chunkTransfer!.askedBytes);
    }, 2);
    try {
      await e1.replica.flush();
      await waitFor(() => same(e1, e2, rel) && same(e1, cluster.cloud, rel), 30_000, 'the file at edge 2 and the cloud');
    } finally {
      clearInterval(sample);
    }
    expect(most).toBeGreaterThan(0);
    expect(most).toBeLessThanOrEqual(MAX_IN_FLIGHT_BYTES);
    // Edge 1 pushed every chunk once before the metadata, the hub stored and confirmed each
    // and sent it on to edge 2, which asked for it.
    const [t1, tc, t2] = [e1, cluster.cloud, e2].map((n, i) => {
      const now = n.replica.chunkTransfer!.traffic;
      const was = before[i]!;
      return { pushed: now.pushed - was.pushed, sent: now.sent - was.sent, received: now.received - was.received, confirmed: now.confirmed - was.confirmed };
    }) as [Moved, Moved, Moved];
    expect(t1.pushed).toBe(chunks);
    expect(t1.sent).toBe(chunks);
    expect(tc.received).toBe(chunks);
    expect(tc.confirmed).toBe(chunks);
    expect(tc.sent).toBe(chunks);
    expect(t2.received).toBe(chunks);
    await waitFor(() => [cluster.cloud, e1, e2].every((n) => n.replica.health().pendingChanges === 0), 10_000, 'nothing pending');
  }, 60_000);

  it('keeps both edges\' concurrent appends to a file, in the same order everywhere', async () => {
    const [e1, e2] = cluster.edges as [Node, Node];
    const rel = 'data/uploads/journal.log';
    writeFileSync(join(cluster.cloud.root, rel), 'start\n');
    await cluster.cloud.replica.flush();
    await waitFor(() => same(cluster.cloud, e1, rel) && same(cluster.cloud, e2, rel), 10_000, 'the journal everywhere');
    for (let i = 0; i < 5; i++) {
      for (const e of [e1, e2]) {
        const tx = await e.replica.begin();
        appendFileSync(join(e.root, rel), `${e.name} ${i}\n`);
        await tx.commit();
      }
    }
    await waitFor(() => same(cluster.cloud, e1, rel) && same(cluster.cloud, e2, rel) &&
      readFileSync(join(e1.root, rel), 'utf8').split('\n').length === 12, 15_000, 'every line everywhere');
    const lines = readFileSync(join(e2.root, rel), 'utf8').trim().split('\n');
    expect(lines[0]).toBe('start');
    expect(lines.slice(1).sort()).toEqual([0, 1, 2, 3, 4].flatMap((i) => [`edge-1 ${i}`, `edge-2 ${i}`]).sort());
  }, 60_000);

  it('resumes a transfer cut by a restart of the receiving edge, asking only for the chunks it lacks', async () => {
    const [e1, e2] = cluster.edges as [Node, Node];
    const rel = 'data/uploads/archive.bin';
    const chunks = 120;
    const before = chunkCount(e2);
    // Edge 2 stops after its 10th chunk of this transfer (the connection closes with it).
    const transfer = e2.replica.chunkTransfer!;
    const onChunk = transfer.onChunk.bind(transfer);
    let got = 0;
    let closing: Promise<void> | null = null;
    transfer.onChunk = (peer: PeerSync, msg: ChunkMessage): boolean => {
      const ok = onChunk(peer, msg);
      if (++got === 10) closing = e2.replica.close().then(() => void e2.app.close());
      return ok;
    };
    writeFileSync(join(e1.root, rel), randomBytes(chunks * CHUNK_BYTES));
    await e1.replica.flush();
    await waitFor(() => closing !== null, 30_000, 'edge 2 receiving chunks');
    await closing;
    const kept = chunkCount(e2) - before;
    expect(kept).toBeGreaterThanOrEqual(10);
    expect(kept).toBeLessThan(chunks);
    expect(existsSync(join(e2.root, rel))).toBe(false);
    const again = await cluster.startEdge(2, e2.dir);
    await waitFor(() => same(e1, again, rel), 30_000, 'the file at the restarted edge');
    expect(again.replica.chunkTransfer!.traffic.received).toBe(chunks - kept);
  }, 60_000);
});
