/**
 * scripts/bench-scale.mjs at a small size, so the script cannot rot silently (issue 14): it runs
 * the whole pipeline on curio, starts the generated cloud and edges, and its JSON must hold
 * sane numbers for every measurement: the rows all reached a fresh edge, the bulk insert was
 * captured by the cloud as app writes, writes were served at the edge and synced, the killed
 * edge caught up after its restart, and the files arrived at the edge.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);

interface Side {
  rssBeforeMiB: number;
  peakMiB: number;
  growthMiB: number;
}
interface Case {
  case: string;
  kind: 'rows' | 'files';
  status: string;
  reason?: string;
  tails?: string[];
  rowsTotal?: number;
  rowBytes?: number;
  load?: { apiRows: number; bulkRows: number; pendingAfterInsert: number | null; cloudCaptureSeconds: number };
  cloud?: { afterLoad: { rssMiB: number }; underWritesPeakMiB: number } & Partial<Side>;
  catchUp?: { seconds: number; rowsPerSecond: number; bytesDown: number };
  edge?: { idle: { rssMiB: number; hwmMiB: number }; underWritesPeakMiB: number } & Partial<Side>;
  writes?: { upBytesPerWrite: number; downBytesPerWrite: number; convergeMs: number; served: Record<string, number> };
  resume?: { killedAt: { bytesDown: number }; restartSeconds: number; resentFraction: number; verdict: string; rowsAddedByRestart: number };
  seconds?: number;
  bytesDown?: number;
}

describe('scripts/bench-scale.mjs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-bench-scale-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('measures 2,000 rows, 50 small files and a 2 MiB file on the generated projects, with sane numbers', async () => {
    const out = path.join(dir, 'report.json');
    const { stdout } = await run(process.execPath, [
      'scripts/bench-scale.mjs', '--rows', '2000', '--files-small', '50', '--files-big-mb', '2',
      '--writes', '100', '--single-writes', '10', '--api-rows', '20', '--max-minutes', '2', '--json', out,
    ], { cwd: ROOT, timeout: 240_000, maxBuffer: 4 * 2 ** 20 });
    const report = JSON.parse(fs.readFileSync(out, 'utf8')) as { cases: Case[] };
    // A case that did not finish says why, with the last lines of its processes.
    expect(report.cases.filter((c) => c.status !== 'ok').map((c) => `${c.case}: ${c.status}: ${c.reason}\n${(c.tails ?? []).join('\n')}`)).toEqual([]);
    expect(report.cases.map((c) => c.case)).toEqual(['rows 2000', '50 small files', 'one 2 MiB file']);
    const [rows, small, big] = report.cases as [Case, Case, Case];

    expect(rows.rowsTotal).toBe(2000);
    expect(rows.rowBytes).toBeGreaterThan(120);
    expect(rows.rowBytes).toBeLessThan(200);
    expect(rows.load?.apiRows).toBe(20);
    // The rows inserted into the cloud's SQLite file by another connection were captured as
    // changes: the catch-up waits until the fresh edge holds as many rows as the cloud (2,000).
    expect(rows.load?.bulkRows).toBeGreaterThan(1900);
    expect(rows.catchUp?.rowsPerSecond).toBeGreaterThan(0);
    expect(rows.catchUp?.bytesDown).toBeGreaterThan(2000 * 10);
    for (const rss of [rows.cloud?.afterLoad.rssMiB, rows.edge?.idle.rssMiB, rows.edge?.underWritesPeakMiB, rows.cloud?.underWritesPeakMiB]) {
      expect(rss).toBeGreaterThan(20);
      expect(rss).toBeLessThan(4096);
    }
    expect(rows.writes?.served).toEqual({ edge: 110 });
    expect(rows.writes?.upBytesPerWrite).toBeGreaterThan(50);
    expect(rows.writes?.upBytesPerWrite).toBeLessThan(50_000);
    expect(rows.writes?.convergeMs).toBeGreaterThanOrEqual(0);
    expect(rows.resume?.killedAt.bytesDown).toBeGreaterThan(0);
    expect(rows.resume?.restartSeconds).toBeGreaterThan(0);
    expect(rows.resume?.resentFraction).toBeGreaterThan(0);
    // Reported, not asserted here: on the Automerge runtime of 7 Dec the restarted edge sometimes
    // runs curio's first-start seeding again and its 4 demo rows reach every replica (docs/sync.md).
    expect(typeof rows.resume?.rowsAddedByRestart).toBe('number');

    for (const f of [small, big]) {
      expect(f.seconds).toBeGreaterThan(0);
      expect(f.edge?.rssBeforeMiB).toBeGreaterThan(20);
      expect(Number.isFinite(f.edge?.growthMiB)).toBe(true);
      expect(Number.isFinite(f.cloud?.growthMiB)).toBe(true);
    }
    expect(big.bytesDown).toBeGreaterThan(2 * 2 ** 20);
    expect(stdout).toContain('| rows | B/row (JSON) |');
    expect(stdout).toContain('| one 2 MiB file |');
  }, 300_000);
});
