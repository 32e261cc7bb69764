// The bench core end to end against stand-ins (test/bench/fixtures/standin: a small item store as
// "cloud" and a caching, background-syncing replica as "edge", started with `npm start` from temp
// copies exactly as generated projects are), over the user-space WAN proxy, on a tiny grid.
import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createProjectLauncher, type Launcher, type Running } from '../../src/bench/launcher.js';
import { runBench } from '../../src/bench/measure.js';
import type { BenchResult } from '../../src/bench/result.js';
import { loadWorkload } from '../../src/bench/workload.js';

const fixture = join(import.meta.dirname, 'fixtures', 'standin');
const DELAY = 60;
let result: BenchResult;
const urls: string[] = [];
let copyOf = '';

beforeAll(async () => {
  // Run from a copy of the fixture so the test can show the generated DIR is never modified.
  copyOf = mkdtempSync(join(tmpdir(), 'bench-core-'));
  cpSync(fixture, copyOf, { recursive: true });
  const inner = await createProjectLauncher({ generatedDir: copyOf });
  // Remember every started URL to check afterwards that everything was stopped.
  const track = async (p: Promise<Running>): Promise<Running> => {
    const r = await p;
    urls.push(r.url);
    return r;
  };
  const launcher: Launcher = {
    startCloud: () => track(inner.startCloud()),
    startEdge: (cloudUrl) => track(inner.startEdge(cloudUrl)),
    dispose: () => inner.dispose(),
  };
  try {
    result = await runBench({
      workload: loadWorkload(join(fixture, 'traffic.har')),
      launcher,
      subject: 'stand-ins',
      systems: ['original', 'edgstr', 'caching', 'batching'],
      bandwidths: [1],
      delays: [DELAY],
      reference: { bandwidthMBps: 1, delayMs: DELAY },
      requests: 1,
      concurrency: 3,
      throughputRequests: 24,
      throughputSeconds: 4,
      kernelShaping: false,
    });
  } finally {
    await launcher.dispose();
  }
}, 90_000);

afterAll(() => rmSync(copyOf, { recursive: true, force: true }));

describe('runBench against stand-in cloud and edge', () => {
  it('measures every recorded service for every system', () => {
    expect(result.services.map((s) => s.service).sort()).toEqual(['GET /items', 'GET /items/:id', 'GET /stats', 'POST /items', 'PUT /items/:id']);
    for (const row of result.services) {
      expect(Object.keys(row.systems).sort()).toEqual(['batching', 'caching', 'edgstr', 'original']);
      for (const m of Object.values(row.systems)) {
        // One in-order pass over the recording: every recorded request once.
        expect(m.latency.count).toBe(row.recorded);
        expect(m.latency.errors).toBe(0);
      }
    }
  });

  it('the original pays at least one WAN round trip per request and sends bytes over it', () => {
    for (const row of result.services) {
      const o = row.systems.original!;
      expect(o.latency.meanMs).toBeGreaterThanOrEqual(2 * DELAY);
      expect(o.wanBytesPerRequest).toBeGreaterThan(100);
    }
  });

  it('the edge answers replicated services on the LAN and syncs writes in the background', () => {
    const row = (id: string) => result.services.find((s) => s.service === id)!.systems;
    // No WAN round trip (2 × DELAY) on the client's path, with margin for a loaded CI machine.
    for (const id of ['GET /items/:id', 'POST /items', 'PUT /items/:id']) {
      expect(row(id).edgstr!.latency.meanMs).toBeLessThan(2 * DELAY);
      expect(row(id).edgstr!.latency.meanMs).toBeLessThan(row(id).original!.latency.meanMs);
    }
    // Reads cost no WAN bytes at the edge; writes cost their sync messages.
    expect(row('GET /items/:id').edgstr!.wanBytesPerRequest).toBeLessThan(row('GET /items/:id').original!.wanBytesPerRequest / 4);
    expect(row('PUT /items/:id').edgstr!.wanBytesPerRequest).toBeGreaterThan(50);
    // A service the edge does not serve is forwarded: it pays the round trip like the original.
    expect(row('GET /stats').edgstr!.latency.meanMs).toBeGreaterThanOrEqual(2 * DELAY);
    // The batching proxy answers writes at once with 202; reads still cross the WAN.
    expect(row('POST /items').batching!.latency.statuses).toEqual({ '202': 2 });
    // Replayed in recorded order from the init state, every request succeeds at the original and the edge.
    for (const r of result.services) {
      for (const sys of ['original', 'edgstr'] as const) {
        const bad = Object.entries(r.systems[sys]!.latency.statuses).filter(([st]) => Number(st) >= 400 || Number(st) === 0);
        expect(bad, `${sys} ${r.service}`).toEqual([]);
      }
    }
    expect(row('POST /items').batching!.latency.meanMs).toBeLessThan(2 * DELAY);
    expect(row('GET /items/:id').batching!.latency.meanMs).toBeGreaterThanOrEqual(2 * DELAY);
  });

  it('measures throughput for each system with bounded runs', () => {
    expect(result.grid.map((g) => g.system)).toEqual(['original', 'edgstr', 'caching', 'batching']);
    for (const g of result.grid) {
      expect(g.completed).toBeGreaterThan(0);
      expect(g.completed).toBeLessThanOrEqual(24);
      expect(g.seconds).toBeLessThan(4 + 2);
      expect(g.throughputRps).toBeCloseTo(g.completed / g.seconds, 6);
    }
    const by = (s: string) => result.grid.find((g) => g.system === s)!;
    expect(by('edgstr').throughputRps).toBeGreaterThan(by('original').throughputRps);
    expect(by('original').meanLatencyMs).toBeGreaterThanOrEqual(2 * DELAY);
  });

  it('stops everything it started and leaves the generated DIR as it was', async () => {
    expect(urls.length).toBeGreaterThanOrEqual(5);
    for (const url of urls) await expect(fetch(`${url}/__edgstr/health`)).rejects.toThrow();
    expect(readdirSync(join(copyOf, 'cloud')).sort()).toEqual(['package.json', 'server.js']);
    expect(readdirSync(join(copyOf, 'edge')).sort()).toEqual(['package.json', 'server.js']);
  });
});
