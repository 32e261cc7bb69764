/**
 * scripts/bench-site.mjs with a tiny ramp, so the script cannot rot silently (issue 16): it
 * generates the tally site (`--target rpi --edges 3`), runs it behind the real HAProxy with the
 * generated scaler, and its JSON must hold sane numbers: requests answered, none failed, every
 * client read its own writes, an edges-running sample every second, edge CPU seconds counted, the
 * replicas converged, and a plot with both panels. Skipped when Debian's haproxy is missing.
 */
import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const run = promisify(execFile);
const HAVE_HAPROXY = spawnSync('haproxy', ['-v'], { stdio: 'ignore' }).status === 0;
if (!HAVE_HAPROXY) console.warn('bench-site.test.ts skipped: haproxy is not installed (apt-get install haproxy; .ci/run installs it)');

interface Second { t: number; clients: number; ok: number; failed: number; edgesRunning: number; edgesUp: number; edgeCpuSeconds: number }
interface Step { clients: number; requests: number; failed: number; violations: number; p50Ms: number | null; p99Ms: number | null }
interface Run {
  mode: string;
  seconds: Second[];
  steps: Step[];
  failures: string[];
  violations: string[];
  converged: { seconds: number | null };
  energy: { edgeCpuSeconds: number; meanEdgesRunning: number; idleOn: { meanW: number }; poweredOff: { meanW: number } };
}

describe.skipIf(!HAVE_HAPROXY)('scripts/bench-site.mjs', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-bench-site-test-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('runs a 2-step ramp over 3 edges behind HAProxy with the scaler: requests answered, none failed, edges counted every second', async () => {
    const json = path.join(dir, 'report.json');
    const svg = path.join(dir, 'ramp.svg');
    // 31 s at load average 13 on 2 cores, most of it generating and installing the projects (npm
    // ci, twice); the timeout leaves room for a loaded machine. --keep with TMPDIR: its folder
    // goes with ours in afterAll.
    await run(process.execPath, ['scripts/bench-site.mjs', '--steps', '2,6', '--step-seconds', '3', '--modes', 'scale-down', '--keep', '--json', json, '--svg', svg],
      { cwd: ROOT, timeout: 110_000, maxBuffer: 4 * 2 ** 20, env: { ...process.env, TMPDIR: dir } });
    const report = JSON.parse(fs.readFileSync(json, 'utf8')) as { runs: Run[] };
    expect(report.runs.map((r) => r.mode)).toEqual(['scale-down']);
    const [r] = report.runs as [Run];
    expect(r.failures).toEqual([]);
    expect(r.violations).toEqual([]);
    expect(r.steps.map((s) => s.clients)).toEqual([2, 6]);
    for (const s of r.steps) {
      expect(s.requests).toBeGreaterThan(0);
      expect(s.failed).toBe(0);
      expect(s.p50Ms).toBeGreaterThan(0);
      expect(s.p99Ms).toBeGreaterThanOrEqual(s.p50Ms!);
    }
    // One sample a second over the 6 s ramp, each counting the edges running (the scaler, idle
    // after 10 s below one client per edge, may have stopped one or two: never all), and the
    // edges' CPU was counted.
    expect(r.seconds.map((s) => s.t)).toEqual([1, 2, 3, 4, 5, 6]);
    for (const s of r.seconds) expect([1, 2, 3]).toContain(s.edgesRunning);
    expect(r.seconds.reduce((n, s) => n + s.ok, 0)).toBeGreaterThan(0);
    expect(r.energy.edgeCpuSeconds).toBeGreaterThan(0);
    expect(r.energy.meanEdgesRunning).toBeGreaterThanOrEqual(1);
    expect(r.energy.idleOn.meanW).toBeGreaterThan(3 * 3.0);
    expect(r.converged.seconds).not.toBeNull();
    const plot = fs.readFileSync(svg, 'utf8');
    expect(plot).toContain('Edges running');
    expect(plot).toContain('Throughput');
    expect(plot).toContain('data-name="scale-down"');
  }, 120_000);
});
