/** A cloud hub and edges on loopback, each with its own SQLite file, file root and globals. */
import Database from 'better-sqlite3';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startReplica } from '../../src/runtime/index.js';
import type { EdgstrReplica } from '../../src/runtime/replica.js';
import type { ReplicaConfig } from '../../src/runtime/api.js';
import { makeDb, replicaConfig, tempDir } from './helpers.js';

export const TABLES = ['kv', 'likes', 'notes'];
export const FILE_PATHS = ['data/uploads/', 'data/motd.txt'];

export interface Node {
  name: string;
  dir: string;
  dbFile: string;
  root: string;
  app: Database.Database;
  state: { counter: number; cache: Map<string, unknown> };
  replica: EdgstrReplica;
}

export interface Cluster {
  url: string;
  server: Server;
  cloud: Node;
  edges: Node[];
  startEdge(index: number, dir?: string): Promise<Node>;
  close(): Promise<void>;
}

export function prepareDir(dir: string): void {
  mkdirSync(join(dir, 'app', 'data', 'uploads'), { recursive: true });
  makeDb(join(dir, 'app', 'data', 'app.db'));
  writeFileSync(join(dir, 'app', 'data', 'motd.txt'), 'hello');
}

async function startNode(
  name: string,
  dir: string,
  role: 'cloud' | 'edge',
  rangeIndex: number,
  cloudUrl?: string,
  over: Partial<ReplicaConfig> = {},
): Promise<Node> {
  const root = join(dir, 'app');
  const dbFile = join(root, 'data', 'app.db');
  const state = { counter: 10, cache: new Map<string, unknown>() };
  const replica = await startReplica(replicaConfig({
    role,
    nodeId: name,
    dataDir: join(dir, 'edgstr-data'),
    rangeIndex,
    cloudUrl,
    initialSyncTimeoutMs: role === 'edge' ? 5000 : 0,
    tables: [{ file: dbFile, tables: TABLES }],
    files: { root, paths: FILE_PATHS },
    globals: ['counter', 'cache'],
    maxMessageBytes: 1 << 20,
    ...over,
  }));
  replica.registerGlobal('counter', () => state.counter, (v) => (state.counter = v as number));
  replica.registerGlobal('cache', () => state.cache, (v) => (state.cache = v as Map<string, unknown>));
  const app = new Database(dbFile);
  app.pragma('busy_timeout = 5000');
  return { name, dir, dbFile, root, app, state, replica };
}

/** `over`: configuration every replica of the cluster gets on top of the defaults. */
export async function startCluster(edgeCount: number, over: Partial<ReplicaConfig> = {}): Promise<Cluster> {
  const temps: { dir: string; cleanup: () => void }[] = [];
  const server = createServer((_req, res) => res.end('the app'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const cloudDir = tempDir('cloud');
  temps.push(cloudDir);
  prepareDir(cloudDir.dir);
  const cloud = await startNode('cloud', cloudDir.dir, 'cloud', 0, undefined, over);
  cloud.replica.attachHub(server);
  const edges: Node[] = [];
  const cluster: Cluster = {
    url,
    server,
    cloud,
    edges,
    async startEdge(index, dir) {
      let d = dir;
      if (!d) {
        const t = tempDir(`edge${index}`);
        temps.push(t);
        prepareDir(t.dir);
        d = t.dir;
      }
      const edge = await startNode(`edge-${index}`, d, 'edge', index, url, over);
      edges[index - 1] = edge;
      return edge;
    },
    async close() {
      for (const n of [...edges, cloud]) {
        await n.replica.close().catch(() => undefined);
        n.app.close();
      }
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      for (const t of temps) t.cleanup();
    },
  };
  for (let i = 1; i <= edgeCount; i++) await cluster.startEdge(i);
  return cluster;
}
