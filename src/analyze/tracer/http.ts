/**
 * HTTP side of the tracer: the 'request' hook that enters the execution's AsyncLocalStorage
 * context, the control endpoint under /__edgstr/ (answered here, never reaching the app), the
 * listening port written to the control dir, the app frame that ends each response (exit
 * fallback), and outbound connections (state outside the app: not replicable).
 */
import { AsyncResource } from 'node:async_hooks';
import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { CONTROL_PREFIX, EXEC_HEADER } from './protocol.js';
import { als, type Runtime } from './runtime.js';

export type ControlHandler = (action: string, query: URLSearchParams) => Promise<unknown>;

const OUTBOUND = Symbol.for('edgstr.outbound');

const BOUND = Symbol.for('edgstr.bound');

/**
 * A request's 'data'/'end' events are emitted from the HTTP parser, whose async context was
 * fixed before the request hook entered the execution's; listeners added to the request are
 * bound to the execution so that work done in them (body parsing, then the handler) is
 * attributed to it. removeListener finds the bound twin.
 */
function bindListeners(emitter: EventEmitter): void {
  const e = emitter as EventEmitter & Record<symbol, WeakMap<object, (...a: unknown[]) => void>>;
  const twins = new WeakMap<object, (...a: unknown[]) => void>();
  e[BOUND] = twins;
  const bind = (fn: (...a: unknown[]) => void) => {
    let b = twins.get(fn);
    if (!b) {
      b = AsyncResource.bind(fn);
      twins.set(fn, b);
    }
    return b;
  };
  for (const name of ['on', 'addListener', 'once', 'prependListener', 'prependOnceListener'] as const) {
    const orig = e[name];
    e[name] = function (this: EventEmitter, ev: string | symbol, fn: (...a: unknown[]) => void) {
      return orig.call(this, ev, typeof fn === 'function' ? bind(fn) : fn);
    } as typeof orig;
  }
  for (const name of ['removeListener', 'off'] as const) {
    const orig = e[name];
    e[name] = function (this: EventEmitter, ev: string | symbol, fn: (...a: unknown[]) => void) {
      return orig.call(this, ev, (typeof fn === 'function' && twins.get(fn)) || fn);
    } as typeof orig;
  }
}

/**
 * Sees every property the middleware hangs on a request (`req.sessionStore = store`): a proxy
 * in the prototype chain of every IncomingMessage, under the prototypes Express and others put
 * on the request, receives each assignment of a property the request does not have yet (the
 * ordinary [[Set]] walks the chain to it) and performs it as it would have been.
 */
function watchRequestProperties(rt: Runtime): void {
  // An empty layer between IncomingMessage.prototype and its parent (Readable.prototype), so
  // that the parent keeps its identity (`this instanceof Readable` in Readable's constructor).
  const layer = Object.create(Object.getPrototypeOf(http.IncomingMessage.prototype) as object) as object;
  const trap = new Proxy(layer, {
    set(target, prop, value: unknown, receiver: unknown): boolean {
      if (rt.cur !== null && typeof prop === 'string' && receiver instanceof http.IncomingMessage) rt.seeOnRequest(prop, value);
      return Reflect.set(target, prop, value, receiver);
    },
  });
  Object.setPrototypeOf(http.IncomingMessage.prototype, trap);
}

export function installHttpHooks(rt: Runtime, appRoot: string, controlDir: string, control: ControlHandler): void {
  watchRequestProperties(rt);
  const emit = EventEmitter.prototype.emit;
  http.Server.prototype.emit = function (this: http.Server, event: string | symbol, ...args: unknown[]): boolean {
    if (event !== 'request') return emit.call(this, event, ...args);
    const req = args[0] as http.IncomingMessage;
    const res = args[1] as http.ServerResponse;
    if (req.url?.startsWith(CONTROL_PREFIX)) {
      const u = new URL(req.url, 'http://x');
      control(u.pathname.slice(CONTROL_PREFIX.length), u.searchParams).then(
        (body) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body ?? null));
        },
        (err: unknown) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
        },
      );
      req.resume();
      return true;
    }
    const exec = req.headers[EXEC_HEADER];
    if (typeof exec === 'string') {
      return als.run({ id: exec }, () => {
        bindListeners(req);
        return emit.call(this, event, ...args);
      });
    }
    return emit.call(this, event, ...args);
  } as typeof http.Server.prototype.emit;

  // The port: written once the first HTTP server listens.
  const listen = net.Server.prototype.listen;
  let announced = false;
  net.Server.prototype.listen = function (this: net.Server, ...args: unknown[]) {
    if (this instanceof http.Server && !announced) {
      this.once('listening', () => {
        const addr = this.address();
        if (announced || !addr || typeof addr === 'string') return;
        announced = true;
        fs.writeFileSync(path.join(controlDir, 'port.tmp'), String(addr.port));
        fs.renameSync(path.join(controlDir, 'port.tmp'), path.join(controlDir, 'port'));
      });
    }
    return listen.apply(this, args as Parameters<typeof listen>);
  } as typeof net.Server.prototype.listen;

  // Exit fallback: the topmost app frame when the response is ended or first written.
  const appFrame = (): { file: string; line: number } | null => {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 60;
    const stack = new Error().stack ?? '';
    Error.stackTraceLimit = limit;
    for (const line of stack.split('\n').slice(1)) {
      const m = /\(?((?:file:\/\/)?\/[^():]+):(\d+):\d+\)?\s*$/.exec(line);
      if (!m) continue;
      const file = m[1]!.replace(/^file:\/\//, '');
      const rel = path.relative(appRoot, file);
      if (rel.startsWith('..') || rel.split(path.sep).includes('node_modules')) continue;
      return { file, line: Number(m[2]) };
    }
    return null;
  };
  const proto = http.ServerResponse.prototype as unknown as Record<string, (...a: unknown[]) => unknown>;
  for (const name of ['end', 'write', 'writeHead']) {
    const orig = proto[name]!;
    proto[name] = function (this: object, ...args: unknown[]) {
      const cur = rt.inExec();
      if (cur) {
        const f = appFrame();
        if (f && !cur.endFrames.some((x) => x.file === f.file && x.line === f.line)) cur.endFrames.push(f);
      }
      return orig.apply(this, args);
    };
  }

  // Outbound: sockets the app opens (databases, other services); their writes during an execution.
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const opts = args[0];
    let target = '';
    if (typeof opts === 'object' && opts !== null && !Array.isArray(opts)) {
      const o = opts as { host?: string; port?: number; path?: string };
      target = o.path ?? `${o.host ?? 'localhost'}:${o.port ?? ''}`;
    } else if (Array.isArray(opts)) {
      const o = opts[0] as { host?: string; port?: number; path?: string } | undefined;
      if (o && typeof o === 'object') target = o.path ?? `${o.host ?? 'localhost'}:${o.port ?? ''}`;
    } else target = `${String(args[1] ?? 'localhost')}:${String(opts)}`;
    (this as unknown as Record<symbol, string>)[OUTBOUND] = target;
    const cur = rt.inExec();
    if (cur && !cur.outbound.includes(target)) cur.outbound.push(target);
    return connect.apply(this, args as Parameters<typeof connect>);
  } as typeof net.Socket.prototype.connect;
  const write = net.Socket.prototype.write;
  net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
    const target = (this as unknown as Record<symbol, string | undefined>)[OUTBOUND];
    if (target) {
      const cur = rt.inExec();
      if (cur && !cur.outbound.includes(target)) cur.outbound.push(target);
    }
    return write.apply(this, args as Parameters<typeof write>);
  } as typeof net.Socket.prototype.write;
}
