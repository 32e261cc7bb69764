/**
 * Baseline 1 of the paper's §IV-E2: a caching proxy at the edge. It answers a GET from its cache
 * when it holds a fresh copy, and forwards everything else to the cloud over the WAN.
 *
 * Behaviour (deliberately simple, like an nginx `proxy_cache` with a fixed validity):
 * - Only GET responses with status 200 are cached, keyed by path + query, for `ttlMs`
 *   (a response with `Cache-Control: no-store` is not cached; other cache headers are ignored,
 *   as the subjects do not send them).
 * - Every other method is forwarded synchronously; when the cloud answers it with a status below
 *   400, every cached entry under the same first path segment is dropped (a write to
 *   `/donuts/7` invalidates `/donuts`, `/donuts/7`, `/donuts?q=x`), so a client reads its own
 *   writes through this proxy. Writes made by other clients are seen only after the TTL.
 * - Answers carry `X-Edgstr-Cache: HIT` or `MISS`.
 */
import http from 'node:http';
import { closeServer, forward, reply, startProxyServer, type Buffered } from './forward.js';

export interface CachingProxyOptions {
  /** The cloud origin (usually the WAN proxy in front of it). */
  targetUrl: string;
  ttlMs: number;
  host?: string;
  port?: number;
}

export interface CachingStats {
  hits: number;
  misses: number;
  writes: number;
  invalidated: number;
}

export interface CachingProxy {
  readonly url: string;
  readonly port: number;
  stats(): CachingStats;
  close(): Promise<void>;
}

/** The invalidation scope of a path: its first segment ("/donuts/7?x" -> "/donuts"). */
export function pathScope(path: string): string {
  const p = path.split('?')[0]!;
  const first = p.split('/').filter(Boolean)[0];
  return first === undefined ? '/' : `/${first}`;
}

export async function startCachingProxy(opts: CachingProxyOptions): Promise<CachingProxy> {
  const origin = new URL(opts.targetUrl);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const cache = new Map<string, { answer: Buffered; expires: number }>();
  const stats: CachingStats = { hits: 0, misses: 0, writes: 0, invalidated: 0 };

  const { server, port, url } = await startProxyServer('caching proxy', opts, async ({ method, path, headers, body }, res) => {
    if (method === 'GET') {
      const hit = cache.get(path);
      if (hit && hit.expires > performance.now()) {
        stats.hits++;
        reply(res, hit.answer, { 'x-edgstr-cache': 'HIT' });
        return;
      }
      stats.misses++;
      const answer = await forward(agent, origin, method, path, headers, body);
      const noStore = /no-store/i.test(String(answer.headers['cache-control'] ?? ''));
      if (answer.status === 200 && !noStore) cache.set(path, { answer, expires: performance.now() + opts.ttlMs });
      reply(res, answer, { 'x-edgstr-cache': 'MISS' });
      return;
    }
    stats.writes++;
    const answer = await forward(agent, origin, method, path, headers, body);
    if (answer.status < 400 && method !== 'HEAD' && method !== 'OPTIONS') {
      const scope = pathScope(path);
      for (const key of [...cache.keys()]) {
        if (pathScope(key) === scope) {
          cache.delete(key);
          stats.invalidated++;
        }
      }
    }
    reply(res, answer, { 'x-edgstr-cache': 'MISS' });
  });
  return {
    url,
    port,
    stats: () => ({ ...stats }),
    close: async () => {
      await closeServer(server);
      agent.destroy();
    },
  };
}
