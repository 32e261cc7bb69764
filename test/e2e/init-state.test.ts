/**
 * The recorded init state (issue 12, item 4). The user records against a live app; afterwards its
 * data holds what the traffic did. Analyzing that app:
 *  - from the init state `record --app` kept: verify passes (0 failed);
 *  - without it (today's data): analyze warns, and verify fails, because the generated system
 *    starts from another state than the recording did — the original's two replays agree with
 *    each other, so the difference is not "volatile" and is not masked.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordSubject, runEdgstr } from '../helpers/index.js';

interface VerifyJson {
  passed: number;
  failed: number;
  requests: Array<{ ok: boolean; method: string; path: string }>;
}

describe('the recorded init state', () => {
  const work = mkdtempSync(join(tmpdir(), 'edgstr-init-state-'));
  afterAll(() => rmSync(work, { recursive: true, force: true }));
  const withInit = join(work, 'with-init');
  const without = join(work, 'without');
  const after = join(work, 'copy', 'after');

  async function pipeline(workdir: string): Promise<{ analyzeErr: string; verify: VerifyJson }> {
    const analyze = await runEdgstr(['analyze', '--app', after, '--workdir', workdir], 300_000);
    expect(analyze.code, analyze.stderr.slice(-3000)).toBe(0);
    expect((await runEdgstr(['review', '--accept', 'all', '--workdir', workdir], 60_000)).code).toBe(0);
    const out = join(workdir, 'out');
    const gen = await runEdgstr(['generate', '--target', 'node', '--out', out, '--edges', '2', '--workdir', workdir], 180_000);
    expect(gen.code, gen.stderr).toBe(0);
    const verify = await runEdgstr(['verify', '--out', out, '--edges', '2', '--workdir', workdir, '--json'], 400_000);
    expect(verify.code === 0 || verify.code === 1, verify.stderr.slice(-3000)).toBe(true);
    return { analyzeErr: analyze.stderr, verify: JSON.parse(verify.stdout) as VerifyJson };
  }

  it('verify passes from the kept init state and fails from the data the traffic left behind', { timeout: 900_000 }, async () => {
    mkdirSync(withInit, { recursive: true });
    mkdirSync(join(work, 'copy'), { recursive: true });
    // Record a private copy of pollbox (its traffic leaves polls, votes and a session behind); afterwards copy the app with the data the traffic left.
    await recordSubject('pollbox', join(withInit, 'traffic.har'), {
      copyTo: join(work, 'copy'),
      initState: true,
      beforeStop: (s) => cpSync(s.dir, after, { recursive: true }),
    });
    const manifest = JSON.parse(readFileSync(join(withInit, 'init-state', 'manifest.json'), 'utf8')) as { files: Array<{ path: string; kind: string }> };
    expect(manifest.files).toContainEqual(expect.objectContaining({ kind: 'sqlite' }));
    expect(existsSync(join(after, 'data'))).toBe(true);
    mkdirSync(without, { recursive: true });
    cpSync(join(withInit, 'traffic.har'), join(without, 'traffic.har'));

    const good = await pipeline(withInit);
    expect(good.analyzeErr).not.toMatch(/no recorded init state/);
    expect(good.verify.failed, JSON.stringify(good.verify.requests.filter((r) => !r.ok).slice(0, 5))).toBe(0);

    const bad = await pipeline(without);
    expect(bad.analyzeErr).toMatch(/no recorded init state in .*: replaying from the app's data as it is today/);
    expect(bad.verify.failed).toBeGreaterThan(0);
    // for the right reason: the list of polls holds what the recorded traffic created
    expect(bad.verify.requests.filter((r) => !r.ok).map((r) => `${r.method} ${r.path}`)).toContain('GET /api/polls');
  });
});
