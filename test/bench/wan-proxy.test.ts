import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWanProxy } from '../../src/bench/wan-proxy.js';

let server: http.Server;
let port = 0;
const big = Buffer.alloc(200 * 1024, 7);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/big') res.end(big);
    else res.end('ok');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function timed(url: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { connection: 'close' } });
  const body = Buffer.from(await res.arrayBuffer());
  return { ms: performance.now() - t0, bytes: body.length };
}

describe('WAN proxy', () => {
  it('adds the configured round trip delay', async () => {
    const wan = await startWanProxy({ targetHost: '127.0.0.1', targetPort: port, delayMs: 100, bytesPerSecond: 0 });
    try {
      const r = await timed(`http://127.0.0.1:${wan.port}/small`);
      // connect (no delay on the proxy's accept) + request up (100 ms) + response down (100 ms)
      expect(r.ms).toBeGreaterThanOrEqual(195);
      expect(r.ms).toBeLessThan(5000); // generous: CI machines are shared and noisy
    } finally {
      await wan.close();
    }
  });

  it('shapes bandwidth and counts bytes per direction', async () => {
    const wan = await startWanProxy({ targetHost: '127.0.0.1', targetPort: port, delayMs: 5, bytesPerSecond: 1024 * 1024 });
    try {
      const r = await timed(`http://127.0.0.1:${wan.port}/big`);
      expect(r.bytes).toBe(big.length);
      // 200 KB at 1 MB/s is about 195 ms of serialization
      expect(r.ms).toBeGreaterThanOrEqual(180);
      const s = wan.stats();
      expect(s.down).toBeGreaterThan(big.length);
      expect(s.up).toBeGreaterThan(20);
      expect(s.up).toBeLessThan(1000);
    } finally {
      await wan.close();
    }
  });
});
