/**
 * The generated system under fault: the ledger fixture (test/fixtures/faults/ledger) generated
 * once, installed (native addons copied), and run as a cloud + N edges that can each be stopped,
 * killed (-9, the whole process group) and restarted from the same data dir. Edges can dial the
 * cloud through a cuttable TCP link, which is how a partition is made while the cloud keeps
 * serving its own clients.
 */
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Automerge from '@automerge/automerge';
import { isArchiveFile, readDocFile } from '../../src/runtime/doc-store.js';
import { generate } from '../../src/generate/index.js';
import { installGenerated } from '../../src/verify/install.js';
import { request } from './http.js';
import { fileChecksums, jsonChecksum, tableChecksums } from '../../src/verify/checksum.js';
import { freePort, startProject, type Started } from '../../src/verify/processes.js';

export const LEDGER_INPUT = fileURLToPath(new URL('../fixtures/faults/ledger/input/', import.meta.url));
export const TABLES = ['items'];
export const FILES = ['data/files/'];

/** Files whose contents decide the generated output: the fixture, the runtime, the templates, generate. */
function buildKey(): string {
  const hash = createHash('sha256');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const abs = join(dir, e.name);
      if (e.isDirectory()) walk(abs);
      else hash.update(abs).update(readFileSync(abs));
    }
  };
  for (const d of [LEDGER_INPUT, join(root, 'dist', 'runtime'), join(root, 'templates'), join(root, 'src', 'generate')]) walk(d);
  return hash.digest('hex').slice(0, 12);
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * The ledger fixture generated (4 edge configs) and installed once per vitest run: test files run
 * in parallel workers of one vitest process (same parent pid), the first builds under a lock,
 * the others wait and reuse it (generate + two installs take ~50 s on 2 cores). Builds left by
 * earlier runs (parent gone) are removed. Returns the generated DIR (with cloud/ and edge/).
 */
