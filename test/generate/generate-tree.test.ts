/**
 * Pins the generated tree for the tally fixture (input analysis + decisions + snapshot +
 * extracted + app -> expected tree). The copied runtime (edge/edgstr/*.js, cloud/edgstr/*.js) is
 * not pinned: it is the runtime's build (dist/runtime), checked to be copied whole and unchanged. Binary files are pinned by SHA-256.
 * EDGSTR_UPDATE_FIXTURES=1 rewrites the expected tree.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/generate/index.js';
import { EDGSTR_ROOT, listFiles } from '../../src/generate/read-inputs.js';
import { FIXTURES, UPDATE } from './fixtures.js';

const run = promisify(execFile);
const CASE = join(FIXTURES, 'tally');
const EXPECTED = join(CASE, 'expected-rpi');
const BINARY_MANIFEST = 'binary-files.sha256.json';
const scratch = mkdtempSync(join(tmpdir(), 'edgstr-generate-tree-'));
const out = join(scratch, 'out');
const runtimeDir = join(EDGSTR_ROOT, 'dist', 'runtime');

const isRuntimeCopy = (path: string): boolean => /^(edge|cloud)\/edgstr\/.*\.js$/.test(path);
const isBinary = (data: Buffer): boolean => data.includes(0);

beforeAll(async () => {
  await generate({
    workdir: join(CASE, 'input'),
    out,
    target: 'rpi',
    cloudUrl: 'http://cloud.lan:3300',
    edges: 2,
    secret: 'fixture-secret',
    lockfiles: false,
    runtimeDir,
    regenerate: 'edgstr generate --target rpi --out out --cloud-url http://cloud.lan:3300 --edges 2 --force',
  });
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('generate: tally fixture, --target rpi --edges 2', () => {
  it('writes the expected tree', () => {
    const actual = listFiles(out).filter((p) => !isRuntimeCopy(p));
    const binaries: Record<string, string> = {};
    const texts = new Map<string, string>();
    for (const path of actual) {
      const data = readFileSync(join(out, path));
      if (isBinary(data)) binaries[path] = createHash('sha256').update(data).digest('hex');
      else texts.set(path, data.toString('utf8'));
    }
    if (UPDATE) {
      rmSync(EXPECTED, { recursive: true, force: true });
      for (const [path, text] of texts) {
        mkdirSync(join(EXPECTED, path, '..'), { recursive: true });
        writeFileSync(join(EXPECTED, path), text);
      }
      writeFileSync(join(EXPECTED, BINARY_MANIFEST), `${JSON.stringify(binaries, null, 2)}\n`);
    }
    const expectedFiles = listFiles(EXPECTED).filter((p) => p !== BINARY_MANIFEST);
    expect([...texts.keys()].sort()).toEqual(expectedFiles.sort());
    for (const [path, text] of texts) expect(text, path).toBe(readFileSync(join(EXPECTED, path), 'utf8'));
    expect(binaries).toEqual(JSON.parse(readFileSync(join(EXPECTED, BINARY_MANIFEST), 'utf8')));
  });

  it('copies the real runtime build whole and unchanged into both projects', () => {
    const runtime = listFiles(runtimeDir).filter((p) => p.endsWith('.js'));
    expect(runtime).toEqual(expect.arrayContaining(['index.js', 'replica.js', 'sync/peer-sync.js']));
    for (const side of ['edge', 'cloud']) {
      const copied = listFiles(join(out, side, 'edgstr')).filter((p) => p.endsWith('.js'));
      expect(copied.sort(), side).toEqual([...runtime].sort());
      for (const p of runtime) expect(readFileSync(join(out, side, 'edgstr', p), 'utf8'), `${side}/edgstr/${p}`).toBe(readFileSync(join(runtimeDir, p), 'utf8'));
    }
  });

  it('writes JS that passes node --check', async () => {
    const scripts = listFiles(out).filter((p) => /\.(c|m)?js$/.test(p));
    expect(scripts.length).toBeGreaterThan(10);
    await Promise.all(scripts.map((p) => run(process.execPath, ['--check', join(out, p)])));
  });

  it('starts every generated file with a header naming the regenerate command', () => {
    const generated = listFiles(out).filter((p) => !p.includes('/app/') && !isRuntimeCopy(p) && !p.startsWith('edge/edgstr/') && !p.startsWith('cloud/edgstr/'));
    for (const path of generated) {
      const head = readFileSync(join(out, path), 'utf8').split('\n').slice(0, 3).join('\n');
      expect(head, path).toContain('edgstr generate --target rpi --out out --cloud-url http://cloud.lan:3300 --edges 2 --force');
    }
  });

  it('makes deploy.sh executable and shellcheck-clean', async () => {
    expect(statSync(join(out, 'deploy.sh')).mode & 0o111).not.toBe(0);
    const shellcheck = await run('shellcheck', ['--version']).then(() => true, () => false);
    if (!shellcheck) return; // shellcheck is optional in CI; the mode check above still runs
    await run('shellcheck', [join(out, 'deploy.sh')]);
  });

  it('writes distinct per-edge configs with disjoint key ranges', () => {
    const edges = [1, 2].map((i) => JSON.parse(readFileSync(join(out, 'edge', 'edges', `edge-${i}.json`), 'utf8')) as { nodeId: string; rangeIndex: number });
    expect(edges.map((e) => e.nodeId)).toEqual(['edge-1', 'edge-2']);
    expect(edges.map((e) => e.rangeIndex)).toEqual([1, 2]);
    const cloud = JSON.parse(readFileSync(join(out, 'cloud', 'config.json'), 'utf8')) as { rangeIndex: number; secret: string };
    expect(cloud.rangeIndex).toBe(0);
    expect(cloud.secret).toBe('fixture-secret');
  });
});

describe('generate: --target node', () => {
  it('writes no systemd units and no deploy.sh, and a random secret shared by both configs', async () => {
    const plain = join(scratch, 'plain');
    await generate({ workdir: join(CASE, 'input'), out: plain, target: 'node', lockfiles: false, runtimeDir });
    const files = listFiles(plain);
    expect(files.some((p) => p.endsWith('.service') || p === 'deploy.sh')).toBe(false);
    const secrets = ['edge', 'cloud'].map((s) => (JSON.parse(readFileSync(join(plain, s, 'config.json'), 'utf8')) as { secret: string }).secret);
    expect(secrets[0]).toMatch(/^[0-9a-f]{64}$/);
    expect(secrets[1]).toBe(secrets[0]);
    expect(readFileSync(join(plain, 'edge', 'README.md'), 'utf8')).not.toContain('Raspberry Pi');
  });
});

describe('generate: writing the output', () => {
  it('--force replaces an existing tree, and a refused run leaves the old one untouched', async () => {
    const dir = join(scratch, 'forced');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'stale.txt'), 'old');
    await generate({ workdir: join(CASE, 'input'), out: dir, target: 'node', force: true, lockfiles: false, runtimeDir });
    expect(existsSync(join(dir, 'stale.txt'))).toBe(false);
    expect(existsSync(join(dir, 'edge', 'server.js'))).toBe(true);

    const broken = join(scratch, 'broken-work');
    cpSync(join(CASE, 'input'), broken, { recursive: true });
    rmSync(join(broken, 'extracted', 'post-notes.js'));
    await expect(generate({ workdir: broken, out: dir, target: 'node', force: true, lockfiles: false, runtimeDir })).rejects.toThrow(
      'extracted/post-notes.js is missing for accepted service POST /notes; run `edgstr analyze` again',
    );
    expect(existsSync(join(dir, 'edge', 'server.js'))).toBe(true);
    expect(readdirSync(scratch).filter((n) => n.includes('.tmp'))).toEqual([]);
  });
});
