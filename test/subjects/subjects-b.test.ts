// Subject apps medchem, mnist, objdetect: each runs from a fresh temporary copy (so tests that
// use the checked-out subjects are not disturbed), `npm run reset` returns it to its initial
// state, its regression client passes twice in a row against one running server, the client's
// requests cover every expected.json service (with a success among them), and every handler
// range in expected.json lies inside its file.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const APPS = ['medchem', 'mnist', 'objdetect'] as const;

interface StateSets {
  tables: string[];
  files: Array<string | { path: string; glob?: string }>;
  globals: string[];
}
interface ExpectedService {
  service: string;
  method: string;
  route: string;
  handler: { file: string; lines: [number, number] };
  reads: StateSets;
  writes: StateSets;
  stateful: boolean;
}
interface Expected {
  app: string;
  not_state: Array<{ name: string; file: string; line: number }>;
  services: ExpectedService[];
}

function readExpected(app: string): Expected {
  return JSON.parse(readFileSync(join(repoRoot, 'subjects', app, 'expected.json'), 'utf8')) as Expected;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** Copies the app without node_modules and data/; <tmp>/node_modules links to the workspace's modules. */
function copyApp(app: string): { root: string; dir: string } {
  const src = join(repoRoot, 'subjects', app);
  const root = mkdtempSync(join(tmpdir(), `edgstr-${app}-`));
  const dir = join(root, 'app');
  cpSync(src, dir, { recursive: true, filter: (p) => !/[\\/](node_modules|data)$/.test(p.slice(src.length)) });
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { root, dir };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

async function waitForHttp(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${log()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1_000) });
      await res.arrayBuffer();
      return; // any HTTP answer (a 404 too) means it listens
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`server did not answer on ${url} within 20 s:\n${log()}`);
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Route template -> RegExp over a path; static segments make a template more specific. */
function compileTemplate(route: string): { re: RegExp; statics: number } {
  const segs = route.split('/').filter(Boolean);
  const re = segs.map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return { re: new RegExp(`^/${re}$`), statics: segs.filter((s) => !s.startsWith(':')).length };
}

interface Coverage {
  requests: Map<string, number>;
  successes: Map<string, number>;
  unmatched: string[];
}

/** Assigns each `METHOD /path?query -> STATUS` line to its most specific expected service. */
function coverage(lines: string[], services: ExpectedService[]): Coverage {
  const compiled = services.map((s) => ({ s, ...compileTemplate(s.route) }));
  const requests = new Map<string, number>(services.map((s) => [s.service, 0]));
  const successes = new Map<string, number>(services.map((s) => [s.service, 0]));
  const unmatched: string[] = [];
  for (const line of lines) {
    const m = /^([A-Z]+) (\/\S*) -> (\d{3})$/.exec(line);
    const path = m?.[2]?.split('?')[0];
    const best = m && path !== undefined
      ? compiled.filter((c) => c.s.method === m[1] && c.re.test(path)).sort((a, b) => b.statics - a.statics)[0]
      : undefined;
    if (!m || !best) {
      unmatched.push(line);
      continue;
    }
    requests.set(best.s.service, (requests.get(best.s.service) ?? 0) + 1);
    if (m[3]!.startsWith('2')) successes.set(best.s.service, (successes.get(best.s.service) ?? 0) + 1);
  }
  return { requests, successes, unmatched };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe.each(APPS)('subject %s', (app) => {
  it('has a well-formed expected.json whose handler ranges exist', () => {
    const expected = readExpected(app);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'subjects', app, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node src/server.js');
    expect(expected.app).toBe(app);
    expect(expected.services.length).toBeGreaterThanOrEqual(7);
    expect(new Set(expected.services.map((s) => s.service)).size).toBe(expected.services.length);
    for (const s of expected.services) {
      expect(s.service).toBe(`${s.method} ${s.route}`);
      const writes = s.writes.tables.length + s.writes.files.length + s.writes.globals.length;
      expect(s.stateful, `${s.service}: stateful iff it writes`).toBe(writes > 0);
      const lines = readFileSync(join(repoRoot, 'subjects', app, s.handler.file), 'utf8').split('\n');
      const [start, end] = s.handler.lines;
      expect(start, s.service).toBeGreaterThanOrEqual(1);
      expect(end, s.service).toBeGreaterThanOrEqual(start);
      expect(end, s.service).toBeLessThanOrEqual(lines.length);
      expect(lines[start - 1], `${s.service} starts at a function`).toMatch(/function |=>/);
      if (end > start) expect(lines[end - 1]!.trim(), `${s.service} ends where the handler closes`).toMatch(/^}\)?;?$/);
    }
    for (const ns of expected.not_state) {
      const lines = readFileSync(join(repoRoot, 'subjects', app, ns.file), 'utf8').split('\n');
      expect(ns.line, ns.name).toBeLessThanOrEqual(lines.length);
    }
  });

  it('resets, and its client passes twice against one server, covering every service', async () => {
    const expected = readExpected(app);
    const { root, dir } = copyApp(app);
    cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
    const reset = await run('npm', ['run', 'reset', '--silent'], dir, 30_000);
    expect(reset.code, reset.stderr).toBe(0);

    const port = await freePort();
    const server = spawn(process.execPath, ['src/server.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let serverLog = '';
    server.stdout!.on('data', (c: Buffer) => (serverLog += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
    cleanups.push(() => stopServer(server));
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(url, server, () => serverLog);
    expect(existsSync(join(dir, 'data')), 'state is created at start-up').toBe(true);

    for (const round of [1, 2]) {
      const client = await run(process.execPath, ['scripts/client.js', url], dir, 40_000);
      expect(client.code, `client round ${round} failed: ${client.stderr}\nserver: ${serverLog}`).toBe(0);
      const lines = client.stdout.split('\n').filter((l) => l !== '');
      const { requests, successes, unmatched } = coverage(lines, expected.services);
      expect(unmatched, 'every stdout line is a request of an expected service').toEqual([]);
      expect([...requests].filter(([, n]) => n < 2).map(([id]) => id), 'each service requested twice per run').toEqual([]);
      expect([...successes].filter(([, n]) => n < 1).map(([id]) => id), 'each service answered 2xx per run').toEqual([]);
    }

    await stopServer(server);
    const again = await run('npm', ['run', 'reset', '--silent'], dir, 30_000);
    expect(again.code, again.stderr).toBe(0);
    expect(existsSync(join(dir, 'data')), 'reset removes the runtime state').toBe(false);
  });
});
