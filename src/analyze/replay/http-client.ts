/** A minimal HTTP/1.1 client for replay: exact method, path, headers and body; no pooling. */
import http from 'node:http';

export interface OutRequest {
  method: string;
  /** Path with query string. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
}

export interface InResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export function sendRequest(port: number, req: OutRequest, timeoutMs: number): Promise<InResponse> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { ...req.headers, connection: 'close' };
    if (req.body) headers['content-length'] = String(req.body.length);
    const r = http.request({ host: '127.0.0.1', port, method: req.method, path: req.path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    r.setTimeout(timeoutMs, () => r.destroy(new Error(`no answer within ${timeoutMs} ms to ${req.method} ${req.path}`)));
    r.on('error', reject);
    r.end(req.body);
  });
}
