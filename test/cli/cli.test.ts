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

/** DESIGN.md §3: bad input is exit 1 and one line on stderr that says what to do. */
describe('edgstr CLI: flag errors are one line that points at the help', () => {
  const cases: Array<{ name: string; args: string[]; says: RegExp }> = [
    { name: 'missing required option', args: ['generate', '--target', 'node'], says: /^edgstr: error: required option '--out <dir>' not specified; see edgstr generate --help$/ },
    { name: 'invalid option value', args: ['verify', '--out', 'x', '--edges', 'zero'], says: /^edgstr: error: option '--edges <n>' argument 'zero' is invalid\. expected a positive whole number; see edgstr verify --help$/ },
    { name: 'unknown option, with the suggestion kept on the same line', args: ['services', '--workdr', 'x'], says: /^edgstr: error: unknown option '--workdr' \(Did you mean --workdir\?\); see edgstr services --help$/ },
    { name: 'excess argument', args: ['services', 'extra'], says: /^edgstr: error: too many arguments for 'services'.*; see edgstr services --help$/ },
    { name: 'unknown command', args: ['servics'], says: /^edgstr: error: unknown command 'servics' \(Did you mean services\?\); see edgstr --help$/ },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const r = await edgstr(c.args);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toBe('');
      const lines = r.stderr.replace(/\n$/, '').split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(c.says);
    });
  }
});
