/**
 * Runs the instrumented copy: start command with PORT set, the tracer and the listen hook preloaded
 * (NODE_OPTIONS, so it propagates through `npm start`), waits for the port the tracer reports,
 * talks to the control endpoint, and stops the whole process group.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from '../../util/free-port.js';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../../model/errors.js';
import { killOnInterrupt } from '../../util/interrupt.js';
import { CONTROL_PREFIX } from '../tracer/protocol.js';
import { sendRequest } from './http-client.js';

export interface AppProcess {
  port: number;
  /** The port the app asked for itself (`app.listen(3000)`), when not the one it was given. */
  ownPort: number | null;
  control<T>(action: string, query?: Record<string, string>): Promise<T>;
  output(): string;
  stop(): Promise<void>;
}

/**
 * What to do about a `Cannot find module` in the app's output, which Node prints above a stack
 * long enough to push it out of the tail shown (e.g. an app using MongoDB without its driver).
 */
export function missingModule(output: string): string {
  const m = /Cannot find (?:module|package) '([^']+)'/.exec(output);
  if (!m) return '';
  const name = m[1]!;
  if (name.startsWith('.') || path.isAbsolute(name)) return `: Cannot find module '${name}'; a file of the app is missing`;
  const pkg = name.startsWith('@') ? name.split('/').slice(0, 2).join('/') : name.split('/')[0]!;
  return `: Cannot find module '${name}'; add ${pkg} to the app's dependencies and run npm install in it`;
}

export interface StartOptions {
  cwd: string;
  command: string;
  tracer: string;
  controlDir: string;
  timeoutMs: number;
}

export async function startApp(opts: StartOptions): Promise<AppProcess> {
  const port = await freePort();
  // Built beside the tracer (dist/analyze/tracer/index.js -> dist/analyze/replay/listen-hook.js).
  const listenHook = path.join(path.dirname(opts.tracer), '..', 'replay', 'listen-hook.js');
  if (!fs.existsSync(listenHook)) throw new Error(`listen hook not built at ${listenHook}: run npm run build`);
  const nodeOptions = [process.env.NODE_OPTIONS ?? '', `--import ${pathToFileURL(opts.tracer).href}`, `--import ${pathToFileURL(listenHook).href}`, '--enable-source-maps'].join(' ').trim();
  const child: ChildProcess = spawn('sh', ['-c', opts.command], {
    cwd: opts.cwd,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      PORT: String(port),
      // The app listens there even when it picks its own port (listen-hook.ts).
      EDGSTR_LISTEN_PORT: String(port),
      NODE_OPTIONS: nodeOptions,
      EDGSTR_CONTROL_DIR: opts.controlDir,
      EDGSTR_APP_ROOT: opts.cwd,
      PATH: `${path.join(opts.cwd, 'node_modules', '.bin')}${path.delimiter}${process.env.PATH ?? ''}`,
    },
  });
  // Its own process group (detached): Ctrl-C of edgstr stops the shell, the app and its children.
  const unregister = killOnInterrupt(child.pid);
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-20000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null = null;
  const exitP = new Promise<void>((resolve) => child.once('exit', (code, sig) => {
    exited = code ?? (sig ? 128 : 1);
    resolve();
  }));
  const tail = () => out.split('\n').slice(-15).join('\n');
  const stop = async () => {
    if (exited === null && child.pid) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3000);
      await exitP;
      clearTimeout(t);
    }
    unregister();
  };

  const portFile = path.join(opts.controlDir, 'port');
  const deadline = Date.now() + opts.timeoutMs;
  let appPort = 0;
  while (!appPort) {
    if (exited !== null) {
      unregister();
      throw new UserError(`the app exited (code ${exited}) before it listened${missingModule(out)} — its output ends with:\n${tail()}`, { details: '' });
    }
    if (Date.now() > deadline) {
      await stop();
      throw new UserError(
        `the app did not listen on a port within ${Math.round(opts.timeoutMs / 1000)} s (start command: ${opts.command}) — check that this command starts its HTTP server, or pass --start`,
        { details: tail() },
      );
    }
    if (fs.existsSync(portFile)) appPort = Number(fs.readFileSync(portFile, 'utf8'));
    else await new Promise((r) => setTimeout(r, 50));
  }

  const control = async <T>(action: string, query: Record<string, string> = {}): Promise<T> => {
    const qs = new URLSearchParams(query).toString();
    const res = await sendRequest(appPort, { method: 'POST', path: `${CONTROL_PREFIX}${action}${qs ? `?${qs}` : ''}`, headers: {}, body: undefined }, 60000);
    const text = res.body.toString('utf8');
    if (res.status !== 200) throw new Error(`tracer control ${action} failed: ${text.slice(0, 2000)}`);
    return JSON.parse(text) as T;
  };
  const askedFile = path.join(opts.controlDir, 'asked-port');
  const ownPort = fs.existsSync(askedFile) ? Number(fs.readFileSync(askedFile, 'utf8')) || null : null;
  return { port: appPort, ownPort, control, output: () => out, stop };
}
