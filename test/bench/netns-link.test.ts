import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelShapingAvailable, startKernelLink, WAN_NETNS_SCRIPT } from '../../src/bench/netns-link.js';

const avail = kernelShapingAvailable();
if (!avail.ok) console.warn(`skipping kernel WAN shaping tests: ${avail.reason} (bench falls back to the user-space proxy)`);

let server: http.Server;
let port = 0;
const big = Buffer.alloc(150_000, 3);

beforeAll(async () => {
  server = http.createServer((req, res) => res.end(req.url === '/big' ? big : 'ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe.skipIf(!avail.ok)('scripts/wan-netns.sh (kernel htb shaping in network namespaces)', () => {
  it('rejects a bad rate with a clear message', () => {
    const r = spawnSync('sh', [WAN_NETNS_SCRIPT, 'up', '12kb', 'edgstr-badrate'], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/RATE must be a whole number/);
  });

  it('shapes a transfer to the configured rate and cleans up its namespaces', async () => {
    const name = `edgstr-t${process.pid}`;
    const link = await startKernelLink({ bytesPerSecond: 100_000, targetHost: '127.0.0.1', targetPort: port, name });
    try {
      const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
      expect(ns).toContain(`${name}-c`);
      // The host namespace gains no address of the private /30.
      expect(spawnSync('ip', ['-br', 'addr'], { encoding: 'utf8' }).stdout).not.toContain('10.213.47.');
      const small = await fetch(`http://${link.host}:${link.port}/small`, { headers: { connection: 'close' } });
      expect(await small.text()).toBe('ok');
      const t0 = performance.now();
      const res = await fetch(`http://${link.host}:${link.port}/big`, { headers: { connection: 'close' } });
      const body = Buffer.from(await res.arrayBuffer());
      const ms = performance.now() - t0;
      expect(body.length).toBe(big.length);
      // 150 KB at 100 KB/s: about 1.5 s on the wire; unshaped loopback takes a few ms.
      expect(ms).toBeGreaterThan(1200);
      expect(ms).toBeLessThan(4000);
    } finally {
      await link.close();
    }
    expect(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout).not.toContain(`${name}-c`);
  }, 20_000);
});
