/**
 * End to end, per subject with expected.json: record its regression client's traffic, analyze
 * a clean copy of it (m = 2 to keep CI short; the CLI default is 3), grade with the shared grader's rules, and require every service
 * exact with entry and exit inside the app. Also: the instrumented app answers the regression
 * client exactly like the original.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp, instrumentCopy, tracerPath } from '../../src/analyze/analyze.js';
import { startApp } from '../../src/analyze/replay/app-process.js';
import { linkNodeModules } from '../../src/analyze/workspace/copy-app.js';
import { listSubjects, recordSubject, runClient, subjectDir } from '../helpers/index.js';
import { gradeAnalysis } from './grade.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-analyze-e2e-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A clean copy of a subject (right after recordSubject reset it), resolving the same packages. */
let copies = 0;
function cleanCopy(name: string): string {
  const dest = path.join(tmp, name, `app${++copies}`);
  fs.cpSync(subjectDir(name), dest, { recursive: true, filter: (src) => !/[/\\](node_modules|\.git)$/.test(src) });
  linkNodeModules(subjectDir(name), dest);
  return dest;
}

const subjects = listSubjects();

describe.each(subjects)('subject %s', (name) => {
  it('analysis matches expected.json: state sets exact, entry and exit inside the app', { timeout: 480_000 }, async () => {
    const har = await recordSubject(name, path.join(tmp, name, 'traffic.har'));
    const app = cleanCopy(name);
    const workdir = path.join(tmp, name, 'work');
    const t0 = Date.now();
    const res = await analyzeApp({ appDir: app, traffic: har, workdir, fuzz: 2 });
    const seconds = (Date.now() - t0) / 1000;
    const analysis = JSON.parse(fs.readFileSync(res.analysisFile, 'utf8')) as unknown;
    const expected = JSON.parse(fs.readFileSync(path.join(app, 'expected.json'), 'utf8')) as unknown;
    const g = await gradeAnalysis(analysis, expected, app);
    expect(g.report).toContain(`state sets exact ${g.total}/${g.total}; entry+exit ${g.total}/${g.total}`);
    for (const s of res.services) {
      expect(fs.existsSync(path.join(workdir, s.extracted ?? 'missing'))).toBe(true);
    }
    expect(fs.existsSync(path.join(workdir, 'snapshot', 'globals.json'))).toBe(true);
    console.log(`${name}: analyzed in ${seconds.toFixed(1)} s\n${g.report}`);
  });
});

describe('instrumented app', () => {
  const name = subjects.includes('donutshop') ? 'donutshop' : subjects[0];
  it.skipIf(!name)('answers the regression client like the original', { timeout: 120_000 }, async () => {
    await recordSubject(name!, path.join(tmp, 'probe.har'));
    const app = cleanCopy(name!);
    const copy = instrumentCopy(app, path.join(tmp, 'instrumented'));
    const pj = JSON.parse(fs.readFileSync(path.join(app, 'package.json'), 'utf8')) as { scripts: { start: string } };
    const proc = await startApp({ cwd: copy.copyRoot, command: pj.scripts.start, tracer: tracerPath(), controlDir: copy.controlDir, timeoutMs: 30_000 });
    try {
      await proc.control('checkpoint');
      const result = await runClient(name!, `http://127.0.0.1:${proc.port}`);
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.lines.length).toBeGreaterThan(5);
    } finally {
      await proc.stop();
    }
  });
});
