/**
 * Ctrl-C / SIGTERM for every command but `record` (which stops cleanly on its own): commands
 * register what they must not leave behind (temp dirs, process groups they started, other undo
 * steps); on the first SIGINT/SIGTERM everything registered is undone once, every process this
 * one started is stopped, one line says what was done, and the process exits 130 (SIGINT) or 143
 * (SIGTERM).
 *
 * The cleanup is synchronous on purpose: once it has started, no other callback of the command
 * runs again, so the command cannot start a new process, write a report or print an error after
 * the signal. Waiting for children uses Atomics.wait and reads their state from /proc.
 *
 * Registrations are cheap and return their own undo; a command unregisters when it has cleaned
 * up normally. Without {@link handleInterrupts} (library use, tests) they are only bookkeeping.
 */
import { readdirSync, readFileSync, rmSync, existsSync } from 'node:fs';

/** One registration each (two registrations of the same dir are undone separately). */
const registered = {
  groups: new Set<{ pid: number }>(),
  dirs: new Set<{ dir: string }>(),
  steps: new Set<{ label: string; run: () => void }>(),
};
let installed = false;

function add<T>(set: Set<T>, item: T): () => void {
  set.add(item);
  return () => void set.delete(item);
}

/**
 * Kills the process group led by `pid` on interrupt (a child spawned with `detached: true`, e.g.
 * `npm start`, whose own children share its group). Returns the unregistration.
 */
export function killOnInterrupt(pid: number | undefined): () => void {
  return pid === undefined ? () => undefined : add(registered.groups, { pid });
}

/** Removes `dir` (recursively) on interrupt, after the processes are stopped. Returns the unregistration. */
export function removeOnInterrupt(dir: string): () => void {
  return add(registered.dirs, { dir });
}

/**
 * Runs `run` on interrupt, after the processes are stopped and before the dirs are removed;
 * `label` says what it did in the closing line. It must be synchronous and must not throw.
 */
export function onInterrupt(label: string, run: () => void): () => void {
  return add(registered.steps, { label, run });
}

/** Installs the SIGINT/SIGTERM handlers (once). The CLI calls it for every command but `record`. */
export function handleInterrupts(): void {
  if (installed) return;
  installed = true;
  process.once('SIGINT', () => interrupt('SIGINT'));
  process.once('SIGTERM', () => interrupt('SIGTERM'));
}

function interrupt(signal: 'SIGINT' | 'SIGTERM'): never {
  const done: string[] = [];
  const stopped = stopChildren();
  for (const step of registered.steps) {
    try {
      step.run();
      done.push(step.label);
    } catch {
      // best effort: the other steps must still run
    }
  }
  const removed: string[] = [];
  for (const dir of new Set([...registered.dirs].map((d) => d.dir))) {
    if (!existsSync(dir)) continue;
    try {
      rmSync(dir, { recursive: true, force: true });
      removed.push(dir);
    } catch {
      // left for the user; not listed as removed
    }
  }
  if (removed.length) done.push(`removed ${removed.join(', ')}`);
  if (stopped) done.push(`stopped ${stopped} process${stopped === 1 ? '' : 'es'}`);
  if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  process.stderr.write(`edgstr: interrupted${done.length ? `; ${done.join(', ')}` : ''}\n`);
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

const sleep = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

interface ProcInfo {
  pid: number;
  ppid: number;
  pgrp: number;
  alive: boolean;
}

/** Every process from /proc (Linux); null elsewhere. */
function processTable(): ProcInfo[] | null {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return null;
  }
  const table: ProcInfo[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // "pid (comm) state ppid pgrp ...": comm may hold spaces and parentheses.
      const [state, ppid, pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.push({ pid: Number(name), ppid: Number(ppid), pgrp: Number(pgrp), alive: state !== 'Z' && state !== 'X' });
    } catch {
      // ended meanwhile
    }
  }
  return table;
}

/**
 * Processes to stop: members of the registered groups, and every descendant of this process —
 * also those started without a group of their own (e.g. an `npm ci` run with execFile, which a
 * terminal's Ctrl-C would reach but a signal sent to edgstr alone would not). Zombies do not count.
 */
function targets(table: ProcInfo[]): number[] {
  const found = new Set<number>();
  const byParent = new Map<number, ProcInfo[]>();
  for (const p of table) byParent.set(p.ppid, [...(byParent.get(p.ppid) ?? []), p]);
  const walk = (pid: number): void => {
    for (const child of byParent.get(pid) ?? []) {
      if (found.has(child.pid)) continue;
      if (child.alive) found.add(child.pid);
      walk(child.pid);
    }
  };
  walk(process.pid);
  const groups = new Set([...registered.groups].map((g) => g.pid));
  for (const p of table) if (p.alive && groups.has(p.pgrp) && p.pid !== process.pid) found.add(p.pid);
  return [...found];
}

function signalAll(pids: Iterable<number>, sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM, up to 3 s for them to end, then SIGKILL; returns how many processes were stopped. */
function stopChildren(): number {
  const groups = [...new Set([...registered.groups].map((g) => -g.pid))];
  if (processTable() === null) {
    // No /proc: signal the registered groups blindly.
    signalAll(groups, 'SIGTERM');
    sleep(1000);
    signalAll(groups, 'SIGKILL');
    return groups.length;
  }
  const stopped = new Set<number>();
  const round = (sig: NodeJS.Signals): number => {
    const now = targets(processTable() ?? []);
    const fresh = sig === 'SIGKILL' ? now : now.filter((p) => !stopped.has(p));
    for (const p of now) stopped.add(p);
    signalAll(fresh, sig);
    return now.length;
  };
  round('SIGTERM');
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    sleep(50);
    if (round('SIGTERM') === 0) return stopped.size;
  }
  signalAll(groups, 'SIGKILL');
  const killDeadline = Date.now() + 1000;
  while (round('SIGKILL') > 0 && Date.now() < killDeadline) sleep(50);
  return stopped.size;
}
