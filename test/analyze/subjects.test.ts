/**
 * The instrumented app answers the subject's regression client exactly like the original.
 * (Each subject's analysis is graded against its expected.json by test/e2e/pipeline-*.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { prepareCopy, tracerPath } from '../../src/analyze/analyze.js';
import { startApp } from '../../src/analyze/replay/app-process.js';
import { linkNodeModules } from '../../src/analyze/workspace/copy-app.js';
import { listSubjects, resetSubject, runClient, subjectDir } from '../helpers/index.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-analyze-e2e-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** A copy of a subject with its initial data (`npm run reset` in the copy), resolving the same packages. */
let copies = 0;
function cleanCopy(name: string): string {
  const src = subjectDir(name);
  const dest = path.join(tmp, name, `app${++copies}`);
  fs.cpSync(src, dest, { recursive: true, filter: (p) => !/[/\\](node_modules|\.git)$/.test(p) && !/^[/\\]data$/.test(p.slice(src.length)) });
  linkNodeModules(src, dest);
  resetSubject(dest);
  return dest;
}

// Grading every subject here too would analyze each twice per CI run: the pipeline tests do it.
const subjects = listSubjects();
describe('instrumented app', () => {
  const name = subjects.includes('donutshop') ? 'donutshop' : subjects[0];
  it.skipIf(!name)('answers the regression client like the original', { timeout: 120_000 }, async () => {
    const app = cleanCopy(name!);
    const copy = prepareCopy(app, path.join(tmp, 'instrumented'));
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
