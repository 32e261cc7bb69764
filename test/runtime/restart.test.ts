import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { startReplica } from '../../src/runtime/index.js';
import { FILE_PATHS, TABLES, prepareDir, startCluster, type Cluster } from './cluster.js';
import { replicaConfig, tableChecksum, tempDir, waitFor } from './helpers.js';

let cluster: Cluster | null = null;
afterEach(async () => {
  await cluster?.close();
  cluster = null;
});

const titles = (file: string): string[] =>
  JSON.parse(tableChecksum(file, ['notes'])).map((r: { title: string }) => r.title) as string[];

describe('replica restarts and outages', () => {
  it('restarts an edge from its data dir without losing writes, including ones made while it was down', async () => {
    cluster = await startCluster(1);
    const e1 = cluster.edges[0]!;
    const tx = await e1.replica.begin();
    e1.app.prepare("INSERT INTO notes (title) VALUES ('before restart')").run();
    e1.state.counter = 42;
    await tx.commit();
    await e1.replica.close();
    // Written while the runtime was down (an app crash after its commit, before capture).
    e1.app.prepare("INSERT INTO notes (title) VALUES ('while down')").run();
    writeFileSync(join(e1.root, 'data/uploads/while-down.txt'), 'kept');
    e1.app.close();
    const again = await cluster.startEdge(1, e1.dir);
    expect(again.state.counter).toBe(42);
    await waitFor(() => titles(cluster!.cloud.dbFile).includes('while down') &&
      existsSync(join(cluster!.cloud.root, 'data/uploads/while-down.txt')), 3000, 'catch-up at the cloud');
    expect(titles(cluster.cloud.dbFile)).toContain('before restart');
    await waitFor(() => tableChecksum(again.dbFile, TABLES) === tableChecksum(cluster!.cloud.dbFile, TABLES), 3000, 'same tables');
  });

  it('keeps an edge serving while the cloud is down and catches up both ways when it returns', async () => {
    cluster = await startCluster(1);
    const { cloud } = cluster;
    const e1 = cluster.edges[0]!;
    const port = (cluster.server.address() as AddressInfo).port;
    await cloud.replica.close();
    cluster.server.closeAllConnections();
    await new Promise((r) => cluster!.server.close(r));
    await waitFor(() => e1.replica.health().peers.length === 0, 3000, 'edge notices');
    const tx = await e1.replica.begin();
    e1.app.prepare("INSERT INTO notes (title) VALUES ('offline write')").run();
    writeFileSync(join(e1.root, 'data/motd.txt'), 'changed offline');
    await tx.commit();
    expect(e1.replica.health().pendingChanges).toBeGreaterThan(0);
    cloud.app.prepare("INSERT INTO notes (title) VALUES ('cloud write while apart')").run();
    // The cloud comes back on the same port from its data dir.
    const server = createServer((_q, s) => s.end('app'));
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    cluster.server = server;
    cloud.replica = await startReplica(replicaConfig({
      role: 'cloud', nodeId: 'cloud', dataDir: join(cloud.dir, 'edgstr-data'), rangeIndex: 0,
      tables: [{ file: cloud.dbFile, tables: TABLES }], files: { root: cloud.root, paths: FILE_PATHS },
      globals: ['counter', 'cache'],
    }));
    cloud.replica.attachHub(server);
    await waitFor(() => titles(cloud.dbFile).includes('offline write') && titles(e1.dbFile).includes('cloud write while apart'),
      8000, 'catch-up after the outage');
    // Files are their own document: they may arrive a moment after the tables.
    await waitFor(() => readFileSync(join(cloud.root, 'data/motd.txt'), 'utf8') === 'changed offline', 3000, 'the offline file change at the cloud');
    await waitFor(() => e1.replica.health().pendingChanges === 0, 3000, 'nothing pending');
  });

  it('loses no acknowledged write when an edge process is killed with SIGKILL', async () => {
    const runtime = resolve('dist/runtime/index.js');
    if (!existsSync(runtime)) throw new Error('dist/runtime is missing: run `npm run build` first');
    cluster = await startCluster(0);
    const t = tempDir('killed');
    prepareDir(t.dir);
    const dbFile = join(t.dir, 'app', 'data', 'app.db');
    const config = replicaConfig({
      role: 'edge', nodeId: 'edge-k', dataDir: join(t.dir, 'edgstr-data'), rangeIndex: 3, cloudUrl: cluster.url,
      initialSyncTimeoutMs: 5000, tables: [{ file: dbFile, tables: TABLES }], files: { root: join(t.dir, 'app'), paths: FILE_PATHS },
    });
    const child = spawn(process.execPath, [join('test/runtime/fixtures/edge-writer.mjs'), pathToFileURL(runtime).href, JSON.stringify(config)],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, EDGSTR_QUIET: '1' } });
    const acked: string[] = [];
    let buffer = '';
    child.stdout.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop()!;
      for (const l of lines) if (l.startsWith('ack ')) acked.push(l.slice(4));
    });
    try {
      await waitFor(() => acked.length >= 10, 60_000, '10 acknowledged writes');
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    const restarted = await startReplica({ ...config, nodeId: 'edge-k' });
    try {
      const local = titles(dbFile);
      for (const title of acked) expect(local).toContain(title);
      await waitFor(() => acked.every((title) => titles(cluster!.cloud.dbFile).includes(title)), 5000, 'acked writes at the cloud');
    } finally {
      await restarted.close();
      t.cleanup();
    }
  }, 120_000);

  it('makes a cloud global durable before the answer with persistGlobalsNow (a copy of the data dir taken at once keeps it)', async () => {
    const t = tempDir('globals-now');
    const config = replicaConfig({ role: 'cloud', nodeId: 'cloud', dataDir: join(t.dir, 'edgstr-data'), globals: ['visits'], flushIntervalMs: 600_000, syncDelayMs: 600_000 });
    const cloud = await startReplica(config);
    let visits = 1;
    cloud.registerGlobal('visits', () => visits, (v) => { visits = v as number; });
    // The state a kill -9 would leave: the data dir as it is on disk right now.
    const crashNow = async (name: string): Promise<number> => {
      const copy = join(t.dir, name);
      cpSync(config.dataDir, copy, { recursive: true });
      const again = await startReplica({ ...config, dataDir: copy });
      let seen = -1;
      again.registerGlobal('visits', () => seen, (v) => { seen = v as number; });
      await again.close();
      return seen;
    };
    try {
      expect(cloud.persistGlobalsNow()).toBe(true);
      visits = 2;
      expect(await crashNow('without')).toBe(1); // only in memory: lost (what the cloud preload must avoid)
      visits = 3;
      expect(cloud.persistGlobalsNow()).toBe(true);
      expect(await crashNow('with')).toBe(3);
      // While someone holds the replica it refuses (the caller flushes instead).
      const tx = await cloud.begin();
      expect(cloud.persistGlobalsNow()).toBe(false);
      await tx.commit();
      expect(cloud.persistGlobalsNow()).toBe(true);
    } finally {
      await cloud.close();
      t.cleanup();
    }
  });
});
