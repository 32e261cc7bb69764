/**
 * scripts/bench-hub.mjs at a tiny size, so the script cannot rot silently (issue 16): one real
 * runtime hub and 3 real runtime edges in one worker write for 3 s; the JSON must show that
 * every edge ended with the hub's state (digests and heads), every order reached every other
 * edge, the hub's bytes were counted and its CPU and memory were read, and the hub's CPU
 * profile names frames.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

interface HubCase {
  case: string;
  status: string;
  reason?: string;
  tails?: string[];
  edges: number;
  writes: { inserts: number; updates: number; increments: number; errors: number; total: number };
  convergence: { converged: boolean; afterLastWriteMs: number | null; hubOrders: number; hubSold: number; edgesEqual: number };
  lagToAllMs: { p50: number; p95: number; orders: number; incomplete: number };
  hub: { cpuSecondsPerSecond: number; rssBeforeEdgesMiB: number; rssIdleMiB: number; rssPeakMiB: number; loopDelayMs: { p99: number } };
  bytes: { in: number; out: number; perWrite: number; inPerWrite: number; outPerWrite: number };
  reconnects: number;
  profile?: { busyMs: number; frames: { name: string; pct: number }[] };
}

describe('scripts/bench-hub.mjs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-bench-hub-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a hub with 3 edges for 3 s: every edge converges to the hub, bytes and CPU are counted', async () => {
    const out = path.join(dir, 'report.json');
    const { stdout } = await run(process.execPath, [
      'scripts/bench-hub.mjs', '--edges', '3', '--seconds', '3', '--rate', '4', '--max-minutes', '1', '--converge-timeout', '20', '--profile', '3', '--json', out,
    ], { cwd: ROOT, timeout: 40_000, maxBuffer: 4 * 2 ** 20 });
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { cases: HubCase[] };
    expect(report.cases.filter((c) => c.status !== 'ok').map((c) => `${c.case}: ${c.status}: ${c.reason}\n${(c.tails ?? []).join('\n')}`)).toEqual([]);
    const [c] = report.cases as [HubCase];
    expect(c.edges).toBe(3);

    // 3 edges x 4/s x 3 s, give or take the random start phase; every 5th write updates a
    // shared row, every 10th also increments the counter.
    expect(c.writes.errors).toBe(0);
    expect(c.writes.total).toBeGreaterThanOrEqual(30);
    expect(c.writes.updates).toBeGreaterThan(0);
    expect(c.writes.increments).toBeGreaterThan(0);
    // Converged means the hub holds every order and the counter's sum, and every edge's table
    // digest and document heads equal the hub's.
    expect(c.convergence.converged).toBe(true);
    expect(c.convergence.hubOrders).toBe(c.writes.inserts);
    expect(c.convergence.hubSold).toBe(c.writes.increments);
    expect(c.convergence.edgesEqual).toBe(3);
    // Each order reached both other edges, seen by their polling of their own SQLite file.
    expect(c.lagToAllMs.orders).toBe(c.writes.inserts);
    expect(c.lagToAllMs.incomplete).toBe(0);
    expect(c.lagToAllMs.p50).toBeGreaterThan(0);
    expect(c.lagToAllMs.p95).toBeGreaterThanOrEqual(c.lagToAllMs.p50);

    // Every write came in once and went out to the two other edges: more out than in.
    expect(c.bytes.in).toBeGreaterThan(0);
    expect(c.bytes.out).toBeGreaterThan(c.bytes.in);
    expect(c.bytes.perWrite).toBeGreaterThan(100);
    expect(c.reconnects).toBe(0);
    expect(c.hub.cpuSecondsPerSecond).toBeGreaterThan(0);
    expect(c.hub.rssIdleMiB).toBeGreaterThan(20);
    expect(c.hub.rssPeakMiB).toBeGreaterThanOrEqual(c.hub.rssIdleMiB * 0.9);
    expect(c.profile?.busyMs).toBeGreaterThan(0);
    expect(c.profile?.frames.length).toBeGreaterThan(3);

    expect(stdout).toContain('| 3 (1) |');
    expect(stdout).toContain('Hub CPU profile, 3 edges');
  }, 45_000);
});
