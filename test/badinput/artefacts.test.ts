/**
 * review / generate / verify against corrupted analysis.json and decisions.json (garbage, wrong
 * schema), generate into a non-empty dir without --force, and Ctrl-C in the middle of generate,
 * verify and bench: nothing half-written, no generated cloud/edge process left behind.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installGenerated } from '../../src/verify/install.js';
import { digestTree, edgstr, expectOneLineError, goodWorkdir, processesUnder, processInfoUnder, scratch, start, tempLeftovers, type RunResult } from './helpers.js';

const s = scratch('artefacts');
afterAll(() => s.cleanup());

const GARBAGE = '{"schemaVersion": 1, "services": [ {"id": "GET /hello"';
const WRONG_ANALYSIS = JSON.stringify({ schemaVersion: 1, services: [{ id: 42, method: 'GET' }] });
const WRONG_DECISIONS = JSON.stringify({ decisions: 'accept everything please' });

type Cmd = 'review' | 'generate' | 'verify';
function argsFor(cmd: Cmd, wd: string, out: string): string[] {
  if (cmd === 'review') return ['review', '--accept', 'all', '--workdir', wd];
  if (cmd === 'generate') return ['generate', '--target', 'node', '--out', out, '--workdir', wd];
  return ['verify', '--out', out, '--workdir', wd];
}

interface Corrupt {
  name: string;
  file: 'analysis.json' | 'decisions.json';
  text: string;
  says: RegExp;
  cmds: Cmd[];
}

const corrupt: Corrupt[] = [
  { name: 'garbage analysis.json', file: 'analysis.json', text: GARBAGE, says: /analysis\.json.*not valid JSON.*edgstr analyze/, cmds: ['review', 'generate', 'verify'] },
  { name: 'analysis.json of the wrong schema', file: 'analysis.json', text: WRONG_ANALYSIS, says: /analysis\.json.*(invalid|schema).*edgstr analyze/, cmds: ['review', 'generate', 'verify'] },
  // review rewrites decisions.json from flags, but must not throw away a hand-edited file it cannot read.
  { name: 'garbage decisions.json', file: 'decisions.json', text: GARBAGE, says: /decisions\.json.*not valid JSON.*(edgstr review|fix|delete)/, cmds: ['review', 'generate'] },
  { name: 'decisions.json of the wrong schema', file: 'decisions.json', text: WRONG_DECISIONS, says: /decisions\.json.*(invalid|schema|expected).*(edgstr review|fix|delete)/, cmds: ['review', 'generate'] },
];

describe('corrupted artefacts', () => {
  for (const c of corrupt) {
    for (const cmd of c.cmds) {
      it(`edgstr ${cmd} with ${c.name}`, async () => {
        const root = s.dir(`${cmd}-${c.name.replace(/\W+/g, '-')}`);
        const wd = goodWorkdir(join(root, 'wd'));
        writeFileSync(join(wd, c.file), c.text);
        const out = join(root, 'out');
        const before = digestTree(wd);
        const r = await edgstr(argsFor(cmd, wd, out));
        expectOneLineError(r, c.says);
        expect(digestTree(wd)).toEqual(before);
        expect(existsSync(out)).toBe(false);
      });
    }
  }
});

describe('edgstr generate: output dir', () => {
  it('generate into a non-empty dir without --force', async () => {
    const root = s.dir('nonempty');
    const wd = goodWorkdir(join(root, 'wd'));
    const out = s.dir('nonempty/out');
    writeFileSync(join(out, 'mine.txt'), 'keep me');
    const before = digestTree(root);
    const r = await edgstr(['generate', '--target', 'node', '--out', out, '--workdir', wd]);
    expectOneLineError(r, /out.* is not empty.*--force/);
    expect(digestTree(root)).toEqual(before);
  });
});

/**
 * Starts a command, sends SIGINT once `ready()` holds (polled every 100 ms), and returns its
 * result. Fails the test when the command ended or the time ran out before it got there, so a
 * test cannot pass by interrupting a command that had already finished.
 */
async function interruptWhen(args: string[], ready: () => boolean, opts: { tmp?: string; timeoutMs?: number } = {}): Promise<RunResult> {
  const run = start(args, { tmp: opts.tmp });
  const deadline = Date.now() + (opts.timeoutMs ?? 90_000);
  let hit = false;
  while (!hit && Date.now() < deadline && run.child.exitCode === null) {
    hit = ready();
    if (!hit) await new Promise((r) => setTimeout(r, 100));
  }
  if (!hit) {
    run.child.kill('SIGKILL');
    const r = await run.result;
    expect.fail(`the interrupt point was never reached (exit ${r.code}):\n${r.stderr}`);
  }
  run.child.kill('SIGINT');
  const r = await run.result;
  await new Promise((res) => setTimeout(res, 300));
  return r;
}

/**
 * The contract for an interrupted command: exit 130, and after what it had printed before the
 * signal, one line saying what was cleaned up (no stack, no error from the dying command).
 */
function expectInterrupted(r: RunResult): void {
  expect(r.code, r.stderr).toBe(130);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr, 'the interrupt line ends stderr').toMatch(/(^|\n)edgstr: interrupted(; [^\n]*)?\n$/);
  expect(r.stderr.match(/^edgstr: /gm), 'exactly one edgstr: line').toHaveLength(1);
}

