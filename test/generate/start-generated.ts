/**
 * Starting generated projects (`npm start`) the way an operator does, for the tests that run
 * them: each in its own process group (stopped by its id), output kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { generate } from '../../src/generate/index.js';
import { EDGSTR_ROOT } from '../../src/generate/read-inputs.js';
import { installGenerated } from '../../src/verify/install.js';
import { freePort } from '../helpers/index.js';
import { FIXTURES } from './fixtures.js';

export class GeneratedProcesses {
  private readonly children: ChildProcess[] = [];
  private readonly byName = new Map<string, ChildProcess>();
  readonly logs = new Map<string, string[]>();

  start(name: string, cwd: string, env: Record<string, string>, args: string[] = []): ChildProcess {
    const child = spawn('npm', ['start', ...(args.length ? ['--', ...args] : [])], { cwd, env: { ...process.env, ...env }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    this.logs.set(name, lines);
    child.stdout!.on('data', (d: Buffer) => lines.push(d.toString()));
    child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
    this.children.push(child);
    this.byName.set(name, child);
    return child;
  }

  log(name: string): string {
    return this.logs.get(name)?.join('') ?? '';
  }

  /** Starts an edge on a loopback port the OS picks and returns its URL once it listens. */
  async startEdge(name: string, cwd: string, env: Record<string, string>, args: string[] = []): Promise<string> {
    this.start(name, cwd, { PORT: '0', HOST: '127.0.0.1', ...env }, args);
    const port = await this.waitFor(`${name} to listen`, async () => /edgstr edge \S+ listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(this.log(name))?.[1], 30_000);
    return `http://127.0.0.1:${port}`;
  }

  async waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe().catch(() => undefined);
      if (value !== undefined) return value;
      if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}\n${[...this.logs].map(([n, l]) => `--- ${n}\n${l.join('')}`).join('\n')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  stop(child: ChildProcess): void {
    if (child.exitCode === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
    }
  }

  /** Stops the process started as `name` and waits until it exited. */
  async stopAndWait(name: string): Promise<void> {
    const child = this.byName.get(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    this.stop(child);
    await exited;
  }

  stopAll(): void {
    this.children.forEach((c) => this.stop(c));
  }
}

export async function json(url: string, init?: { method?: string; body?: unknown }): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(url, {
    method: init?.method ?? 'GET',
    ...(init?.body === undefined ? {} : { body: JSON.stringify(init.body), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text };
}

/**
 * Generates the tally fixture into `out` (from a copy of its workdir in `scratch`) for a cloud on
 * a free loopback port, and installs both projects as an operator would (`npm ci --omit=dev`).
 */
export async function generateTally(scratch: string, out: string, target: 'node' | 'rpi', edges: number): Promise<{ cloudPort: number; cloudUrl: string }> {
  if (!existsSync(join(EDGSTR_ROOT, 'dist', 'runtime', 'index.js'))) throw new Error('dist/runtime is missing: run `npm run build` first');
  const workdir = join(scratch, 'work');
  cpSync(join(FIXTURES, 'tally', 'input'), workdir, { recursive: true });
  const cloudPort = await freePort();
  const cloudUrl = `http://127.0.0.1:${cloudPort}`;
  await generate({ workdir, out, target, edges, cloudUrl });
  await Promise.all([installGenerated(join(out, 'edge')), installGenerated(join(out, 'cloud'))]);
  return { cloudPort, cloudUrl };
}