export async function buildLedger(): Promise<string> {
  for (const name of readdirSync(tmpdir()).filter((n) => n.startsWith('edgstr-faults-build-'))) {
    const owner = Number(name.split('-')[3]);
    if (owner !== process.ppid && !alive(owner)) rmSync(join(tmpdir(), name), { recursive: true, force: true });
  }
  const dir = join(tmpdir(), `edgstr-faults-build-${process.ppid}-${buildKey()}`);
  const lock = `${dir}.lock`;
  const until = Date.now() + 300_000;
  while (!existsSync(join(dir, 'done'))) {
    try {
      mkdirSync(lock);
    } catch {
      if (Date.now() > until) throw new Error(`timed out waiting for another worker's build in ${dir}`);
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    try {
      rmSync(dir, { recursive: true, force: true });
      const workdir = join(dir, 'work');
      cpSync(LEDGER_INPUT, workdir, { recursive: true });
      const out = join(dir, 'out');
      await generate({ workdir, out, target: 'node', edges: 4, cloudUrl: 'http://127.0.0.1:9' });
      await Promise.all([installGenerated(join(out, 'edge')), installGenerated(join(out, 'cloud'))]);
      writeFileSync(join(dir, 'done'), '');
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
  }
  return join(dir, 'out');
}

/** A scratch dir for one test file's runs. */
export function makeScratch(): string {
  return mkdtempSync(join(tmpdir(), 'edgstr-faults-'));
}

/** One replica's process, restartable from the same dirs on the same port. */
export class Node {
  proc: Started | null = null;
  constructor(
    readonly name: string,
    readonly port: number,
    private readonly projectDir: string,
    readonly dataDir: string,
    readonly appDir: string,
    private readonly env: Record<string, string>,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(timeoutMs = 30_000): Promise<void> {
    this.proc = await startProject({ name: this.name, dir: this.projectDir, port: this.port, env: { ...this.env, EDGSTR_DATA_DIR: this.dataDir }, timeoutMs });
  }

  /** SIGTERM (graceful), SIGKILL after 5 s. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await p?.stop();
  }

  /** kill -9 of the process group: a crash, nothing flushed on the way out. */
  async kill(): Promise<void> {
    const p = this.proc;
    this.proc = null;
    await p?.kill();
  }

  tail(): string {
    return this.proc?.tail() ?? '(not running)';
  }

  tableSums(): Record<string, string> {
    return tableChecksums(join(this.appDir, 'data', 'ledger.db'), TABLES);
  }

  fileSums(): Record<string, string> {
    return fileChecksums(this.appDir, FILES);
  }
}

/** A TCP link between an edge and the cloud that can be cut (all connections dropped, new ones refused) and healed. */
export class Link {
  private cut = false;
  private readonly sockets = new Set<net.Socket>();
  private constructor(private readonly server: net.Server, readonly port: number) {}

  static async open(targetPort: number): Promise<Link> {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const link = new Link(server, (server.address() as net.AddressInfo).port);
    server.on('connection', (client) => link.accept(client, targetPort));
    return link;
  }

  private accept(client: net.Socket, targetPort: number): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }

  partition(): void {
    this.cut = true;
    for (const s of this.sockets) s.destroy();
  }

  heal(): void {
    this.cut = false;
  }

  close(): Promise<void> {
    this.partition();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

export interface Cluster {
  cloud: Node;
  edges: Node[];
  links: Link[];
  /** Stops every process (SIGKILL) and removes nothing: the caller removes the scratch dir. */
  destroy(): Promise<void>;
}

/** Copies the generated cloud project into `to` (node_modules linked), as verify's stack does. */
function copyCloud(from: string, to: string): void {
  const skip = [join(from, 'node_modules'), join(from, 'data')];
  cpSync(from, to, { recursive: true, filter: (src) => !skip.some((s) => src === s || src.startsWith(s + sep)) });
  symlinkSync(join(from, 'node_modules'), join(to, 'node_modules'), 'junction');
}

/** Starts a fresh cloud and `edgeCount` edges (edge-1..N); with `links`, each edge dials the cloud through its own Link. */
export async function startCluster(out: string, scratch: string, edgeCount: number, opts: { links?: boolean; cloudEnv?: Record<string, string> } = {}): Promise<Cluster> {
  const run = join(scratch, `run-${Date.now()}`);
  const cloudDir = join(run, 'cloud');
  copyCloud(join(out, 'cloud'), cloudDir);
  const cloud = new Node('cloud', await freePort(), cloudDir, join(run, 'cloud-data'), join(cloudDir, 'app'), opts.cloudEnv ?? {});
  const edges: Node[] = [];
  const links: Link[] = [];
  const cluster: Cluster = {
    cloud,
    edges,
    links,
    async destroy() {
      await Promise.all([cloud, ...edges].map((n) => n.kill().catch(() => undefined)));
      await Promise.all(links.map((l) => l.close()));
    },
  };
  try {
    await cloud.start();
    for (let i = 1; i <= edgeCount; i++) {
      let cloudUrl = cloud.url;
      if (opts.links) {
        const link = await Link.open(cloud.port);
        links.push(link);
        cloudUrl = `http://127.0.0.1:${link.port}`;
      }
      const dataDir = join(run, `edge-${i}`);
      edges.push(new Node(`edge-${i}`, await freePort(), join(out, 'edge'), dataDir, join(dataDir, 'app'), { EDGSTR_CLOUD_URL: cloudUrl, EDGSTR_NODE_ID: `edge-${i}` }));
    }
    const started = await Promise.allSettled(edges.map((e) => e.start()));
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    return cluster;
  } catch (err) {
    await cluster.destroy();
    throw err;
  }
}

export function removeScratch(scratch: string): void {
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * Every Automerge document a replica persisted (`<dataDir>/*.automerge`: frames of
 * `[u32 BE length][chunk]`, see src/runtime/doc-store.ts), by file: a checksum of its heads and
 * contents. Equal maps = the replicas hold the same documents.
 */
export function docHeads(dataDir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of readdirSync(dataDir).filter((n) => n.endsWith('.automerge') && !isArchiveFile(n)).sort()) {
    // A frame being appended right now is left out, as at start-up.
    const { epoch, doc } = readDocFile(join(dataDir, name));
    out[name] = jsonChecksum({ epoch, heads: Automerge.getHeads(doc).sort(), value: Automerge.toJS(doc) });
  }
  return out;
}

/** Everything that must be equal on converged replicas, per replica; a string naming the first difference, or true. */
export async function converged(nodes: Node[], hitsOf: (base: string) => Promise<number>): Promise<true | string> {
  const views = await Promise.all(
    nodes.map(async (n) => ({ name: n.name, tables: n.tableSums(), files: n.fileSums(), hits: await hitsOf(n.url), docs: docHeads(n.dataDir),
      // Per replicated database the digest of its table state (table-store.ts), per document its heads.
      health: ((await request(`${n.url}/__edgstr/health?docs`)).body as { docs?: Record<string, string> }).docs ?? {} })),
  );
  const [first, ...rest] = views;
  for (const v of rest) {
    for (const key of ['tables', 'files', 'hits', 'docs', 'health'] as const) {
      if (jsonChecksum(v[key]) !== jsonChecksum(first![key])) return `${key} of ${v.name} ${JSON.stringify(v[key])} != ${first!.name} ${JSON.stringify(first![key])}`;
    }
  }
  return true;
}

