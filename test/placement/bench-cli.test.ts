/**
 * `edgstr bench --scenario adaptive` end to end (issue 17): spawns bin/edgstr (run `npm run build`
 * first; `npm test` does) with NO_COLOR=1 on the ledger fixture's generated projects (built once by
 * the fault harness), with tiny phases: WAN 5 ms -> 200 ms -> 5 ms one way, every edge 100 ms
 * slower for its own runs. Checks the report files, and that the numbers say what the scenario
 * set up: the WAN delay reached the pinned-cloud edge, the slowdown the pinned-edge one, and the
 * adaptive edge moved the service to the cloud, back to the edge at 200 ms, and answered the
 * 200 ms phase mostly at the edge. Input errors are checked in-process.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import { parsePhases, parseRequest, type AdaptiveResult } from '../../src/bench/index.js';
import { matchesRoute } from '../../src/bench/adaptive.js';
import { LEDGER_INPUT, buildLedger } from '../faults/harness.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'placement-bench-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function edgstr(args: string[], timeout: number): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'bench', ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

it('input errors: one clear line each', async () => {
  expect(parsePhases('5:2,300:3')).toEqual([{ delayMs: 5, seconds: 2 }, { delayMs: 300, seconds: 3 }]);
  expect(() => parsePhases('5')).toThrow(/--phases: "5" is not DELAY_MS:SECONDS/);
  expect(() => parsePhases('5:0')).toThrow(/--phases/);
  expect(parseRequest('get /items/1?x=2')).toEqual({ method: 'GET', path: '/items/1?x=2' });
  expect(() => parseRequest('/items/1')).toThrow(/--request: "\/items\/1" is not "METHOD \/path"/);
  expect(matchesRoute('/items/:id', '/items/7?full=1')).toBe(true);
  expect(matchesRoute('/items/:id', '/items')).toBe(false);
  const r = await edgstr(['--out', scratch, '--workdir', scratch, '--edge-slowdown-ms', '10'], 30_000);
  expect(r.code).toBe(1);
  expect(r.stderr.trim()).toBe('edgstr: --edge-slowdown-ms belongs to --scenario adaptive');
}, 40_000);

it('runs the adaptive scenario with tiny phases and writes a sane report', async () => {
  const out = await buildLedger();
  const report = join(scratch, 'report');
  const r = await edgstr(
    ['--out', out, '--workdir', LEDGER_INPUT, '--report', report, '--scenario', 'adaptive', '--phases', '5:5,200:6,5:5', '--edge-slowdown-ms', '100', '--request', 'GET /items/1', '--json'],
    120_000,
  );
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as { reportDir: string; files: string[]; result: AdaptiveResult };
  expect(doc.reportDir).toBe(report);
  for (const f of ['adaptive.md', 'adaptive.svg', 'adaptive.json']) expect(existsSync(join(report, f)), f).toBe(true);
  expect(readFileSync(join(report, 'adaptive.svg'), 'utf8')).toMatch(/^<\?xml[\s\S]*<polyline[\s\S]*class="marker"[\s\S]*<\/svg>\n$/);
  expect(readFileSync(join(report, 'adaptive.md'), 'utf8')).toContain('| 2: WAN 200 ms one way, 6 s |');
  const { phases, service } = doc.result;
  expect(service).toBe('GET /items/:id');
  expect(phases).toHaveLength(3);
  for (const p of phases) {
    for (const s of ['adaptive', 'always-edge', 'always-cloud'] as const) {
      expect(p.stats[s].n, `${s} at ${p.delayMs} ms`).toBeGreaterThan(0);
      expect(p.stats[s].errors).toBe(0);
      expect(p.stats[s].p95).toBeGreaterThanOrEqual(p.stats[s].p50);
    }
    // The slowdown reached the pinned edge's local runs, in every phase.
    expect(p.stats['always-edge'].p50).toBeGreaterThanOrEqual(100);
  }
  // The WAN delay reached the pinned cloud: a round trip of 2 x 200 ms.
  expect(phases[1]!.stats['always-cloud'].p50).toBeGreaterThanOrEqual(400);
  expect(phases[0]!.stats['always-cloud'].p50).toBeLessThan(100);
  // Adaptive: to the cloud in phase 1, back to the edge in phase 2 (where most answers come from the edge).
  expect(phases[0]!.switches).toBeGreaterThanOrEqual(1);
  expect(phases[1]!.switches).toBeGreaterThanOrEqual(1);
  expect(phases[1]!.adaptiveServed.edge ?? 0).toBeGreaterThan(phases[1]!.adaptiveServed.cloud ?? 0);
  expect(phases[0]!.adaptiveServed.cloud ?? 0).toBeGreaterThan(phases[0]!.adaptiveServed.edge ?? 0);
}, 400_000);
