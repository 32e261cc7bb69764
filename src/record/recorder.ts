/**
 * The recording reverse proxy: listens, forwards every request to the target with http-proxy
 * (streaming, keep-alive upstream), tees both bodies into bounded captures and appends one HAR
 * entry per exchange. `startRecorder` is the library entry; the CLI and tests use it in-process.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { performance } from 'node:perf_hooks';
import httpProxy from 'http-proxy';
import { UserError } from '../model/errors.js';
import { BodyCapture, DEFAULT_MAX_BODY_BYTES } from './body-capture.js';
import { buildEntry, redactionFor, type EdgstrEntry, type Exchange, type RedactOptions } from './har-entry.js';
import { HarWriter } from './har-writer.js';

export interface RecorderOptions {
  /** Origin (optionally with a base path) to forward to, e.g. http://127.0.0.1:3000. */
  target: string;
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port?: number;
  host?: string;
  /** HAR file to append to. */
  out: string;
  /** Stop after this many exchanges. */
  maxRequests?: number;
  redact?: RedactOptions;
  /** Bytes of each body kept in the HAR (the rest is forwarded but not recorded). */
  maxBodyBytes?: number;
  /** Called after each entry is on disk. */
  onEntry?: (entry: EdgstrEntry) => void;
}

/** What a recording session did. */
export interface RecordSummary {
  out: string;
  target: string;
  listen: string;
  recorded: number;
  failed: number;
  /** Entries in the file (earlier sessions included). */
  totalEntries: number;
}

export interface Recorder {
  /** Where the proxy listens, e.g. http://127.0.0.1:8080. */
  readonly url: string;
  readonly port: number;
  readonly host: string;
  /** Exchanges recorded in this session so far. */
  readonly count: number;
  /** Resolves when the recorder has stopped (close() or --max-requests reached). */
  readonly done: Promise<RecordSummary>;
  /** Stops accepting, finishes in-flight exchanges, closes the file. */
  close(): Promise<RecordSummary>;
}

interface Pending {
  seq: number;
  startedAt: Date;
  t0: number;
  tSent: number | undefined;
  tHeaders: number | undefined;
  /** Undefined when the request cannot have a body. */
  reqBody: BodyCapture | undefined;
  resBody: BodyCapture | undefined;
  proxyRes: IncomingMessage | undefined;
  resEnded: boolean;
  error: string | undefined;
  serverIP: string | undefined;
  retried: boolean;
}

/** The exchange a request belongs to, kept on the request itself (cheaper than a WeakMap lookup per event). */
const kPending = Symbol('edgstr.pending');
type Tracked = IncomingMessage & { [kPending]?: Pending | undefined };

const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE', 'TRACE']);

