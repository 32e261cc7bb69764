/**
 * review / generate / verify against corrupted analysis.json and decisions.json (garbage, wrong
 * schema), generate into a non-empty dir without --force, and Ctrl-C in the middle of generate,
 * verify and bench: nothing half-written, no generated cloud/edge process left behind.
 */
import { cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { digestTree, edgstr, expectOneLineError, goodWorkdir, processesUnder, scratch, start, tempLeftovers, type RunResult } from './helpers.js';

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

/** Interrupts a running command once it has started something under `watch`, or after `fallbackMs`. */
async function interrupt(args: string[], watch: string, fallbackMs: number): Promise<RunResult> {
  const run = start(args);
  const deadline = Date.now() + fallbackMs;
  while (Date.now() < deadline && run.child.exitCode === null && processesUnder(watch).length === 0) {
    await new Promise((r) => setTimeout(r, 100));
  }
  run.child.kill('SIGINT');
  const r = await run.result;
  await new Promise((res) => setTimeout(res, 500));
  return r;
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
    const copy = join(s.root, 'sig', 'out-gen');
    cpSync(out, copy, { recursive: true });
    const before = digestTree(copy);
    const parent = join(s.root, 'sig');
    const siblings = readdirSync(parent).sort();
    const r = await interrupt(['generate', '--target', 'node', '--out', copy, '--workdir', wd, '--force'], copy, 1500);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // Either it finished before the signal (then exit 0 and a complete new tree) or it stopped
    // non-zero and the old tree is byte-identical.
    if (r.code === 0) expect(existsSync(join(copy, 'edge', 'package.json'))).toBe(true);
    else expect(digestTree(copy)).toEqual(before);
    expect(readdirSync(parent).sort()).toEqual(siblings);
    expect(tempLeftovers(wd)).toEqual([]);
  }, 180_000);

  // BLOCKED: verify — on SIGINT verify exits but the `npm ci --omit=dev` it started in the
  // generated project keeps running (and so would a started cloud/edge: no SIGINT cleanup).
  it.skip('verify: non-zero, no verify.json half-written, no cloud/edge left running', async () => {
    const before = digestTree(wd);
    const r = await interrupt(['verify', '--out', out, '--workdir', wd], out, 60_000);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(processesUnder(out)).toEqual([]);
    const after = digestTree(wd);
    delete after['verify.json'];
    expect(after).toEqual(before);
    expect(tempLeftovers(wd)).toEqual([]);
  }, 180_000);

  it('bench: non-zero, no half-written report, no cloud/edge left running', async () => {
    const report = join(s.root, 'sig', 'bench');
    mkdirSync(report, { recursive: true });
    writeFileSync(join(report, 'old.txt'), 'old report');
    const before = digestTree(report);
    const r = await interrupt(['bench', '--out', out, '--workdir', wd, '--report', report, '--quick', '--no-netns'], out, 60_000);
    expect(r.code, r.stderr).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(processesUnder(out)).toEqual([]);
    expect(digestTree(report)).toEqual(before);
  }, 180_000);
});
