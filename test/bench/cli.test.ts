/**
 * End-to-end: spawns bin/edgstr bench (run `npm run build` first; `npm test` does) with NO_COLOR=1.
 * Two spawns (the CLI takes seconds to start on a loaded machine): the --out check, and one short
 * run on the stand-ins that checks --json and the report files. Input errors are checked in-process.
 */
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bench, parseSystems } from '../../src/bench/index.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));
const fixture = fileURLToPath(new URL('./fixtures/standin', import.meta.url));

async function edgstr(args: string[], timeout = 30_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, 'bench', ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

let workdir = '';
beforeAll(() => {
  workdir = mkdtempSync(join(tmpdir(), 'bench-cli-'));
  copyFileSync(join(fixture, 'traffic.har'), join(workdir, 'traffic.har'));
});
afterAll(() => rmSync(workdir, { recursive: true, force: true }));

describe('edgstr bench (CLI)', () => {
  it('asks for --out with exit 1 and one line', async () => {
    const r = await edgstr(['--workdir', workdir]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('edgstr: bench needs --out DIR, the directory `edgstr generate --target node --out DIR` wrote');
  });

  it('refuses a directory that is not a generated project, missing traffic and unknown systems (in-process)', async () => {
    await expect(bench({ out: workdir, workdir, grid: 'quick', netns: false })).rejects.toThrow(/is not a generated project \(no package\.json\): run `edgstr generate/);
    await expect(bench({ out: fixture, workdir: join(workdir, 'nope'), grid: 'quick' })).rejects.toThrow(/no recorded traffic at .*traffic\.har/);
    await expect(bench({ out: fixture, workdir, grid: 'quick', bandwidths: [0] })).rejects.toThrow(/--bandwidths: 0 is not a positive number/);
    expect(() => parseSystems(['original', 'cdn'])).toThrow(/--systems: unknown system "cdn"/);
  });

  it('runs a short bench and prints only JSON on stdout with --json', async () => {
    const report = join(workdir, 'report');
    const r = await edgstr(
      ['--out', fixture, '--workdir', workdir, '--report', report, '--quick', '--bandwidths', '2', '--delays', '20', '--requests', '1', '--systems', 'original', '--no-netns', '--json'],
      60_000,
    );
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { reportDir: string; result: { shaping: string; services: unknown[]; grid: unknown[] } };
    expect(doc.reportDir).toBe(report);
    expect(doc.result.shaping).toBe('user-space');
    expect(doc.result.services).toHaveLength(5);
    expect(doc.result.grid).toHaveLength(1);
    for (const f of ['bench.json', 'report.md', 'throughput-vs-bandwidth-20ms.svg', 'latency-vs-bandwidth-20ms.svg']) expect(existsSync(join(report, f)), f).toBe(true);
    expect(readFileSync(join(report, 'report.md'), 'utf8')).toContain('| service | L_o (ms) | L_e (ms) | speedup | WAN_o (B/req) | WAN_e (B/req) |');
  }, 70_000);
});
