// Subject apps donutshop, recipebook, realty, booktext: each runs from a fresh temporary copy,
// its regression client passes twice in a row, the client's requests cover every service of
// expected.json, and every expected handler range points at a route handler in the source.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const APPS = ['donutshop', 'recipebook', 'realty', 'booktext'] as const;

interface ExpectedService {
  service: string;
  method: string;
  route: string;
  handler: { file: string; lines: [number, number] };
}
interface Expected {
  app: string;
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

/**
 * Copies the app (without node_modules and data/) to <tmp>/app. Module resolution still works:
 * <tmp>/app/node_modules links to the app's own node_modules (realty's Express 5), and
 * <tmp>/node_modules to the repository's hoisted workspace modules.
 */
function copyApp(app: string): { root: string; dir: string } {
  const src = join(repoRoot, 'subjects', app);
  const root = mkdtempSync(join(tmpdir(), `edgstr-${app}-`));
  const dir = join(root, 'app');
  cpSync(src, dir, {
    recursive: true,
    filter: (p) => !/[\\/](node_modules|data)$/.test(p.slice(src.length)),
  });
  symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  if (existsSync(join(src, 'node_modules'))) symlinkSync(join(src, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return { root, dir };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function runNode(args: string[], cwd: string, timeoutMs: number): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
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
      return; // any HTTP answer means it listens
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

/** The route template as a RegExp over a request path; static segments count for specificity. */
function compileTemplate(route: string): { re: RegExp; statics: number } {
  const segs = route.split('/').filter(Boolean);
  const re = segs.map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return { re: new RegExp(`^/${re}/?$`), statics: segs.filter((s) => !s.startsWith(':')).length };
}

/** Assigns each `METHOD /path?query -> STATUS` line to its most specific expected service. */
function countByService(lines: string[], services: ExpectedService[]): { counts: Map<string, number>; unmatched: string[] } {
  const compiled = services.map((s) => ({ s, ...compileTemplate(s.route) }));
  const counts = new Map<string, number>(services.map((s) => [s.service, 0]));
  const unmatched: string[] = [];
  for (const line of lines) {
    const m = /^([A-Z]+) (\S+) -> (\d{3})$/.exec(line);
    if (!m) {
      unmatched.push(line);
      continue;
    }
    const path = m[2]!.split('?')[0]!;
    const hits = compiled.filter((c) => c.s.method === m[1] && c.re.test(path)).sort((a, b) => b.statics - a.statics);
    const best = hits[0];
    if (best) counts.set(best.s.service, (counts.get(best.s.service) ?? 0) + 1);
    else unmatched.push(line);
  }
  return { counts, unmatched };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe.each(APPS)('subject %s', (app) => {
  it('expected.json handler ranges point at route handlers', () => {
    const expected = readExpected(app);
    expect(expected.app).toBe(app);
    expect(expected.services.length).toBeGreaterThan(5);
    for (const s of expected.services) {
      expect(s.service).toBe(`${s.method} ${s.route}`);
      const lines = readFileSync(join(repoRoot, 'subjects', app, s.handler.file), 'utf8').split('\n');
      const [start, end] = s.handler.lines;
      expect(start, s.service).toBeGreaterThanOrEqual(1);
      expect(end, s.service).toBeGreaterThan(start);
      expect(end, s.service).toBeLessThanOrEqual(lines.length);
      expect(lines[start - 1], `${s.service} starts at its route declaration`).toContain(`.${s.method.toLowerCase()}(`);
      expect(lines[end - 1]!.trim(), `${s.service} ends where the handler closes`).toMatch(/^}\)?;?$/);
    }
  });

  it('starts from a reset copy and its client passes twice, covering every service', async () => {
    const expected = readExpected(app);
    const { root, dir } = copyApp(app);
    cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
    const reset = await runNode(['scripts/reset.js'], dir, 30_000);
    expect(reset.code, reset.stderr).toBe(0);

    const port = await freePort();
    const server = spawn(process.execPath, ['src/server.js'], { cwd: dir, env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'pipe', 'pipe'] });
    let serverLog = '';
    server.stdout!.on('data', (c: Buffer) => (serverLog += c.toString()));
    server.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()));
    cleanups.push(() => stopServer(server));
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(url, server, () => serverLog);

    const lines: string[] = [];
    for (const round of [1, 2]) {
      const run = await runNode(['scripts/client.js', url], dir, 30_000);
      expect(run.code, `client round ${round} failed: ${run.stderr}\nserver: ${serverLog}`).toBe(0);
      lines.push(...run.stdout.split('\n').filter((l) => l !== ''));
    }

    const { counts, unmatched } = countByService(lines, expected.services);
    expect(unmatched, 'every printed line is a request of an expected service').toEqual([]);
    const underTwice = [...counts].filter(([, n]) => n < 4).map(([id, n]) => `${id} (${n})`);
    expect(underTwice, 'each service is requested at least twice per client run').toEqual([]);
  });
});
