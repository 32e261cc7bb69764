/**
 * analyze against bad apps: missing dir, no start command, crash at start, never listens, uses
 * MongoDB, syntax error; and Ctrl-C while the app runs. The good analysis.json already in the
 * work directory must survive byte-identical, the app copy in TMPDIR must be gone, and so must
 * every process analyze started.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  digestTree,
  edgstr,
  expectOneLineError,
  fx,
  goodWorkdir,
  processesUnder,
  scratch,
  start,
  type RunResult,
} from './helpers.js';

const s = scratch('analyze');
afterAll(() => s.cleanup());

interface Prepared {
  wd: string;
  tmp: string;
  before: Record<string, string>;
}

function prepare(name: string): Prepared {
  const root = s.dir(name);
  const wd = goodWorkdir(join(root, 'wd'));
  return { wd, tmp: s.dir(`${name}/tmp`), before: digestTree(wd) };
}

function expectUntouched(p: Prepared): void {
  expect(digestTree(p.wd)).toEqual(p.before);
  expect(digestTree(p.tmp), 'analyze left files in TMPDIR').toEqual({});
  expect(processesUnder(p.tmp), 'analyze left the app running').toEqual([]);
}

function analyze(p: Prepared, app: string, extra: string[] = []): Promise<RunResult> {
  return edgstr(['analyze', '--app', app, '--workdir', p.wd, '--fuzz', '1', ...extra], { tmp: p.tmp });
}

/** The first line is the clear message; details (the app's output, a code frame) may follow. */
function expectFirstLine(r: RunResult, says: RegExp): void {
  expect(r.code, r.stderr).toBe(1);
  expect(r.stderr.split('\n')[0]).toMatch(says);
  expect(r.stderr).not.toMatch(/\n\s+at .*edgstr\/dist\//);
}

describe('edgstr analyze: bad apps', { timeout: 150_000 }, () => {
  it('app dir missing', async () => {
    const p = prepare('missing');
    const r = await analyze(p, join(fx, 'apps', 'no-such-app'));
    expectOneLineError(r, /--app .*no-such-app is not a directory; (give|point|check)/);
    expectUntouched(p);
  });

  it('app without a start command', async () => {
    const p = prepare('nostart');
    const r = await analyze(p, join(fx, 'apps', 'no-start'));
    // server.js/app.js/index.js, main and a Procfile would be found; this app has none of them
    expectOneLineError(r, /no-start: no way to start the app found \(no "start" script or "main" in package\.json, no Procfile web: line, .*\) — pass the command with --start/);
    expectUntouched(p);
  });

  it('app that crashes at start (its stderr tail follows the first line)', async () => {
    const p = prepare('crashes');
    const r = await analyze(p, join(fx, 'apps', 'crashes'));
    expectFirstLine(r, /^edgstr: the app .*exited \(code 1\) before it listened/);
    expect(r.stderr).toContain('cannot start without DATABASE_URL');
    expectUntouched(p);
  });

  it('app with a syntax error (code frame)', async () => {
    const p = prepare('syntax');
    const r = await analyze(p, join(fx, 'apps', 'syntax-error'));
    expectFirstLine(r, /^edgstr: server\.js: Unexpected token.* — fix the syntax error in the app/);
    // the code frame after the first line points at the line
    expect(r.stderr).toMatch(/\n> 3 \|   res\.end\(JSON\.stringify\(\{ ok: true \}\);\n/);
    expectUntouched(p);
  });

  it('app that uses MongoDB (not installed): the MongoDB dependency is named', async () => {
    // The contract: either the service comes out replicable:false with a reason, or a clear error.
    // Without the driver the app cannot even start, so this is the error branch: the first line
    // must say that the app could not start, name the missing module and say what to do — on the
    // first line, since Node's stack after it is longer than the output tail shown.
    const p = prepare('mongodb');
    const r = await analyze(p, join(fx, 'apps', 'mongodb'));
    expectFirstLine(r, /^edgstr: the app .*exited \(code 1\) before it listened: Cannot find module 'mongodb'; add mongodb to the app's dependencies and run npm install/);
    expectUntouched(p);
  });

  it('app that never listens (bounded by the start timeout)', async () => {
    const p = prepare('never');
    const r = await analyze(p, join(fx, 'apps', 'never-listens'));
    expectFirstLine(r, /^edgstr: the app .*(did not|never) (listen|open)/);
    expectUntouched(p);
  }, 120_000);

  it('Ctrl-C while the app runs: old analysis.json kept, app stopped, temp copy removed', async () => {
    const p = prepare('sigint');
    const run = start(['analyze', '--app', join(fx, 'apps', 'tiny'), '--workdir', p.wd, '--fuzz', '1'], { tmp: p.tmp });
    // Wait until analyze has started the app from its copy in TMPDIR, then interrupt.
    const deadline = Date.now() + 90_000;
    let seen = false;
    while (!seen && Date.now() < deadline && run.child.exitCode === null) {
      seen = processesUnder(p.tmp).some((l) => / server\.js/.test(l));
      if (!seen) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen, 'the app never started').toBe(true);
    run.child.kill('SIGINT');
    const r = await run.result;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // one line: what was removed and stopped (the app's shell and node at least)
    expect(r.stderr).toMatch(/^edgstr: interrupted; removed \S*edgstr-analyze-\w+, stopped [2-9]\d* processes\n$/);
    await new Promise((res) => setTimeout(res, 300));
    expectUntouched(p);
  }, 120_000);
});
