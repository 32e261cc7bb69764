// The processes of bench-hub.mjs: the hub and the edge workers are Node processes forked with an
// IPC channel (each in its own process group, so the budget's SIGKILL takes the whole of it),
// asked questions with `request(type, body)` (each answer carries the question's id), and seen
// from the outside through /proc (RSS, CPU time), as scripts/lib/scale-cluster.mjs does for the
// generated projects. The objects have the shape createBudget (scale-cluster.mjs) expects.
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { procMemory } from './scale-cluster.mjs';

const TAIL_LINES = 30;
/** Clock ticks per second of /proc/<pid>/stat's utime and stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

/** User + system CPU seconds a live process used so far (its threads included); null once gone. */
export function procCpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may hold spaces: fields count from the closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/**
 * Forks `script` (an .mjs of scripts/lib) with an IPC channel. `ready` resolves with the first
 * message of type "ready" (or rejects when the process exits before it).
 */
export function forkProc(name, script, args = [], { execArgv = [], env = {} } = {}) {
  const child = fork(script, args, {
    detached: true,
    execArgv,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Answers carry numbers and strings only: JSON is enough and cheaper than 'advanced'.
    serialization: 'json',
  });
  const lines = [];
  const keep = (chunk) => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const waiting = new Map();
  let nextId = 1;
  let onReady;
  let onReadyFailed;
  const ready = new Promise((resolve, reject) => {
    onReady = resolve;
    onReadyFailed = reject;
  });
  child.on('message', (msg) => {
    if (msg?.type === 'ready') onReady(msg);
    const w = waiting.get(msg?.id);
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.type === 'error') w.reject(new Error(`${name}: ${msg.message}`));
    else w.resolve(msg);
  });
  const proc = {
    name,
    pid: child.pid,
    exit: null,
    killedByUs: false,
    ready,
    tail: () => lines.slice(-8).join('\n'),
    memory: () => (proc.exit ? null : procMemory(child.pid)),
    cpuSeconds: () => (proc.exit ? null : procCpuSeconds(child.pid)),
    exited: new Promise((resolve) => child.once('exit', (code, signal) => {
      proc.exit = { code, signal };
      const err = new Error(`${name} exited (${signal ?? code}):\n${proc.tail()}`);
      onReadyFailed(err);
      for (const w of waiting.values()) w.reject(err);
      waiting.clear();
      resolve(proc.exit);
    })),
    /** Sends `{type, id, ...body}`; resolves with the answer of the same id. */
    request(type, body = {}) {
      if (proc.exit) return Promise.reject(new Error(`${name} is not running`));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        child.send({ type, id, ...body });
      });
    },
    signal(sig) {
      if (proc.exit) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* gone */
      }
    },
    async kill() {
      proc.killedByUs = true;
      proc.signal('SIGKILL');
      await proc.exited;
    },
    /** Asks it to close its replicas and exit (a CPU profile is written then); SIGKILL after 20 s. */
    async stop() {
      proc.killedByUs = true;
      if (!proc.exit) child.send({ type: 'close', id: 0 }, () => {});
      const timer = setTimeout(() => proc.signal('SIGKILL'), 20_000);
      await proc.exited;
      clearTimeout(timer);
    },
  };
  proc.ready.catch(() => {});
  return proc;
}

/** In a forked process: answers requests with `handlers[type](msg)`; "close" runs `onClose` and exits. */
export function serveRequests(handlers, onClose) {
  process.on('message', async (msg) => {
    if (msg.type === 'close') {
      try {
        await onClose();
      } finally {
        process.exit(0);
      }
      return;
    }
    const handler = handlers[msg.type];
    try {
      if (!handler) throw new Error(`unknown request ${msg.type}`);
      process.send({ ...(await handler(msg)), type: msg.type, id: msg.id });
    } catch (err) {
      process.send({ type: 'error', id: msg.id, message: err instanceof Error ? err.stack ?? err.message : String(err) });
    }
  });
  // The parent is gone (Ctrl-C, crash): nothing is left to measure for.
  process.on('disconnect', () => process.exit(0));
}
