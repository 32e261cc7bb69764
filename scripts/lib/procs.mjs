// Process helpers shared by the pipeline scripts (demo.mjs, bench-subjects.mjs): run a command to
// completion, start a long-running one in its own process group, wait for ports and URLs, and
// kill everything still running on Ctrl-C or at the end.
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
// edgstr's own (dist/ is built by `npm ci`'s prepare step).
export { freePort } from '../../dist/util/free-port.js';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until a TCP port accepts connections (no HTTP request: behind `edgstr record` it would be recorded). */
export async function waitForPort(port, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const ok = await new Promise((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => {
        s.end();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await sleep(200);
  }
  throw new Error(`port ${port} did not open within ${ms / 1000} s`);
}

/** Waits until `url` answers anything over HTTP. */
export async function waitForUrl(url, ms = 30_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try {
      await (await fetch(url, { signal: AbortSignal.timeout(3000) })).arrayBuffer();
      return;
    } catch {}
    await sleep(200);
  }
  throw new Error(`${url} did not answer within ${ms / 1000} s`);
}

/**
 * A set of child processes that can all be killed at once. `say` logs each command before it runs.
 * With `onInterrupt`, Ctrl-C kills every child, calls it (for the script's own cleanup) and exits 130.
 */
export function processGroup({ say = () => {}, onInterrupt } = {}) {
  const children = new Set();

  /** Runs a command to completion, streaming its output; rejects on a non-zero exit. */
  function run(cmd, args, opts = {}) {
    say(`$ ${[cmd === process.execPath ? 'node' : path.basename(cmd), ...args].join(' ')}`);
    return new Promise((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], ...opts });
      children.add(child);
      child.on('exit', (code) => {
        children.delete(child);
        if (code === 0) resolve();
        else reject(new Error(`${path.basename(cmd)} ${args.join(' ')} exited with ${code}`));
      });
    });
  }

  /** Starts a long-running command in its own process group; returns its stopper. */
  function start(cmd, args, opts = {}) {
    const child = spawn(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: true, ...opts });
    children.add(child);
    const exited = new Promise((r) => child.once('exit', r));
    return {
      async stop() {
        signal(child, 'SIGTERM');
        const timer = setTimeout(() => signal(child, 'SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
        children.delete(child);
      },
    };
  }

  /** Kills every child still running (whole process groups for started ones). */
  function killAll() {
    for (const c of children) signal(c, 'SIGKILL');
  }

  if (onInterrupt) {
    process.on('SIGINT', () => {
      killAll();
      onInterrupt();
      process.exit(130);
    });
  }
  return { run, start, killAll };
}

function signal(child, sig) {
  try {
    process.kill(-child.pid, sig);
  } catch {
    try {
      child.kill(sig);
    } catch {}
  }
}
