/** A tiny target server for the recorder's unit tests (not a subject app). */
import http from 'node:http';
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface TestServer {
  url: string;
  port: number;
  /** Requests received so far (to wait until one has reached the server). */
  readonly received: number;
  close(): Promise<void>;
}

/**
 * Routes: GET /echo/:x?q -> JSON of what it saw; POST /echo -> JSON {len, sha256, body (if < 1 KB)};
 * GET /gzip -> gzipped JSON; GET /bin -> 256 bytes 0..255 as image/png; GET /cookie -> Set-Cookie;
 * GET /big?kb=N -> N KB of text; GET /slow?ms=N -> waits then answers.
 */
export async function startTestServer(): Promise<TestServer> {
  let received = 0;
  const server = http.createServer((req, res) => {
    received++;
    const url = new URL(req.url ?? '/', 'http://x');
    const hash = createHash('sha256');
    let len = 0;
    const small: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      hash.update(c);
      len += c.length;
      if (len <= 1024) small.push(c);
    });
    req.on('end', () => {
      const send = (status: number, type: string, body: string | Buffer, extra: Record<string, string | string[]> = {}): void => {
        res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
        res.end(body);
      };
      const p = url.pathname;
      if (p.startsWith('/echo') && req.method === 'GET') {
        return send(200, 'application/json', JSON.stringify({ path: p, q: url.searchParams.get('q'), auth: req.headers.authorization ?? null }));
      }
      if (p === '/echo') {
        const body = len <= 1024 ? Buffer.concat(small).toString('utf8') : null;
        return send(201, 'application/json; charset=utf-8', JSON.stringify({ len, sha256: hash.digest('hex'), body }));
      }
      if (p === '/gzip') return send(200, 'application/json', gzipSync(JSON.stringify({ hello: 'gzip world' })), { 'content-encoding': 'gzip' });
      if (p === '/bin') return send(200, 'image/png', Buffer.from(Array.from({ length: 256 }, (_, i) => i)));
      if (p === '/cookie') return send(200, 'text/plain', 'ok', { 'set-cookie': ['sid=secret123; HttpOnly', 'theme=dark'] });
      if (p === '/big') return send(200, 'text/plain', 'x'.repeat(Number(url.searchParams.get('kb') ?? '1') * 1024));
      if (p === '/slow') {
        setTimeout(() => send(200, 'text/plain', 'slow done'), Number(url.searchParams.get('ms') ?? '100'));
        return;
      }
      send(404, 'application/json', JSON.stringify({ error: 'not found' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get received() {
      return received;
    },
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
