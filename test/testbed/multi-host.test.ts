/**
 * Issue 13's testbed: `deploy.sh` run unmodified from an operator host, over ssh and rsync, onto
 * two edge hosts named by the operator (their host names, pi-kitchen and pi-garage), each with
 * its own address, sshd and file system (testbed.sh); the cloud on its own host behind a
 * kernel-shaped link. Then a client host sends concurrent creates through every edge: nothing
 * collides, nothing is lost, every replica converges, and the edges answered locally, as the
 * unprivileged user deploy.sh created.
 * Needs root, ip netns, sshd and rsync (.ci/run installs openssh-server and rsync); the edge hosts
 * have no registry access, so their node_modules are put there beforehand (as README's
 * "copy node_modules over" does for a Pi), and deploy.sh finds them up to date.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.js';
import { installGenerated } from '../../src/verify/install.js';
import { EDGSTR_ROOT } from '../../src/generate/read-inputs.js';
import { FIXTURES } from '../generate/fixtures.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const TESTBED = join(HERE, 'testbed.sh');
const PREFIX = `tb${process.pid % 10000}`;
const HOSTS = ['pi-kitchen', 'pi-garage'];
const CLOUD = 'http://10.231.0.1:3300';
const EDGES = HOSTS.map((_, i) => `http://10.231.0.${11 + i}:3300`);
const PER_EDGE = 15;
const RATE = 1_000_000; // bytes/s each way on the cloud's link

function missing(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return 'needs root on Linux';
  for (const tool of ['/usr/sbin/sshd', '/usr/bin/rsync', '/usr/bin/setpriv']) if (!existsSync(tool)) return `needs ${tool} (apt-get install openssh-server rsync)`;
  const probe = `${PREFIX}-probe`;
  if (spawnSync('ip', ['netns', 'add', probe]).status !== 0) return 'needs ip netns';
  spawnSync('ip', ['netns', 'del', probe]);
  return null;
}

const why = missing();
const scratch = mkdtempSync(join(tmpdir(), 'edgstr-testbed-'));
const out = join(scratch, 'out');
const bed = join(scratch, 'bed');
let cloud: ChildProcess | undefined;
let cloudLog = '';
let deployed: ReturnType<typeof spawnSync> | undefined;

function netnsExec(ns: string, argv: string[], env: NodeJS.ProcessEnv = process.env, timeoutMs = 300_000): ReturnType<typeof spawnSync> {
  return spawnSync('ip', ['netns', 'exec', `${PREFIX}-${ns}`, ...argv], { env, encoding: 'utf8', timeout: timeoutMs });
}

function hostLog(name: string): string {
  const file = join(bed, 'hosts', name, 'upper-var-lib', 'systemd-standin', 'edgstr-edge.log');
  return existsSync(file) ? readFileSync(file, 'utf8') : '(no log)';
}

beforeAll(async () => {
  if (why) return;
  if (!existsSync(join(EDGSTR_ROOT, 'dist', 'runtime', 'index.js'))) throw new Error('dist/runtime is missing: run `npm run build` first');
  const workdir = join(scratch, 'work');
  cpSync(join(FIXTURES, 'tally', 'input'), workdir, { recursive: true });
  await generate({ workdir, out, target: 'rpi', edges: 1, cloudUrl: CLOUD });
  await Promise.all([installGenerated(join(out, 'edge')), installGenerated(join(out, 'cloud'))]);
  // The Pis' dependencies, installed beforehand (no registry inside the testbed).
  for (const name of HOSTS) {
    const opt = join(bed, 'hosts', name, 'upper-opt', 'edgstr-edge');
    mkdirSync(opt, { recursive: true });
    cpSync(join(out, 'edge', 'node_modules'), join(opt, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    cpSync(join(out, 'edge', 'package-lock.json'), join(opt, 'node_modules', '.edgstr-deployed-lock'));
  }
  const up = spawnSync('bash', [TESTBED, 'up', PREFIX, bed, String(RATE), ...HOSTS], { encoding: 'utf8', timeout: 60_000 });
  if (up.status !== 0) throw new Error(`testbed.sh up failed: ${up.stderr}`);
  // The cloud host runs the generated cloud (its own deployment is not deploy.sh's job).
  cloud = spawn('ip', ['netns', 'exec', `${PREFIX}-cloud`, 'npm', 'start'], {
    cwd: join(out, 'cloud'),
    env: { ...process.env, PORT: '3300', EDGSTR_DATA_DIR: join(scratch, 'cloud-data'), TALLY_ROLE: 'cloud' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cloud.stdout!.on('data', (d: Buffer) => (cloudLog += d.toString()));
  cloud.stderr!.on('data', (d: Buffer) => (cloudLog += d.toString()));
  // The operator deploys every Pi, with the generated script as it is.
  deployed = netnsExec('op', ['bash', join(out, 'deploy.sh'), ...EDGES.map((u) => `root@${new URL(u).hostname}`)], { ...process.env, SSH_OPTS: `-F ${join(bed, 'ssh_config')}` });
}, 600_000);

afterAll(() => {
  if (!why) spawnSync('bash', [TESTBED, 'down', PREFIX], { timeout: 30_000 });
  rmSync(scratch, { recursive: true, force: true });
});

describe.skipIf(why !== null)(`multi-host testbed${why ? ` (skipped: ${why})` : ''}`, () => {
  it('deploy.sh deploys every edge host over ssh and rsync', () => {
    expect(deployed?.status, `deploy.sh failed:\n${String(deployed?.stdout)}\n${String(deployed?.stderr)}`).toBe(0);
    for (const name of HOSTS) {
      expect(String(deployed!.stdout)).toContain(`is edge '${name}'`);
      const env = readFileSync(join(bed, 'hosts', name, 'upper-etc', 'edgstr', 'edgstr-edge.env'), 'utf8');
      expect(env).toContain(`EDGSTR_NODE_ID=${name}\nEDGSTR_CLOUD_URL=${CLOUD}`);
    }
  });

  it(`a client host's ${PER_EDGE} concurrent creates through each edge all survive, served at the edges, and every replica converges`, () => {
    const r = netnsExec('client', [process.execPath, join(HERE, 'client.mjs'), CLOUD, String(PER_EDGE), ...EDGES], process.env, 180_000);
    const result = JSON.parse(String(r.stdout).trim().split('\n').at(-1) || '{}') as {
      edges: Record<string, { nodeId: string; rangeIndex: number }>;
      creates: Array<{ status: number; served: string; note: { id: number } }>;
      served: Record<string, Record<string, { edge: number; fallback: number }>>;
      converged: boolean;
      error?: string;
    };
    const logs = `cloud:\n${cloudLog.slice(-3000)}\n${HOSTS.map((h) => `${h}:\n${hostLog(h).slice(-3000)}`).join('\n')}\n${String(r.stderr)}`;
    expect(result.error, logs).toBeUndefined();
    expect(Object.values(result.edges).map((e) => e.nodeId)).toEqual(HOSTS);
    expect(new Set(Object.values(result.edges).map((e) => e.rangeIndex)).size).toBe(HOSTS.length);
    expect(result.creates.map((c) => c.status)).toEqual(result.creates.map(() => 201));
    expect(result.creates.map((c) => c.served)).toEqual(result.creates.map(() => 'edge'));
    expect(new Set(result.creates.map((c) => c.note.id)).size).toBe(PER_EDGE * HOSTS.length);
    expect(result.converged, logs).toBe(true);
    for (const url of EDGES) expect(result.served[url]!['POST /notes']).toMatchObject({ edge: PER_EDGE, fallback: 0 });
  });

  it('runs each edge as the edgstr user, not root, with its state in /var/lib/edgstr-edge', () => {
    for (const [i, name] of HOSTS.entries()) {
      const pids = String(spawnSync('ip', ['netns', 'pids', `${PREFIX}-e${i + 1}`], { encoding: 'utf8' }).stdout).split('\n').filter(Boolean);
      const edge = pids.find((p) => existsSync(`/proc/${p}/cmdline`) && readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('server.js'));
      expect(edge, `no edge process on ${name}:\n${hostLog(name)}`).toBeDefined();
      const uid = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${edge}/status`, 'utf8'))![1];
      expect(uid).not.toBe('0');
      expect(readFileSync(join(bed, 'hosts', name, 'upper-etc', 'passwd'), 'utf8')).toMatch(new RegExp(`^edgstr:x:${uid}:`, 'm'));
      expect(readdirSync(join(bed, 'hosts', name, 'upper-var-lib', 'edgstr-edge'))).toEqual(expect.arrayContaining(['app', 'key-range.json']));
    }
  });
});
