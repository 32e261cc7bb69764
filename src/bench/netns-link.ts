/**
 * A kernel-shaped WAN link for the bench (DESIGN.md §5): scripts/wan-netns.sh makes two network
 * namespaces joined by a veth pair whose two directions are rate-limited by tc htb. The bench's
 * processes live in the host namespace, so traffic is carried across the veth by four small
 * relays (each a `node -e` child), chained through Unix sockets — a socket file is reachable from
 * every namespace, which is what lets the chain cross in and out without giving the namespaces any
 * route to the host's networks:
 *
 *   client -> 127.0.0.1:P (host relay) -> a.sock -> [ns -c relay] -> 10.213.47.2:Q over the veth
 *          -> [ns -s relay] -> b.sock -> (host relay) -> target
 *
 * The user-space WAN proxy still adds delay and loss in front of this link, with rate 0.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onInterrupt } from '../util/interrupt.js';

/** scripts/wan-netns.sh, found from src/bench or dist/bench alike (both two levels below the root). */
export const WAN_NETNS_SCRIPT = fileURLToPath(new URL('../../scripts/wan-netns.sh', import.meta.url));
const SERVER_ADDR = '10.213.47.2';

/**
 * The relay: listens on argv[1] and pipes each connection to argv[2]; a spec is `tcp:HOST:PORT`
 * or `unix:PATH`. Prints `listening PORT` once bound. Plain JS, run with `node -e`.
 */
const RELAY_SOURCE = `
const net = require('net');
const [listenSpec, connectSpec] = process.argv.slice(1);
const parse = (s) => s.startsWith('unix:') ? { path: s.slice(5) } : { host: s.split(':')[1], port: Number(s.split(':')[2]) };
const server = net.createServer({ allowHalfOpen: true }, (a) => {
  const b = net.connect({ ...parse(connectSpec), allowHalfOpen: true });
  a.setNoDelay?.(true); b.setNoDelay?.(true);
  a.pipe(b); b.pipe(a);
  const kill = () => { a.destroy(); b.destroy(); };
  a.on('error', kill); b.on('error', kill); a.on('close', () => b.end()); b.on('close', () => a.end());
});
server.listen(parse(listenSpec), () => {
  const addr = server.address();
  process.stdout.write('listening ' + (typeof addr === 'string' ? 0 : addr.port) + '\\n');
});
process.on('SIGTERM', () => process.exit(0));
`;

/** True when this machine can shape in the kernel: root, iproute2 with netns, the script present. */
export function kernelShapingAvailable(): { ok: boolean; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'not Linux' };
  if (typeof process.getuid === 'function' && process.getuid() !== 0) return { ok: false, reason: 'not root' };
  if (!existsSync(WAN_NETNS_SCRIPT)) return { ok: false, reason: `${WAN_NETNS_SCRIPT} is missing` };
  const r = spawnSync('sh', [WAN_NETNS_SCRIPT, 'check'], { encoding: 'utf8' });
  return r.status === 0 ? { ok: true, reason: 'root with ip netns and tc' } : { ok: false, reason: (r.stderr || 'check failed').trim() };
}

export interface KernelLink {
  /** Where to connect: a host-namespace port that leads through the shaped veth to the target. */
  readonly host: string;
  readonly port: number;
  readonly name: string;
  close(): Promise<void>;
}

function startRelay(children: ChildProcess[], netns: string | null, listen: string, connect: string): Promise<number> {
  const argv = ['-e', RELAY_SOURCE, listen, connect];
  const child = netns ? spawn('ip', ['netns', 'exec', netns, process.execPath, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(process.execPath, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`relay ${listen} -> ${connect} did not start: ${err.trim()}`)), 10_000);
    child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`relay ${listen} -> ${connect} exited with ${code}: ${err.trim()}`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * Creates namespaces `<name>-c` / `<name>-s` shaped to `bytesPerSecond` each way and a relay chain
 * through them to targetHost:targetPort. `close()` removes everything it created.
 */
export async function startKernelLink(opts: { bytesPerSecond: number; targetHost: string; targetPort: number; name?: string }): Promise<KernelLink> {
  const name = opts.name ?? `edgstr-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  const up = spawnSync('sh', [WAN_NETNS_SCRIPT, 'up', String(Math.round(opts.bytesPerSecond)), name], { encoding: 'utf8' });
  if (up.status !== 0) throw new Error(`wan-netns.sh up failed: ${up.stderr.trim()}`);
  const dir = mkdtempSync(join(tmpdir(), 'edgstr-wan-'));
  const children: ChildProcess[] = [];
  // Ctrl-C: the relays are stopped as children of edgstr; the namespaces and sockets go here.
  const unregister = onInterrupt(`removed network namespaces ${name}-c/-s`, () => {
    spawnSync('sh', [WAN_NETNS_SCRIPT, 'down', name]);
    rmSync(dir, { recursive: true, force: true });
  });
  const close = async (): Promise<void> => {
    await Promise.all(children.map(stopChild));
    spawnSync('sh', [WAN_NETNS_SCRIPT, 'down', name]);
    rmSync(dir, { recursive: true, force: true });
    unregister();
  };
  try {
    const a = join(dir, 'a.sock');
    const b = join(dir, 'b.sock');
    await startRelay(children, null, `unix:${b}`, `tcp:${opts.targetHost}:${opts.targetPort}`);
    const q = await startRelay(children, `${name}-s`, `tcp:${SERVER_ADDR}:0`, `unix:${b}`);
    await startRelay(children, `${name}-c`, `unix:${a}`, `tcp:${SERVER_ADDR}:${q}`);
    const port = await startRelay(children, null, 'tcp:127.0.0.1:0', `unix:${a}`);
    return { host: '127.0.0.1', port, name, close };
  } catch (err) {
    await close();
    throw err;
  }
}
