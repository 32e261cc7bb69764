import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const bin = fileURLToPath(new URL('../../bin/edgstr', import.meta.url));

async function edgstr(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [bin, ...args], { env: { ...process.env, NO_COLOR: '1' } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('edgstr CLI', () => {
  it('prints help and exits 0', async () => {
    const r = await edgstr(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('record');
    expect(r.stdout).toContain('analyze');
  });

  it('rejects an unknown flag with exit 1 and one clear line', async () => {
    const r = await edgstr(['services', '--no-such-flag']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown option '--no-such-flag'/);
  });

  it('rejects an unknown command with exit 1', async () => {
    const r = await edgstr(['frobnicate']);
    expect(r.code).toBe(1);
  });
});
