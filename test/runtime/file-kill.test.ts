/**
 * An edge killed with SIGKILL right after a file write (issue 14, the chunk store): every other
 * replica ends with the previous version of the file or the new one, whole, and nothing stays
 * pending. The writer pushes its chunks to the hub before the metadata naming them may leave
 * (chunk-transfer.ts); without that, the hub learns a version whose chunks only the dead edge
 * had and waits for them until they strand (30 s by default), far beyond this test's bound.
 * Then: a version whose chunks nobody can provide strands after a bound instead of blocking.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHUNK_BYTES } from '../../src/runtime/chunk-store.js';
import type { FileCrdt } from '../../src/runtime/file-crdt.js';
import { encodeHeads, hasHeads, parseHeads } from '../../src/runtime/session-barrier.js';
import { FILE_PATHS, prepareDir, startCluster, type Cluster, type Node } from './cluster.js';
import { replicaConfig, tempDir, waitFor } from './helpers.js';

let cluster: Cluster;
const temps: { cleanup: () => void }[] = [];
beforeAll(async () => {
  cluster = await startCluster(1);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
  for (const t of temps) t.cleanup();
});

interface Child {
  proc: ChildProcess;
  root: string;
  dir: string;
  ask(msg: object, key: string): Promise<Record<string, unknown>>;
}

/** A writer edge in its own process; `dir`: restart one on its data dir. */
async function startWriter(index: number, dir?: string): Promise<Child> {
  const runtime = resolve('dist/runtime/index.js');
  if (!existsSync(runtime)) throw new Error('dist/runtime is missing: run `npm run build` first');
  let at = dir;
  if (!at) {
    const t = tempDir(`writer${index}`);
    temps.push(t);
    prepareDir(t.dir);
    at = t.dir;
  }
  const root = join(at, 'app');
  const config = replicaConfig({
    role: 'edge', nodeId: `writer-${index}`, dataDir: join(at, 'edgstr-data'), rangeIndex: 10 + index, cloudUrl: cluster.url,
    initialSyncTimeoutMs: 5000, files: { root, paths: FILE_PATHS },
  });
  const proc = fork(join('test/runtime/fixtures/file-writer-edge.mjs'), [pathToFileURL(runtime).href, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, EDGSTR_QUIET: '1' },
  });
  const ask = (msg: object, key: string): Promise<Record<string, unknown>> =>
    new Promise((res, rej) => {
      const on = (m: Record<string, unknown>): void => {
        if (!(key in m)) return;
        proc.off('message', on);
        res(m);
      };
      proc.on('message', on);
      proc.once('exit', () => rej(new Error('the writer edge exited')));
      if (Object.keys(msg).length > 0) proc.send(msg);
    });
  await ask({}, 'ready');
  return { proc, root, dir: at, ask };
}

async function kill(child: Child): Promise<void> {
  const exited = new Promise((r) => child.proc.once('exit', r));
  child.proc.kill('SIGKILL');
  await exited;
}

const read = (n: Node, rel: string): Buffer | null => (existsSync(join(n.root, rel)) ? readFileSync(join(n.root, rel)) : null);

describe('a file writer killed with SIGKILL', () => {
  // 'commit': killed as soon as the local write returned (nothing captured yet); 'flush': once
  // the write was captured and the flush that sends it ran (its chunks are on their way).
  for (const [round, then] of [[1, 'commit'], [2, 'flush'], [3, 'flush']] as const) {
    it(`leaves every other replica with a whole version and nothing pending (${then})`, async () => {
      const rel = `data/uploads/kill-${round}.bin`;
      const writer = await startWriter(round);
      let previous: Buffer | null = null;
      try {
        // The previous version, everywhere.
        await writer.ask({ cmd: 'write', rel, bytes: 1000, then: 'flush' }, 'wrote');
        await waitFor(() => read(cluster.cloud, rel)?.length === 1000 && read(cluster.edges[0]!, rel)?.length === 1000, 20_000, 'the first version everywhere');
        previous = read(cluster.cloud, rel)!;
        for (let tries = 0; ; tries++) {
          const { health } = await writer.ask({ cmd: 'health' }, 'health');
          if ((health as { pendingChanges: number }).pendingChanges === 0) break;
          if (tries > 400) throw new Error('the writer still has changes pending');
          await new Promise((r) => setTimeout(r, 50));
        }
        // The new version: 48 chunks, more than the hub asks for at once.
        await writer.ask({ cmd: 'write', rel, bytes: 48 * CHUNK_BYTES, then }, 'wrote');
      } finally {
        await kill(writer);
      }
      const others = [cluster.cloud, cluster.edges[0]!];
      await waitFor(() => others.every((n) => n.replica.health().pendingChanges === 0), 10_000, 'nothing pending at the cloud and the other edge');
      for (const n of others) {
        const now = read(n, rel);
        expect(now, `${n.name} keeps a file`).not.toBeNull();
        // The old version, or the new one whole (the new one has 48 chunks: written only complete).
        expect(now!.length === 1000 || now!.length === 48 * CHUNK_BYTES, `${n.name}: ${now!.length} bytes`).toBe(true);
        if (now!.length === 1000) expect(now!.equals(previous!)).toBe(true);
        expect(n.replica.health().strandedFiles).toBeUndefined();
      }
      expect(read(cluster.cloud, rel)!.equals(read(cluster.edges[0]!, rel)!)).toBe(true);
    }, 90_000);
  }
});

