// The processes of one bench-scale case: generated projects started as `npm start` would start
// them but as `node ...` directly (so the pid we hold is the node process, for /proc/<pid>/status),
// each in its own process group; and a budget that samples their memory and stops the whole case
// (SIGKILL) when one of them grows past a limit or the case runs too long, so that a size the
// runtime cannot handle ends as "did not finish" instead of swapping the machine or waking the
// OOM killer.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const TAIL_LINES = 30;

/** A case stopped by its budget (memory or time): reported as "did not finish". */
export class BudgetExceeded extends Error {}

/** VmRSS, VmHWM (peak RSS since start), RssAnon and RssFile of a live process, in MiB; null once it is gone. */
export function procMemory(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
    const rss = kib('VmRSS');
    // RssAnon is the process's own memory (V8, SQLite's page cache, malloc); RssFile is file
    // pages it maps (code, shared libraries), which the kernel can drop and share.
    return Number.isFinite(rss) ? { rssMiB: mib(rss * 1024), hwmMiB: mib(kib('VmHWM') * 1024), anonMiB: mib(kib('RssAnon') * 1024), fileMiB: mib(kib('RssFile') * 1024) } : null;
  } catch {
    return null;
  }
}

export const mib = (bytes) => Math.round((bytes / 2 ** 20) * 10) / 10;

/**
 * Starts a generated project (its package.json `start` script, which must begin with `node`)
 * in `dir` with `env` and PORT; returns at once (see waitHealthy).
 */
export function startNode(name, dir, port, env) {
  const script = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')).scripts.start.split(/\s+/);
  if (script[0] !== 'node') throw new Error(`${dir}/package.json: the start script does not begin with node (${script.join(' ')}); bench-scale needs the node pid`);
  const child = spawn(process.execPath, script.slice(1), {
    cwd: dir,
    env: { ...process.env, ...env, PORT: String(port) },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines = [];
  const keep = (chunk) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const proc = {
    name,
    pid: child.pid,
    url: `http://127.0.0.1:${port}`,
    startedAt: performance.now(),
    exit: null,
    /** Set when we killed it: its exit is then expected. */
    killedByUs: false,
    tail: () => lines.slice(-8).join('\n'),
    memory: () => (proc.exit ? null : procMemory(child.pid)),
    exited: new Promise((resolve) => child.once('exit', (code, signal) => resolve((proc.exit = { code, signal })))),
    signal(sig) {
      if (proc.exit) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* gone */
      }
    },
    /** kill -9 of its process group, as a crash or the budget does. */
    async kill() {
      proc.killedByUs = true;
      proc.signal('SIGKILL');
      await proc.exited;
    },
    async stop() {
      proc.killedByUs = true;
      proc.signal('SIGTERM');
      const timer = setTimeout(() => proc.signal('SIGKILL'), 10_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
  return proc;
}

/** GET <url>/__edgstr/health[?query] as JSON, or null when it does not answer. */
export async function health(proc, query = '') {
  try {
    const res = await fetch(`${proc.url}/__edgstr/health${query}`, { signal: AbortSignal.timeout(10_000) });
    return await res.json();
  } catch {
    return null;
  }
}

/** Row count of `table` in a replica's SQLite file, or null (no file yet, busy, no table yet). */
export function countRows(file, table) {
  if (!existsSync(file)) return null;
  let db;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true, timeout: 2_000 });
    return db.prepare(`SELECT count(*) AS n FROM "${table}"`).get().n;
  } catch {
    return null;
  } finally {
    db?.close();
  }
}

/**
 * The budget of one case: every 250 ms it reads the RSS of the case's processes; past `maxRssMiB`
 * or `maxMs` it kills them all and every later `check()` throws BudgetExceeded. `check()` also
 * throws when a process exited without being told to (e.g. the kernel's OOM killer).
 */
export function createBudget({ label, maxRssMiB, maxMs, say }) {
  const procs = new Set();
  const started = performance.now();
  const windows = new Set();
  let aborted = null;
  const abort = (reason) => {
    if (aborted) return;
    aborted = reason;
    say(`${label}: stopped: ${reason}`);
    for (const p of procs) {
      p.killedByUs = true;
      p.signal('SIGKILL');
    }
  };
  const peaks = new Map();
  const timer = setInterval(() => {
    for (const p of procs) {
      const m = p.memory();
      if (!m) continue;
      peaks.set(p.name, Math.max(peaks.get(p.name) ?? 0, m.rssMiB));
      for (const w of windows) w.note(p.name, m.rssMiB);
      if (m.rssMiB > maxRssMiB) abort(`${p.name} RSS ${m.rssMiB} MiB > the ${maxRssMiB} MiB budget`);
    }
    if (performance.now() - started > maxMs) abort(`took longer than the ${Math.round(maxMs / 60_000 * 10) / 10} min budget`);
  }, 250);
  return {
    /** Registers a started process: its memory counts against the budget. */
    add(proc) {
      procs.add(proc);
      return proc;
    },
    check() {
      if (aborted) throw new BudgetExceeded(aborted);
      for (const p of procs) {
        if (p.exit && !p.killedByUs) {
          const how = p.exit.signal ? `killed by ${p.exit.signal}${p.exit.signal === 'SIGKILL' ? ' (the OOM killer?)' : ''}` : `exited with ${p.exit.code}`;
          throw new Error(`${p.name} ${how}:\n${p.tail()}`);
        }
      }
    },
    /**
     * Tracks the peak RSS of each process from now on: sampled VmRSS, and VmHWM when it rose
     * (the kernel's own peak catches spikes between samples).
     */
    window() {
      const hwm0 = new Map([...procs].map((p) => [p.name, p.memory()?.hwmMiB ?? 0]));
      const peak = new Map();
      const w = { note: (name, rss) => peak.set(name, Math.max(peak.get(name) ?? 0, rss)) };
      windows.add(w);
      return {
        /** Peak RSS in MiB of `proc` since the window opened. */
        peak(proc) {
          const m = proc.memory();
          if (m) w.note(proc.name, m.rssMiB);
          const hwm = m?.hwmMiB ?? 0;
          return Math.max(peak.get(proc.name) ?? 0, hwm > (hwm0.get(proc.name) ?? Infinity) ? hwm : 0);
        },
        close: () => windows.delete(w),
      };
    },
    elapsedMs: () => performance.now() - started,
    /** Peak sampled RSS (MiB) of each process name over the whole case. */
    peaks: () => Object.fromEntries(peaks),
    /** The last lines each process printed (for a failed or stopped case). */
    tails: () => [...procs].map((p) => `${p.name} (pid ${p.pid}${p.exit ? `, exited ${p.exit.signal ?? p.exit.code}` : ''}):\n${p.tail()}`),
    /** SIGKILL to every process at once (Ctrl-C of the script). */
    killAll() {
      for (const p of procs) {
        p.killedByUs = true;
        p.signal('SIGKILL');
      }
    },
    async stop() {
      clearInterval(timer);
      await Promise.all([...procs].map((p) => p.stop()));
    },
  };
}

/** Polls `fn` every `everyMs` until it returns a truthy value (which it returns), checking the budget. */
export async function waitFor(budget, fn, everyMs = 100) {
  for (;;) {
    budget.check();
    const v = await fn();
    if (v) return v;
    await sleep(everyMs);
  }
}

/** Waits until the process answers its health endpoint. */
export const waitHealthy = (budget, proc) => waitFor(budget, () => health(proc), 200);
