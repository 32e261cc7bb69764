/**
 * Starting generated projects (cloud, edges) as child processes for verify and bench: `npm start`
 * in a project dir with the environment of DESIGN.md §3, waiting for its health endpoint, and
 * stopping the whole process group. Failures keep the tail of the process's output for the message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { UserError } from '../model/errors.js';
import { killOnInterrupt } from '../util/interrupt.js';

export interface Started {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  /** The last lines the process printed (stdout and stderr). */
  tail(): string;
  /** Its exit code once it exited (a signal counts as -1), else null. */
  exitCode(): number | null;
  stop(): Promise<void>;
  /** Kills it at once (SIGKILL), as a crash would. */
  kill(): Promise<void>;
}

export { freePort } from '../util/free-port.js';

const TAIL_LINES = 30;

/** Starts `npm start` in `dir` and waits until GET <url><healthPath> answers. */
export async function startProject(opts: {
  name: string;
  dir: string;
  port: number;
  env: Record<string, string>;
  healthPath?: string;
  timeoutMs?: number;
}): Promise<Started> {
  const lines: string[] = [];
  const keep = (chunk: Buffer): void => {
    for (const l of chunk.toString('utf8').split('\n')) if (l.trim()) lines.push(l);
    if (lines.length > TAIL_LINES) lines.splice(0, lines.length - TAIL_LINES);
  };
  const child: ChildProcess = spawn('npm', ['start', '--silent'], {
    cwd: opts.dir,
    env: { ...process.env, ...opts.env, PORT: String(opts.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  // Its own process group (npm -> sh -> node): Ctrl-C of edgstr stops all of it.
  const unregister = killOnInterrupt(child.pid);
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  const exitedP = new Promise<void>((resolve) => child.once('exit', (code) => ((exited = code ?? -1), resolve())));
  const url = `http://127.0.0.1:${opts.port}`;
  const tail = (): string => lines.join('\n');
  const signal = (sig: NodeJS.Signals): void => {
    if (child.pid !== undefined && exited === null) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  const started: Started = {
    name: opts.name,
    port: opts.port,
    url,
    tail,
    exitCode: () => exited,
    async stop() {
      signal('SIGTERM');
      const timer = setTimeout(() => signal('SIGKILL'), 5000);
      await exitedP;
      clearTimeout(timer);
      unregister();
    },
    async kill() {
      signal('SIGKILL');
      await exitedP;
      unregister();
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const health = `${url}${opts.healthPath ?? '/__edgstr/health'}`;
  for (;;) {
    if (exited !== null) {
      unregister();
      throw new UserError(`${opts.name} (${opts.dir}) exited with code ${exited} before answering; its output ends with:\n${tail()}`);
    }
    try {
      const res = await fetch(health, { signal: AbortSignal.timeout(1000) });
      if (res.ok) {
        await res.arrayBuffer();
        return started;
      }
    } catch {
      /* not up yet */
    }
    if (Date.now() > deadline) {
      await started.stop();
      throw new UserError(`${opts.name} (${opts.dir}) did not answer ${health} within ${(opts.timeoutMs ?? 30_000) / 1000} s; its output ends with:\n${tail()}`);
    }
    await new Promise((r) => setTimeout(r, 150));
  }
}
