/**
 * Buffered request forwarding shared by the baseline proxies (caching, batching): read the whole
 * request, send it to the one configured origin over a keep-alive agent, read the whole answer.
 * Buffering is fine for the bench (recorded messages are small) and keeps the proxies simple.
 */
import http from 'node:http';
import { HOP_BY_HOP_HEADERS } from '../model/traffic.js';

export interface Buffered {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function endToEnd(headers: http.IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP_HEADERS.has(k)) out[k] = v;
  return out;
}

/** Sends one buffered request to `origin` (e.g. "http://127.0.0.1:4000") and buffers the answer. */
export function forward(
  agent: http.Agent,
  origin: URL,
  method: string,
  path: string,
  headers: Record<string, string | string[]>,
  body: Buffer,
  timeoutMs = 120_000,
): Promise<Buffered> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | string[]> = { ...headers, host: origin.host };
    if (body.length > 0 || !['GET', 'HEAD', 'DELETE', 'OPTIONS'].includes(method)) h['content-length'] = String(body.length);
    const r = http.request({ host: origin.hostname, port: origin.port, method, path, headers: h, agent, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: endToEnd(res.headers), body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.on('timeout', () => r.destroy(new Error(`origin did not answer within ${timeoutMs} ms`)));
    r.on('error', reject);
    r.end(body);
  });
}

/** Writes a buffered answer to the client. */
export function reply(res: http.ServerResponse, answer: Buffered, extra: Record<string, string> = {}): void {
  res.writeHead(answer.status, { ...answer.headers, ...extra, 'content-length': String(answer.body.length) });
  res.end(answer.body);
}

/** Listens on host:port (0 = any free port) and resolves to the bound port. */
export function listen(server: http.Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as { port: number }).port));
  });
}

/** Closes the server and every connection it still holds. */
export function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** One incoming request with its whole body and its end-to-end headers. */
export interface Incoming {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/**
 * Starts a baseline proxy's server on `at` (default 127.0.0.1, any free port): each request is read
 * whole and given to `handle`; when handling fails the client gets a 502 naming the proxy.
 */
export async function startProxyServer(
  name: string,
  at: { host?: string; port?: number },
  handle: (req: Incoming, res: http.ServerResponse) => Promise<void>,
): Promise<{ server: http.Server; port: number; url: string }> {
  const host = at.host ?? '127.0.0.1';
  const server = http.createServer((req, res) => {
    void (async () => {
      await handle({ method: req.method ?? 'GET', path: req.url ?? '/', headers: endToEnd(req.headers), body: await readBody(req) }, res);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`${name}: ${err instanceof Error ? err.message : String(err)}`);
    });
  });
  const bound = await listen(server, host, at.port ?? 0);
  return { server, port: bound, url: `http://${host}:${bound}` };
}