describe('a file writer restarted after SIGKILL', () => {
  it('pushes the chunks of what it had captured before the kill before their metadata: the hub never waits for them', async () => {
    const rel = 'data/uploads/restarted.bin';
    const writer = await startWriter(4);
    try {
      await writer.ask({ cmd: 'write', rel, bytes: 1000, then: 'flush' }, 'wrote');
      await waitFor(() => read(cluster.cloud, rel)?.length === 1000, 20_000, 'the first version at the cloud');
      // Captured (the flush ran), then killed while its chunks were on their way at best.
      await writer.ask({ cmd: 'write', rel, bytes: 48 * CHUNK_BYTES, then: 'flush' }, 'wrote');
    } finally {
      await kill(writer);
    }
    const hubFiles = cluster.cloud.replica.adapters.get('files') as FileCrdt;
    let most = 0;
    const sample = setInterval(() => (most = Math.max(most, hubFiles.pending())), 2);
    const again = await startWriter(4, writer.dir);
    try {
      await waitFor(() => read(cluster.cloud, rel)?.length === 48 * CHUNK_BYTES, 30_000, 'the captured version at the cloud');
      await waitFor(() => read(cluster.edges[0]!, rel)?.length === 48 * CHUNK_BYTES, 30_000, 'the captured version at the other edge');
    } finally {
      clearInterval(sample);
      await kill(again);
    }
    // Its metadata reached the hub only once the hub held the bytes (without the outbox rebuilt
    // at start the metadata goes first and the hub waits for 48 chunks).
    expect(most).toBe(0);
    expect(read(cluster.cloud, rel)!.equals(read(cluster.edges[0]!, rel)!)).toBe(true);
  }, 90_000);
});

describe('a file version whose chunks nobody can provide', () => {
  it('is stranded after fileStrandAfterMs at the hub and the edges: reported in health, not pending, not held by the session barrier', async () => {
    const strand = await startCluster(2, { fileStrandAfterMs: 1000 });
    try {
      const [e1, e2] = strand.edges as [Node, Node];
      const rel = 'data/uploads/orphan.bin';
      writeFileSync(join(e1.root, rel), 'the previous version');
      await e1.replica.flush();
      await waitFor(() => read(e2, rel)?.toString() === 'the previous version', 20_000, 'the previous version at edge 2');
      // What an older runtime (or a writer that died after its metadata left) leaves behind:
      // the metadata goes out, the only copy of the chunk is lost.
      writeFileSync(join(e1.root, rel), randomBytes(3 * CHUNK_BYTES));
      const files = e1.replica.adapters.get('files') as FileCrdt;
      await e1.replica.mutex.run(() => {
        // Captured, and before anything was pushed to the hub:
        files.capture();
        files.store.persist();
        expect(files.outbox.size).toBe(3);
        for (const hash of files.outbox.keys()) rmSync(join(e1.dir, 'edgstr-data', 'chunks', hash.slice(0, 2), hash));
        files.outbox.clear();
        e1.replica.broadcast('files');
      });
      // The hub holds its acknowledgement (and the relay) while it waits for the chunks...
      await waitFor(() => strand.cloud.replica.health().pendingChanges > 0, 5_000, 'the hub to wait for the chunks');
      expect(e1.replica.health().pendingChanges).toBeGreaterThan(0);
      // ...for fileStrandAfterMs, then keeps the older file and stops waiting.
      await waitFor(() => [strand.cloud, e1, e2].every((n) => n.replica.health().pendingChanges === 0), 15_000, 'nothing pending anywhere');
      await waitFor(() => (e2.replica.health().strandedFiles ?? []).includes(rel), 5_000, 'edge 2 reporting the stranded file');
      expect(strand.cloud.replica.health().strandedFiles).toEqual([rel]);
      for (const n of [strand.cloud, e2]) expect(read(n, rel)?.toString()).toBe('the previous version');
      // A local read at edge 2 after a forwarded request that saw the new metadata is not held.
      expect(hasHeads(e2.replica, parseHeads(encodeHeads(strand.cloud.replica))!)).toBe(true);
    } finally {
      await strand.close();
    }
  }, 90_000);
});
