import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, openSync, readdirSync, readFileSync, rmSync, symlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startCommand } from '../../src/analyze/workspace/start-command.js';
import { freePort } from './ports.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** subjects/NAME, or NAME itself when it is an absolute path (an app kept elsewhere, e.g. a fixture). */
export function subjectDir(name: string): string {
  return isAbsolute(name) ? name : join(repoRoot, 'subjects', name);
}

/** Subjects that are complete enough to run: expected.json exists and edgstr finds how to start them. */
export function listSubjects(): string[] {
  const root = join(repoRoot, 'subjects');
  if (!existsSync(root)) return [];
  return readdirSync(root, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(root, d.name, 'expected.json')) && startable(join(root, d.name)))
    .map((d) => d.name)
    .sort();
}

function startable(dir: string): boolean {
  try {
    startCommand(dir, undefined);
    return true;
  } catch {
    return false;
  }
}

/**
 * How a test starts a subject: as edgstr analyze does (its start script, else `main`, a Procfile
 * or the usual entry file), listening where the test says even when the app picks its own port
 * (`app.listen(3000)`): analyze's listen hook, preloaded through NODE_OPTIONS, moves it.
 */
function subjectProcess(dir: string, port: number): { command: string; args: string[]; env: Record<string, string> } {
  const hook = join(repoRoot, 'dist', 'analyze', 'replay', 'listen-hook.js');
  if (!existsSync(hook)) throw new Error(`${hook} is not built: run npm run build`);
  const env = {
    PORT: String(port),
    EDGSTR_LISTEN_PORT: String(port),
    NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${pathToFileURL(hook).href}`.trim(),
  };
  const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { scripts?: { start?: string } };
  if (pkg.scripts?.start) return { command: 'npm', args: ['start', '--silent'], env };
  return { command: 'sh', args: ['-c', startCommand(dir, undefined)], env };
}

export interface StartSubjectOptions {
  /** Port to use (default: a free one). */
  port?: number;
  /** Extra environment for the server. */
  env?: Record<string, string>;
  /** How long to wait for the first HTTP answer (default 60 s). */
  timeoutMs?: number;
  /** Skip `npm run reset` before starting (default false). */
  noReset?: boolean;
  /**
   * Run a private copy of the app placed in this (existing, caller-owned) directory instead of
   * subjects/NAME itself: no lock is taken, so it may run beside tests that use the checked-out
   * subject. The caller removes the directory.
   */
  copyTo?: string;
}

export interface RunningSubject {
  name: string;
  dir: string;
  port: number;
  url: string;
  /** Output of the server so far (for failure messages). */
  output(): string;
  /** Kills the server's process group, waits for it to exit, then resets the subject. */
  stop(): Promise<void>;
}

/**
 * Copies subjects/NAME (without node_modules and data/) to root/app. Packages still resolve:
 * root/node_modules links to the workspace's hoisted modules, root/app/node_modules to the
 * app's own (realty's Express 5).
 */
function copySubject(name: string, root: string): string {
  const src = subjectDir(name);
  const dir = join(root, 'app');
  cpSync(src, dir, { recursive: true, filter: (p) => !/[\\/](node_modules|data)$/.test(p.slice(src.length)) });
  if (!existsSync(join(root, 'node_modules'))) symlinkSync(join(repoRoot, 'node_modules'), join(root, 'node_modules'), 'dir');
  if (existsSync(join(src, 'node_modules'))) symlinkSync(join(src, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

export async function startSubject(name: string, opts: StartSubjectOptions = {}): Promise<RunningSubject> {
  if (!existsSync(join(subjectDir(name), 'package.json'))) throw new Error(`no subject ${name} in ${subjectDir(name)}`);
  const dir = opts.copyTo ? copySubject(name, opts.copyTo) : subjectDir(name);
  const releaseLock = opts.copyTo ? () => undefined : await acquireLock(subjectLockFile(name), (opts.timeoutMs ?? 60_000) * 3);
  let child: ChildProcess | undefined;
  try {
    if (!opts.noReset) resetSubject(dir);
    const port = opts.port ?? (await freePort());
    const how = subjectProcess(dir, port);
    child = spawn(how.command, how.args, {
      cwd: dir,
      env: { ...process.env, ...opts.env, ...how.env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(url, child, () => out, opts.timeoutMs ?? 60_000, name);
    const proc = child;
    let stopped: Promise<void> | undefined;
    return {
      name,
      dir,
      port,
      url,
      output: () => out,
      stop: () =>
        (stopped ??= (async () => {
          try {
            await killGroup(proc);
            resetSubject(dir);
          } finally {
            releaseLock();
          }
        })()),
    };
  } catch (err) {
    if (child) await killGroup(child);
    releaseLock();
    throw err;
  }
}

/** `npm run reset` in a subject's directory (or a copy of it): its data as it starts. */
export function resetSubject(dir: string): void {
  const r = spawnSync('npm', ['run', 'reset', '--silent'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`npm run reset failed in ${dir}: ${r.stderr || r.stdout}`);
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string, timeoutMs: number, name: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`subject ${name} exited (code ${exited}) before answering:\n${output()}`);
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      await res.arrayBuffer();
      return; // any HTTP answer (even 404) means it is up
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`subject ${name} did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

/** SIGTERM to the whole process group (npm -> sh -> node), SIGKILL after 5 s. */
export async function killGroup(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = (sig: NodeJS.Signals): void => {
    try {
      process.kill(-child.pid!, sig);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  const timer = setTimeout(() => signal('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
  // The group leader exited; make sure no grandchild (the node server) is left behind.
  signal('SIGKILL');
}

function subjectLockFile(name: string): string {
  return join(tmpdir(), `edgstr-subject-${name.replace(/[^\w.-]/g, '_')}.lock`);
}

/**
 * Takes lock FILE, shared by all test processes (created exclusively, holding our pid); waits while
 * a live process holds it, takes over a stale one (dead pid). Resolves with its release.
 */
export async function acquireLock(file: string, timeoutMs: number): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSafe(file));
      if (holder > 0 && !alive(holder)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${file} is held by process ${holder} (waited ${timeoutMs} ms)`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

function readFileSafe(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
