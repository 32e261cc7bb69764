import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'edgstr-verify-cli-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function edgstr(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' } }, (err, stdout, stderr) => {
      done({ code: err ? Number((err as { code?: number }).code) : 0, stdout, stderr });
    });
  });
}

describe('edgstr verify: bad input', () => {
  it('needs --out', async () => {
    const r = await edgstr(['verify', '--workdir', work]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--out/);
  });

  it('says to run analyze when analysis.json is missing', async () => {
    const r = await edgstr(['verify', '--out', join(work, 'out'), '--workdir', join(work, 'empty')]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/analysis\.json/);
  });

  it('says to run generate when the output dir holds no generated projects', async () => {
    const wd = join(work, 'wd');
    mkdirSync(wd, { recursive: true });
    writeFileSync(join(wd, 'analysis.json'), JSON.stringify({ schemaVersion: 1, app: { dir: '.', start: 'node x', port: 1 }, services: [] }));
    writeFileSync(
      join(wd, 'traffic.har'),
      JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: [] } }),
    );
    const r = await edgstr(['verify', '--out', join(work, 'nothing'), '--workdir', wd]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no successful exchange|edgstr generate/);
  });

  it('rejects a corrupted analysis.json with one line naming the file', async () => {
    const wd = join(work, 'corrupt');
    mkdirSync(wd, { recursive: true });
    writeFileSync(join(wd, 'analysis.json'), '{"schemaVersion": 1, "services": [');
    const r = await edgstr(['verify', '--out', join(work, 'out'), '--workdir', wd]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/analysis\.json.*not valid JSON/);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
