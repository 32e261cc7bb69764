/**
 * Starts the generated cloud and edge for each measurement from fresh temp copies of
 * <out>/cloud and <out>/edge, so every measured system starts from the same init state and the
 * generated DIR is never modified. Dependencies are installed once per bench run into a base copy
 * with verify's installGenerated (npm ci + edgstr's own native builds), or the DIR's own
 * node_modules is linked when it is already installed; every run's copy links that node_modules
 * instead of installing again.
 */
import { randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { UserError } from '../model/errors.js';
import { freePort, startProject, type Started } from '../verify/processes.js';
import { installGenerated } from '../verify/install.js';
import { removeOnInterrupt } from '../util/interrupt.js';

/** A started cloud or edge. */
export interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

/** How the bench gets a fresh cloud and edge for each measurement. */
export interface Launcher {
  startCloud(): Promise<Running>;
  /** Starts an edge whose cloud origin (forwarding and sync) is `cloudUrl`; `env` adds to (or overrides) its environment. */
  startEdge(cloudUrl: string, env?: Record<string, string>): Promise<Running>;
  dispose(): Promise<void>;
}

function copyProject(from: string, to: string): void {
  cpSync(from, to, { recursive: true, filter: (src) => basename(src) !== 'node_modules' || resolve(src) === resolve(from) });
}

/** Options for {@link createProjectLauncher}. */
export interface ProjectLauncherOptions {
  /** The generated output DIR holding cloud/ and edge/. */
  generatedDir: string;
  /** Print a line for people (install steps). */
  onInfo?: (msg: string) => void;
  /** The shared secret of the cloud and edges (default: random); the placement API needs it. */
  secret?: string;
}

export async function createProjectLauncher(opts: ProjectLauncherOptions): Promise<Launcher> {
  const root = resolve(opts.generatedDir);
  for (const side of ['cloud', 'edge']) {
    if (!existsSync(join(root, side, 'package.json'))) {
      throw new UserError(`${join(root, side)} is not a generated project (no package.json): run \`edgstr generate --target node --out ${opts.generatedDir}\` first`);
    }
  }
  const tmp = mkdtempSync(join(tmpdir(), 'edgstr-bench-'));
  // Ctrl-C: the copies go; the clouds and edges (startProject) and npm ci are stopped first.
  const unregister = removeOnInterrupt(tmp);
  const secret = opts.secret ?? randomBytes(16).toString('hex');
  const started = new Set<Started>();
  let runs = 0;
  const base: Record<string, string> = {};
  try {
    for (const side of ['cloud', 'edge']) {
      const own = join(root, side, 'node_modules');
      const pkg = JSON.parse(readFileSync(join(root, side, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
      if (existsSync(own) || Object.keys(pkg.dependencies ?? {}).length === 0) {
        base[side] = own;
        continue;
      }
      // Install into a copy: the generated DIR is never modified.
      const copy = join(tmp, 'base', side);
      copyProject(join(root, side), copy);
      opts.onInfo?.(`installing ${side} dependencies (once per bench run) in ${copy}`);
      await installGenerated(copy);
      base[side] = join(copy, 'node_modules');
    }
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    unregister();
    throw err;
  }

  const start = async (side: 'cloud' | 'edge', env: Record<string, string>): Promise<Running> => {
    const runDir = join(tmp, `run-${++runs}`);
    const dir = join(runDir, side);
    copyProject(join(root, side), dir);
    if (existsSync(base[side]!)) symlinkSync(base[side]!, join(dir, 'node_modules'), 'dir');
    const dataDir = join(runDir, `${side}-data`);
    mkdirSync(dataDir, { recursive: true });
    const port = await freePort();
    const proc = await startProject({ name: `generated ${side}`, dir, port, env: { EDGSTR_SECRET: secret, EDGSTR_DATA_DIR: dataDir, ...env } });
    started.add(proc);
    return {
      url: proc.url,
      stop: async () => {
        started.delete(proc);
        await proc.stop();
        rmSync(runDir, { recursive: true, force: true });
      },
    };
  };
  return {
    startCloud: () => start('cloud', {}),
    startEdge: (cloudUrl, env = {}) => start('edge', { EDGSTR_CLOUD_URL: cloudUrl, EDGSTR_NODE_ID: 'bench-edge', ...env }),
    dispose: async () => {
      await Promise.all([...started].map((p) => p.stop()));
      started.clear();
      rmSync(tmp, { recursive: true, force: true });
      unregister();
    },
  };
}

