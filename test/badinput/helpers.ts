/**
 * Shared by the bad-input table tests: spawn bin/edgstr, check the one-line error contract, and
 * prove that nothing already on disk changed (byte-for-byte tree digests) and that no temp files
 * or child processes were left behind.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));
export const fx = fileURLToPath(new URL('../fixtures/badinput/', import.meta.url));
export const recordFx = fileURLToPath(new URL('../fixtures/record/', import.meta.url));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A fresh scratch dir for one test file; `tmp` is given to children as TMPDIR so their temp files can be checked. */
export function scratch(prefix: string): { root: string; dir(name: string): string; cleanup(): void } {
  const root = mkdtempSync(join(tmpdir(), `edgstr-badinput-${prefix}-`));
  return {
    root,
    dir(name: string): string {
      const d = join(root, name);
      mkdirSync(d, { recursive: true });
      return d;
    },
    cleanup(): void {
      rmSync(root, { recursive: true, force: true });
    },
  };
}

export interface SpawnOptions {
  cwd?: string;
  /** TMPDIR for the child: after the run it must be empty again. */
  tmp?: string;
  timeoutMs?: number;
  env?: Record<string, string>;
}

/** Starts bin/edgstr; the caller waits with {@link finish}. */
export function start(args: string[], opts: SpawnOptions = {}): { child: ChildProcess; result: Promise<RunResult> } {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', ...opts.env };
  delete env.EDGSTR_DEBUG;
  delete env.EDGSTR_KEEP_TEMP;
  if (opts.tmp) env.TMPDIR = opts.tmp;
  const child = spawn(process.execPath, [bin, ...args], { cwd: opts.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 150_000);
  const result = new Promise<RunResult>((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { child, result };
}

export function edgstr(args: string[], opts: SpawnOptions = {}): Promise<RunResult> {
  return start(args, opts).result;
}

/**
 * The contract of DESIGN.md §3 for bad input: exit 1, exactly one line on stderr (no stack),
 * matching `says` (which names the file or flag and what to do).
 */
export function expectOneLineError(r: RunResult, says: RegExp): void {
  const lines = r.stderr.replace(/\n$/, '').split('\n');
  expect(r.stderr, 'stderr').toMatch(says);
  expect(lines, `stderr is one line:\n${r.stderr}`).toHaveLength(1);
  expect(lines[0]).toMatch(/^edgstr: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.code, r.stderr).toBe(1);
}

/** sha256 of every file (and symlink target) under dir, by relative path; '' for an absent dir. */
export function digestTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!existsSync(dir)) return out;
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p);
      if (st.isDirectory()) {
        out[`${rel}/`] = 'dir';
        walk(p);
      } else if (st.isSymbolicLink()) out[rel] = `-> ${readlinkSync(p)}`;
      else out[rel] = createHash('sha256').update(readFileSync(p)).digest('hex');
    }
  };
  walk(dir);
  return out;
}

/** A copy of the committed good work directory (analysis.json, decisions.json, snapshot/, extracted/) plus traffic.har. */
export function goodWorkdir(dest: string, har: string | null = 'good.har'): string {
  cpSync(join(fx, 'workdir'), dest, { recursive: true });
  // The committed analysis.json names the app relative to the fixture; generate resolves it from the copy.
  const analysis = join(dest, 'analysis.json');
  writeFileSync(analysis, readFileSync(analysis, 'utf8').replace('"../apps/tiny"', JSON.stringify(join(fx, 'apps', 'tiny'))));
  if (har) cpSync(join(fx, 'har', har), join(dest, 'traffic.har'));
  return dest;
}

/** Files that look like our atomic-write temp files (".name.pid.hex.tmp") anywhere under dir. */
export function tempLeftovers(dir: string): string[] {
  return Object.keys(digestTree(dir)).filter((f) => /(^|\/)\.[^/]+\.\d+\.[0-9a-f]+\.tmp$/.test(f) || /\.tmp$/.test(f));
}

/** Processes whose working directory lies under dir (e.g. an app started from a copy in our TMPDIR). */
export function processesUnder(dir: string): string[] {
  return processInfoUnder(dir).map((p) => `${p.pid} ${p.cmd}`);
}

/** {@link processesUnder} with each process's working directory. */
export function processInfoUnder(dir: string): Array<{ pid: number; cwd: string; cmd: string }> {
  const found: Array<{ pid: number; cwd: string; cmd: string }> = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const cwd = readlinkSync(`/proc/${pid}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) found.push({ pid: Number(pid), cwd, cmd: readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      // the process ended meanwhile or is not ours to inspect
    }
  }
  return found;
}

/** Waits until stderr of a running child matches re (or the child ends, or the time is up). */
export async function waitForStderr(run: { child: ChildProcess }, re: RegExp, timeoutMs = 120_000): Promise<boolean> {
  let seen = '';
  return new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    const onData = (c: Buffer): void => {
      seen += c.toString();
      if (re.test(seen)) {
        clearTimeout(timer);
        run.child.stderr!.off('data', onData);
        resolve(true);
      }
    };
    run.child.stderr!.on('data', onData);
    run.child.once('close', () => {
      clearTimeout(timer);
      resolve(re.test(seen));
    });
  });
}
