/**
 * `edgstr generate` refusals through the real CLI (bin/edgstr, built dist/): exit 1 with one
 * clear line, and nothing written.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES } from './fixtures.js';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'edgstr-generate-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function edgstr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' }, cwd: scratch });
    return { code: 0, stdout, stderr };
  } catch (err: unknown) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A fresh copy of the tally fixture's work directory. */
function workdir(name: string): string {
  const dir = join(scratch, name);
  cpSync(join(FIXTURES, 'tally', 'input'), dir, { recursive: true });
  return dir;
}

describe('edgstr generate', () => {
  it('writes both projects with their lockfiles and reports them with --json', async () => {
    const wd = workdir('ok');
    const out = join(scratch, 'ok-out');
    const r = await edgstr(['generate', '--target', 'rpi', '--out', out, '--edges', '2', '--cloud-url', 'http://cloud.example:8080/ignored', '--workdir', wd, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { out: string; local: string[]; forwarded: string[]; warnings: string[] };
    expect(result.out).toBe(out);
    expect(result.forwarded).toEqual(['GET /whoami']);
    expect(result.local).toHaveLength(6);
    for (const side of ['edge', 'cloud']) expect(existsSync(join(out, side, 'package-lock.json')), side).toBe(true);
    const config = JSON.parse(readFileSync(join(out, 'edge', 'config.json'), 'utf8')) as { cloudUrl: string; '//': string };
    expect(config.cloudUrl).toBe('http://cloud.example:8080');
    expect(config['//']).toContain('edgstr generate --target rpi --out');
    expect(existsSync(join(out, 'edge', 'edges', 'edge-2.json'))).toBe(true);
  }, 300_000);
});

describe('edgstr generate, a table no database holds', () => {
  it('forwards a service that uses it to the cloud instead of serving it from a copy that never syncs', async () => {
    const wd = workdir('ghost');
    const file = join(wd, 'analysis.json');
    const analysis = JSON.parse(readFileSync(file, 'utf8')) as { services: { id: string; state: { writes: { tables: string[] } } }[] };
    analysis.services.find((s) => s.id === 'POST /imports')!.state.writes.tables.push('import_log');
    writeFileSync(file, JSON.stringify(analysis, null, 2));
    const out = join(scratch, 'ghost-out');
    const r = await edgstr(['generate', '--target', 'node', '--out', out, '--workdir', wd, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as { local: string[]; forwarded: string[]; warnings: string[] };
    expect(result.forwarded).toContain('POST /imports');
    expect(result.local).toContain('POST /notes');
    expect(result.warnings).toContain('POST /imports: forwarded to the cloud, not served at the edge: it uses table import_log, which cannot be replicated');
    const config = JSON.parse(readFileSync(join(out, 'edge', 'config.json'), 'utf8')) as { tables: { tables: string[] }[] };
    expect(config.tables.flatMap((d) => d.tables)).toEqual(['notes']);
  }, 300_000);
});

// Each case spawns bin/edgstr (node startup + the CLI's imports): generous timeouts for loaded CI machines.
describe.concurrent('edgstr generate refusals', { timeout: 180_000 }, () => {
  it('refuses a non-empty --out without --force', async () => {
    const wd = workdir('nonempty');
    const out = join(scratch, 'nonempty-out');
    mkdirSync(out);
    writeFileSync(join(out, 'keep.txt'), 'mine');
    const r = await edgstr(['generate', '--target', 'node', '--out', out, '--workdir', wd]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe(`edgstr: --out ${out} is not empty; pass --force to replace it or choose another directory`);
    expect(readdirSync(out)).toEqual(['keep.txt']);
  });

  it('refuses when decisions.json is missing', async () => {
    const wd = workdir('nodecisions');
    rmSync(join(wd, 'decisions.json'));
    const out = join(scratch, 'nodecisions-out');
    const r = await edgstr(['generate', '--target', 'node', '--out', out, '--workdir', wd]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('edgstr: no accepted services: run `edgstr review --accept ...` first');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses when no service is accepted', async () => {
    const wd = workdir('rejected');
    writeFileSync(join(wd, 'decisions.json'), JSON.stringify({ schemaVersion: 1, services: { 'GET /notes': 'reject', 'POST /notes': false } }));
    const out = join(scratch, 'rejected-out');
    const r = await edgstr(['generate', '--target', 'rpi', '--cloud-url', 'http://cloud.lan:3000', '--out', out, '--workdir', wd]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('no accepted services: run `edgstr review --accept ...` first');
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a corrupt analysis.json, naming the file', async () => {
    const wd = workdir('corrupt');
    writeFileSync(join(wd, 'analysis.json'), '{"schemaVersion": 1, "app": ');
    const out = join(scratch, 'corrupt-out');
    const r = await edgstr(['generate', '--target', 'node', '--out', out, '--workdir', wd]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/analysis\.json: analysis\.json is not valid JSON .*run `edgstr analyze`/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses --target rpi without --cloud-url, in one line', async () => {
    const out = join(scratch, 'rpi-no-cloud-out');
    const r = await edgstr(['generate', '--target', 'rpi', '--out', out, '--workdir', workdir('rpi-no-cloud')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe("edgstr: --target rpi needs --cloud-url: the cloud's address as the Pis reach it, e.g. --cloud-url http://cloud.lan:3000");
    expect(existsSync(out)).toBe(false);
  });

  it('refuses an unknown --target', async () => {
    const r = await edgstr(['generate', '--target', 'esp32', '--out', join(scratch, 'x'), '--workdir', workdir('target')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim()).toBe('edgstr: --target esp32: expected rpi, k3s or node');
  });
});
