/**
 * The bench's HTTP client: node:http with one keep-alive agent per measured system, so the
 * connections (and the bytes they carry through the WAN proxy) belong to that system alone and
 * are closed when its measurement ends.
 */
import http from 'node:http';
import type { BenchRequest } from './workload.js';

/** What one replayed request gave. */
export interface Sample {
  status: number;
  /** Wall-clock time from sending to the last byte of the response, in ms. */
  ms: number;
  bytes: number;
  /** Set when the request failed without an HTTP answer (reset, timeout). */
  error?: string;
}

export function createAgent(maxSockets: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets });
}

/** Sends `req` to `baseUrl`; never rejects (a failure is a sample with `error`). */
export function send(agent: http.Agent, baseUrl: string, req: BenchRequest, timeoutMs: number): Promise<Sample> {
  const url = new URL(req.path, baseUrl);
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (s: Sample): void => {
      if (!done) {
        done = true;
        resolve(s);
      }
    };
    const headers: Record<string, string> = { ...req.headers };
    if (req.body) headers['content-length'] = String(req.body.length);
    const r = http.request(
      { host: url.hostname, port: url.port, path: url.pathname + url.search, method: req.method, headers, agent, timeout: timeoutMs },
      (res) => {
        let bytes = 0;
        res.on('data', (c: Buffer) => (bytes += c.length));
        res.on('end', () => finish({ status: res.statusCode ?? 0, ms: performance.now() - t0, bytes }));
        res.on('error', (err: Error) => finish({ status: 0, ms: performance.now() - t0, bytes, error: err.message }));
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    r.on('error', (err: Error) => finish({ status: 0, ms: performance.now() - t0, bytes: 0, error: err.message }));
    r.end(req.body);
  });
}

/** Summary of a list of samples. */
export interface LatencyStats {
  count: number;
  errors: number;
  meanMs: number;
  p50Ms: number;
  p95Ms: number;
  /** Status code -> count (0 = no HTTP answer). */
  statuses: Record<string, number>;
}

export function summarize(samples: Sample[]): LatencyStats {
  const ms = samples.map((s) => s.ms).sort((a, b) => a - b);
  const pick = (q: number): number => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))]! : NaN);
  const statuses: Record<string, number> = {};
  for (const s of samples) statuses[String(s.status)] = (statuses[String(s.status)] ?? 0) + 1;
  return {
    count: samples.length,
    errors: samples.filter((s) => s.error !== undefined).length,
    meanMs: ms.length ? ms.reduce((a, b) => a + b, 0) / ms.length : NaN,
    p50Ms: pick(0.5),
    p95Ms: pick(0.95),
    statuses,
  };
}