describe('Ctrl-C in the middle', () => {
  let wd = '';
  let out = '';
  beforeAll(async () => {
    wd = goodWorkdir(s.dir('sig/wd'));
    out = join(s.root, 'sig', 'out');
    const r = await edgstr(['generate', '--target', 'node', '--out', out, '--workdir', wd]);
    expect(r.code, r.stderr).toBe(0);
  }, 180_000);

  it('generate --force: the old out dir survives whole, no temp dir beside it', async () => {
    const parent = s.dir('sig-gen');
    const copy = join(parent, 'out-gen');
    cpSync(out, copy, { recursive: true });
    const before = digestTree(copy);
    const siblings = readdirSync(parent).sort();
    // Interrupt while npm resolves the lockfiles in the temp dir beside --out.
    const npmInTemp = (): boolean =>
      readdirSync(parent)
        .filter((f) => /^\.out-gen\.edgstr-\d+\.tmp$/.test(f))
        .some((f) => processesUnder(join(parent, f)).length > 0);
    const r = await interruptWhen(['generate', '--target', 'node', '--out', copy, '--workdir', wd, '--force'], npmInTemp);
    expectInterrupted(r);
    expect(r.stderr).toMatch(/removed .*\.out-gen\.edgstr-\d+\.tmp, stopped \d+ process/);
    expect(digestTree(copy)).toEqual(before);
    expect(readdirSync(parent).sort()).toEqual(siblings);
    expect(tempLeftovers(wd)).toEqual([]);
  }, 180_000);

  it('verify during npm ci: non-zero, npm stopped, no half-installed node_modules, nothing in TMPDIR', async () => {
    const tmp = s.dir('sig-verify-tmp');
    const before = digestTree(wd);
    const r = await interruptWhen(['verify', '--out', out, '--workdir', wd], () => processesUnder(out).length > 0, { tmp });
    expectInterrupted(r);
    // npm is stopped; a node_modules it had begun is removed (and then named in the line)
    expect(r.stderr).toMatch(/; (removed \S*node_modules, )?stopped [1-9]\d* process/);
    expect(processesUnder(out)).toEqual([]);
    // A side is either not installed or completely installed (npm writes its hidden lockfile last).
    for (const side of ['cloud', 'edge']) {
      const modules = join(out, side, 'node_modules');
      if (existsSync(modules)) expect(existsSync(join(modules, '.package-lock.json')), `${side}/node_modules is half-installed`).toBe(true);
    }
    const after = digestTree(wd);
    delete after['verify.json'];
    expect(after).toEqual(before);
    expect(tempLeftovers(wd)).toEqual([]);
    expect(digestTree(tmp)).toEqual({});
  }, 180_000);

  it('verify while the cloud runs: non-zero, no cloud/edge left running, nothing in TMPDIR', async () => {
    const tmp = s.dir('sig-verify2-tmp');
    // Installed beforehand (without edgstr): this run reaches the started projects at once.
    const installed = mkdtempSync(join(s.root, 'inst-'));
    cpSync(out, join(installed, 'out'), { recursive: true });
    const out2 = join(installed, 'out');
    await installGenerated(join(out2, 'cloud'));
    await installGenerated(join(out2, 'edge'));
    const before = digestTree(wd);
    const r = await interruptWhen(['verify', '--out', out2, '--workdir', wd], () => processesUnder(tmp).length > 0, { tmp });
    expectInterrupted(r);
    expect(r.stderr).toMatch(/removed .*edgstr-verify-\w+, stopped \d+ process/);
    expect(processesUnder(tmp)).toEqual([]);
    expect(processesUnder(out2)).toEqual([]);
    expect(digestTree(tmp)).toEqual({});
    const after = digestTree(wd);
    delete after['verify.json'];
    expect(after).toEqual(before);
  }, 180_000);

  it('bench while measuring: non-zero, no half-written report, no cloud/edge left running, temp copies removed', async () => {
    const report = join(s.root, 'sig', 'bench');
    mkdirSync(report, { recursive: true });
    writeFileSync(join(report, 'old.txt'), 'old report');
    const before = digestTree(report);
    // bench runs its clouds and edges from copies in $TMPDIR/edgstr-bench-*/run-N/: interrupt
    // once one of them is running, i.e. while it measures.
    const tmp = s.dir('sig-bench-tmp');
    const measuring = (): boolean => processInfoUnder(tmp).some((p) => /\/run-\d+\//.test(`${p.cwd}/`) && /^\S*node /.test(p.cmd));
    const r = await interruptWhen(['bench', '--out', out, '--workdir', wd, '--report', report, '--quick', '--no-netns'], measuring, { tmp });
    expectInterrupted(r);
    expect(r.stderr).toMatch(/removed .*edgstr-bench-\w+, stopped \d+ process/);
    expect(processesUnder(tmp)).toEqual([]);
    expect(processesUnder(out)).toEqual([]);
    expect(digestTree(tmp)).toEqual({});
    expect(digestTree(report)).toEqual(before);
  }, 180_000);
});