/** Parses and checks --target; a bad one is a UserError. */
export function parseTarget(target: string): URL {
  let url: URL;
  try {
    url = new URL(target);
  } catch {
    throw new UserError(`--target ${JSON.stringify(target)} is not a URL; give e.g. http://127.0.0.1:3000`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UserError(`--target ${target}: only http:// and https:// targets can be proxied`);
  }
  if (url.search || url.hash) throw new UserError(`--target ${target}: give an origin without ?query or #fragment`);
  return url;
}

export async function startRecorder(opts: RecorderOptions): Promise<Recorder> {
  const target = parseTarget(opts.target);
  const basePath = target.pathname.replace(/\/+$/, '');
  const redact = opts.redact ?? redactionFor(true);
  const limit = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const host = opts.host ?? '127.0.0.1';
  const agent = new (target.protocol === 'https:' ? (await import('node:https')).Agent : http.Agent)({ keepAlive: true, maxSockets: 256 });
  const proxy = httpProxy.createProxyServer({ target: target.href, agent, xfwd: false, ws: false });
  const server = http.createServer();
  server.keepAliveTimeout = 5_000;

  await listen(server, opts.port ?? 8080, host);
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  let writer: HarWriter;
  try {
    writer = await HarWriter.open(opts.out);
  } catch (err) {
    await new Promise((r) => server.close(r));
    throw err;
  }

  let started = 0;
  let recorded = 0;
  let failed = 0;
  let inflight = 0;
  let stopping = false;
  let resolveDone!: (s: RecordSummary) => void;
  const done = new Promise<RecordSummary>((r) => (resolveDone = r));
  let closing: Promise<RecordSummary> | undefined;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const listenUrl = `http://${urlHost}:${port}`;
  const urlPrefix = `${target.origin}${basePath}`;

  const summary = (): RecordSummary => ({ out: opts.out, target: target.href, listen: listenUrl, recorded, failed, totalEntries: writer.count });

  const noBody = { bytes: Buffer.alloc(0), size: 0, truncated: false };
  const finish = (req: IncomingMessage, p: Pending): void => {
    (req as Tracked)[kPending] = undefined;
    const now = performance.now();
    const tSent = p.tSent ?? now;
    const tHeaders = p.tHeaders ?? now;
    let error = p.error;
    if (error === undefined && p.proxyRes && !p.resEnded) error = 'the connection closed before the response was complete';
    if (error === undefined && !p.proxyRes) error = 'the client closed the connection before the response';
    const status = p.proxyRes && p.error === undefined ? p.proxyRes.statusCode ?? 0 : 0;
    const exchange: Exchange = {
      seq: p.seq,
      startedAt: p.startedAt,
      method: req.method ?? 'GET',
      url: `${urlPrefix}${req.url ?? '/'}`,
      httpVersion: req.httpVersion,
      requestHeaders: req.rawHeaders,
      requestBody: p.reqBody ? p.reqBody.result() : noBody,
      status,
      statusText: status === 0 ? '' : p.proxyRes?.statusMessage ?? '',
      responseHeaders: status === 0 ? [] : p.proxyRes?.rawHeaders ?? [],
      responseBody: p.resBody?.result() ?? noBody,
      timings: { send: tSent - p.t0, wait: Math.max(0, tHeaders - tSent), receive: Math.max(0, now - tHeaders) },
      connection: String(req.socket.remotePort ?? ''),
    };
    if (p.serverIP) exchange.serverIPAddress = p.serverIP;
    if (error !== undefined) exchange.error = error;
    const entry = buildEntry(exchange, redact);
    if (status === 0) failed++;
    // A callback rather than a promise chain: this runs once per exchange.
    writer.add(entry, (err) => {
      inflight--;
      if (err === undefined) recorded++;
      else process.stderr.write(`edgstr: cannot write ${opts.out}: ${(err as Error).message}\n`);
      try {
        if (err === undefined) opts.onEntry?.(entry);
      } finally {
        if (opts.maxRequests !== undefined && started >= opts.maxRequests) void close();
        if (stopping) maybeFinishStop();
      }
    });
  };

  let stopWaiter: (() => void) | undefined;
  const maybeFinishStop = (): void => {
    server.closeIdleConnections();
    if (inflight === 0) stopWaiter?.();
  };

  // Proxy-level handlers (error, proxyRes, end) instead of per-request closures; proxy.web is
  // called without options or callback, so http-proxy neither copies its options nor re-parses
  // the target for every request.
  proxy.on('error', (err: Error, req: IncomingMessage, res: ServerResponse | Socket) => {
    const p = (req as Tracked)[kPending];
    if (!p || !(res instanceof http.ServerResponse)) return;
    // The target closed a kept-alive socket just as it was reused: nothing reached the server's
    // handler, so an idempotent request is sent once more (its body replayed from the capture).
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ECONNRESET' && !p.retried && !res.headersSent && !p.proxyRes && IDEMPOTENT.has(req.method ?? '') && req.complete && !p.reqBody?.truncatedSoFar) {
      p.retried = true;
      const replay = new PassThrough();
      replay.end(p.reqBody ? p.reqBody.peek() : noBody.bytes);
      proxy.web(req, res, { buffer: replay });
      return;
    }
    p.error = `${code ?? 'error'}: ${err.message}`;
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: `edgstr recorder: the target did not answer (${p.error})`, target: target.href }));
    } else {
      res.destroy();
    }
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    if (stopping || (opts.maxRequests !== undefined && started >= opts.maxRequests)) {
      res.writeHead(503, { 'content-type': 'application/json', connection: 'close' });
      res.end(JSON.stringify({ error: 'the edgstr recorder is shutting down', target: target.href }));
      return;
    }
    // A request without Content-Length or Transfer-Encoding has no body (RFC 9112 6.3): nothing to capture.
    const cl = req.headers['content-length'];
    const hasBody = (cl !== undefined && cl !== '0') || req.headers['transfer-encoding'] !== undefined;
    const p: Pending = {
      seq: ++started,
      startedAt: new Date(),
      t0: performance.now(),
      tSent: undefined,
      tHeaders: undefined,
      reqBody: hasBody ? new BodyCapture(limit, cl) : undefined,
      resBody: undefined,
      proxyRes: undefined,
      resEnded: false,
      error: undefined,
      serverIP: undefined,
      retried: false,
    };
    inflight++;
    (req as Tracked)[kPending] = p;
    if (opts.maxRequests !== undefined && started >= opts.maxRequests) res.shouldKeepAlive = false;
    res.on('close', () => finish(req, p));
    proxy.web(req, res);
    // Attached after proxy.web piped the request, in the same tick: both see every chunk.
    if (p.reqBody) {
      const capture = p.reqBody;
      req.on('data', (chunk: Buffer) => capture.push(chunk));
    }
    req.on('end', () => {
      p.tSent = performance.now();
    });
  });

  proxy.on('proxyRes', (proxyRes: IncomingMessage, req: IncomingMessage) => {
    const p = (req as Tracked)[kPending];
    if (!p) return;
    p.tHeaders = performance.now();
    p.proxyRes = proxyRes;
    p.serverIP = proxyRes.socket?.remoteAddress;
    const capture = new BodyCapture(limit, proxyRes.headers['content-length']);
    p.resBody = capture;
    proxyRes.on('data', (chunk: Buffer) => capture.push(chunk));
  });

  // http-proxy emits 'end' when the target's response has ended (it listens for that itself).
  proxy.on('end', (req: IncomingMessage) => {
    const p = (req as Tracked)[kPending];
    if (p) p.resEnded = true;
  });

  const close = (): Promise<RecordSummary> => {
    closing ??= (async () => {
      stopping = true;
      server.close();
      maybeFinishStop();
      if (inflight > 0) {
        await new Promise<void>((resolve) => {
          stopWaiter = resolve;
          // Slow clients get a grace period, then their connections are cut (and recorded as failed).
          setTimeout(() => server.closeAllConnections(), 30_000).unref();
        });
      }
      server.closeAllConnections();
      await writer.close();
      proxy.close();
      agent.destroy();
      const s = summary();
      resolveDone(s);
      return s;
    })();
    return closing;
  };

  return {
    url: listenUrl,
    port,
    host,
    get count() {
      return recorded;
    },
    done,
    close,
  };
}

function listen(server: http.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') reject(new UserError(`${host}:${port} is already in use; pick another --port`));
      else if (err.code === 'EACCES') reject(new UserError(`${host}:${port}: permission denied; use a port above 1023`));
      else if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') reject(new UserError(`--host ${host}: no such local address; use e.g. 127.0.0.1`));
      else reject(err);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
