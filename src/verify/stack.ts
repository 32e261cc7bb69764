/**
 * A running generated system for verify and tests: the cloud (from a fresh temp copy of
 * DIR/cloud, so DIR and its initial state stay untouched) and N edges (each with its own data
 * dir, where the edge keeps its copy of the app and its replicated state).
 */
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { UserError } from '../model/errors.js';
import { startWanProxy, type WanProxy } from '../bench/wan-proxy.js';
import { installGenerated } from './install.js';
import { removeOnInterrupt } from '../util/interrupt.js';
import { freePort, startProject, type Started } from './processes.js';

/** The part of a generated project's config.json that verify reads. */
export interface ProjectConfig {
  role: 'cloud' | 'edge';
  secret: string;
  app: { dir: string; entry: string };
  tables: Array<{ file: string; tables: string[] }>;
  files: string[];
  globals: string[];
}

export interface EdgeConfig {
  nodeId: string;
  rangeIndex: number;
}

export interface Replica {
  name: string;
  process: Started;
  /** Directory of the app copy whose state this replica holds. */
  appDir: string;
}

export interface RunningStack {
  cloud: Replica;
  edges: Replica[];
  config: ProjectConfig;
  stop(): Promise<void>;
}

function readJson<T>(file: string, what: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new UserError(`${file}: cannot read ${what} (${(err as Error).message}); run \`edgstr generate\` again`);
  }
}

/** Checks DIR looks like `edgstr generate` output and returns the configs. */
export function readGenerated(outDir: string): { cloud: ProjectConfig; edge: ProjectConfig; edges: EdgeConfig[] } {
  for (const side of ['cloud', 'edge']) {
    if (!existsSync(join(outDir, side, 'config.json'))) {
      throw new UserError(`${join(outDir, side)}: no generated ${side} project here; run \`edgstr generate --target node --out ${outDir}\` first`);
    }
  }
  const edgesDir = join(outDir, 'edge', 'edges');
  const edges = existsSync(edgesDir)
    ? readdirSync(edgesDir)
        .filter((f) => f.endsWith('.json'))
        .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))
        .map((f) => readJson<EdgeConfig>(join(edgesDir, f), 'edge config'))
    : [];
  return {
    cloud: readJson<ProjectConfig>(join(outDir, 'cloud', 'config.json'), 'cloud config'),
    edge: readJson<ProjectConfig>(join(outDir, 'edge', 'config.json'), 'edge config'),
    edges,
  };
}

/** Installs a generated project's dependencies when node_modules is missing. */
export async function ensureInstalled(dir: string, log: (m: string) => void): Promise<void> {
  const modules = join(dir, 'node_modules');
  if (existsSync(modules)) return;
  log(`installing dependencies of ${dir} (npm ci --omit=dev)`);
  // A half-installed node_modules would be taken as installed next time: it goes on failure and
  // on Ctrl-C (npm itself is stopped as a child of edgstr).
  const unregister = removeOnInterrupt(modules);
  try {
    await installGenerated(dir);
  } catch (err) {
    rmSync(modules, { recursive: true, force: true });
    throw new UserError(`${dir}: npm ci failed (${(err as Error).message.split('\n')[0]}); check the network to the npm registry and run it by hand`);
  } finally {
    unregister();
  }
}

/** Copies a project without node_modules (linked instead) into `to`. */
function copyProject(from: string, to: string): void {
  const skip = [join(from, 'node_modules'), join(from, 'data')];
  cpSync(from, to, { recursive: true, filter: (src) => !skip.some((s) => src === s || src.startsWith(s + sep)) });
  symlinkSync(join(from, 'node_modules'), join(to, 'node_modules'), 'junction');
}

export interface StackOptions {
  /**
   * One-way delay between each edge and the cloud, in ms (0 = none): every edge reaches the
   * cloud, for syncing and for forwarded requests, through its own user-space WAN emulator
   * (src/bench/wan-proxy.ts), so a lost own write (issue 18) shows up as it would in the field.
   */
  wanDelayMs?: number;
}

/** Starts a fresh cloud and `edgeCount` edges from DIR in `scratch` (which it creates). */
export async function startStack(outDir: string, scratch: string, edgeCount: number, opts: StackOptions = {}): Promise<RunningStack> {
  const dir = resolve(outDir);
  const { cloud: cloudConfig, edges } = readGenerated(dir);
  const unregister = removeOnInterrupt(scratch);
  mkdirSync(scratch, { recursive: true });
  const cloudDir = join(scratch, 'cloud');
  rmSync(cloudDir, { recursive: true, force: true });
  copyProject(join(dir, 'cloud'), cloudDir);
  const started: Started[] = [];
  const wans: WanProxy[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(started.map((p) => p.stop()));
    await Promise.all(wans.map((w) => w.close()));
  };
  try {
    const cloudPort = await freePort();
    const cloud = await startProject({
      name: 'cloud',
      dir: cloudDir,
      port: cloudPort,
      env: { EDGSTR_DATA_DIR: join(scratch, 'cloud-data') },
    });
    started.push(cloud);
    const edgeReplicas: Replica[] = [];
    for (let i = 1; i <= edgeCount; i++) {
      const nodeId = edges[i - 1]?.nodeId ?? `edge-${i}`;
      const dataDir = join(scratch, nodeId);
      rmSync(dataDir, { recursive: true, force: true });
      let cloudUrl = cloud.url;
      if (opts.wanDelayMs) {
        const wan = await startWanProxy({ targetHost: '127.0.0.1', targetPort: cloudPort, delayMs: opts.wanDelayMs, bytesPerSecond: 0 });
        wans.push(wan);
        cloudUrl = `http://127.0.0.1:${wan.port}`;
      }
      const p = await startProject({
        name: nodeId,
        dir: join(dir, 'edge'),
        port: await freePort(),
        env: { EDGSTR_CLOUD_URL: cloudUrl, EDGSTR_NODE_ID: nodeId, EDGSTR_DATA_DIR: dataDir },
      });
      started.push(p);
      edgeReplicas.push({ name: nodeId, process: p, appDir: join(dataDir, 'app') });
    }
    return {
      cloud: { name: 'cloud', process: cloud, appDir: join(cloudDir, cloudConfig.app.dir) },
      edges: edgeReplicas,
      config: cloudConfig,
      async stop() {
        await stopAll();
        unregister();
      },
    };
  } catch (err) {
    await stopAll();
    unregister();
    throw err;
  }
}

/** Starts only a fresh cloud (the original app plus the sync hub) from DIR. */
export async function startCloudOnly(outDir: string, scratch: string): Promise<{ process: Started; stop(): Promise<void> }> {
  const dir = resolve(outDir);
  const unregister = removeOnInterrupt(scratch);
  mkdirSync(scratch, { recursive: true });
  const cloudDir = join(scratch, 'cloud');
  rmSync(cloudDir, { recursive: true, force: true });
  copyProject(join(dir, 'cloud'), cloudDir);
  try {
    const p = await startProject({ name: 'cloud', dir: cloudDir, port: await freePort(), env: { EDGSTR_DATA_DIR: join(scratch, 'cloud-data') } });
    return {
      process: p,
      stop: async () => {
        await p.stop();
        unregister();
      },
    };
  } catch (err) {
    unregister();
    throw err;
  }
}
