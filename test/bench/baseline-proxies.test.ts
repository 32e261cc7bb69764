import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pathScope, startCachingProxy } from '../../src/bench/caching-proxy.js';
import { startBatchingProxy } from '../../src/bench/batching-proxy.js';

// A small origin that counts what reaches it and keeps a value per path.
let origin: http.Server;
let originUrl = '';
let seen: string[] = [];
const values = new Map<string, string>();

beforeAll(async () => {
  origin = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const path = (req.url ?? '/').split('?')[0]!;
      if (req.method === 'GET') {
        if (path === '/nostore') {
          res.writeHead(200, { 'cache-control': 'no-store' }).end('fresh');
          return;
        }
        if (path === '/missing') {
          res.writeHead(404).end('no');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain' }).end(values.get(path) ?? `initial ${path}`);
        return;
      }
      if (path === '/fail') {
        res.writeHead(500).end('boom');
        return;
      }
      values.set(path, Buffer.concat(chunks).toString());
      res.writeHead(201, { 'content-type': 'text/plain' }).end('stored');
    });
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', () => r()));
  originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => origin.close(() => r())));
beforeEach(() => {
  seen = [];
  values.clear();
});

async function get(url: string): Promise<{ status: number; text: string; cache: string | null }> {
  const res = await fetch(url);
  return { status: res.status, text: await res.text(), cache: res.headers.get('x-edgstr-cache') };
}

describe('caching proxy', () => {
  it('scopes invalidation by the first path segment', () => {
    expect(pathScope('/donuts/7?x=1')).toBe('/donuts');
    expect(pathScope('/donuts')).toBe('/donuts');
    expect(pathScope('/')).toBe('/');
  });

  it('answers repeated GETs from its cache and invalidates on a write under the same prefix', async () => {
    const proxy = await startCachingProxy({ targetUrl: originUrl, ttlMs: 60_000 });
    try {
      expect(await get(`${proxy.url}/items/1`)).toEqual({ status: 200, text: 'initial /items/1', cache: 'MISS' });
      expect(await get(`${proxy.url}/items/1`)).toEqual({ status: 200, text: 'initial /items/1', cache: 'HIT' });
      await get(`${proxy.url}/other`);
      const put = await fetch(`${proxy.url}/items/1`, { method: 'PUT', body: 'changed' });
      expect(put.status).toBe(201);
      // The write reached the origin and dropped /items/1 but not /other.
      expect(await get(`${proxy.url}/items/1`)).toEqual({ status: 200, text: 'changed', cache: 'MISS' });
      expect((await get(`${proxy.url}/other`)).cache).toBe('HIT');
      expect(seen.filter((s) => s === 'GET /items/1')).toHaveLength(2);
      expect(proxy.stats()).toMatchObject({ hits: 2, misses: 3, writes: 1, invalidated: 1 });
    } finally {
      await proxy.close();
    }
  });

  it('expires entries after the TTL and never caches errors or no-store answers', async () => {
    const proxy = await startCachingProxy({ targetUrl: originUrl, ttlMs: 100 });
    try {
      await get(`${proxy.url}/a`);
      expect((await get(`${proxy.url}/a`)).cache).toBe('HIT');
      await new Promise((r) => setTimeout(r, 150));
      expect((await get(`${proxy.url}/a`)).cache).toBe('MISS');
      await get(`${proxy.url}/missing`);
      expect((await get(`${proxy.url}/missing`)).cache).toBe('MISS');
      await get(`${proxy.url}/nostore`);
      expect((await get(`${proxy.url}/nostore`)).cache).toBe('MISS');
    } finally {
      await proxy.close();
    }
  });
});

describe('batching proxy', () => {
  it('answers writes with 202 at once and sends them to the cloud in order when the batch is full', async () => {
    const proxy = await startBatchingProxy({ targetUrl: originUrl, intervalMs: 60_000, maxBatch: 3 });
    try {
      for (const n of [1, 2]) {
        const res = await fetch(`${proxy.url}/w/${n}`, { method: 'POST', body: `v${n}` });
        expect(res.status).toBe(202);
        expect(await res.json()).toEqual({ queued: true, batchSize: n });
      }
      expect(seen).toEqual([]); // nothing sent yet: the batch is not full and the timer is far away
      // Reads are forwarded at once and may be stale.
      expect(await (await fetch(`${proxy.url}/w/1`)).text()).toBe('initial /w/1');
      await fetch(`${proxy.url}/w/3`, { method: 'PUT', body: 'v3' });
      await proxy.flush();
      expect(seen).toEqual(['GET /w/1', 'POST /w/1', 'POST /w/2', 'PUT /w/3']);
      expect(values.get('/w/2')).toBe('v2');
      expect(proxy.stats()).toMatchObject({ reads: 1, queued: 3, sent: 3, failed: 0, batches: 1 });
    } finally {
      await proxy.close();
    }
  });

  it('flushes on its timer, counts refused writes, and flushes what is left on close', async () => {
    const proxy = await startBatchingProxy({ targetUrl: originUrl, intervalMs: 100, maxBatch: 100 });
    let closed = false;
    try {
      await fetch(`${proxy.url}/fail`, { method: 'POST', body: 'x' });
      await fetch(`${proxy.url}/t/1`, { method: 'POST', body: 'x' });
      const end = Date.now() + 3000;
      while (proxy.stats().sent + proxy.stats().failed < 2 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      expect(proxy.stats()).toMatchObject({ sent: 1, failed: 1 });
      await fetch(`${proxy.url}/t/2`, { method: 'DELETE' });
      await proxy.close();
      closed = true;
      expect(seen.at(-1)).toBe('DELETE /t/2');
    } finally {
      if (!closed) await proxy.close();
    }
  });
});
