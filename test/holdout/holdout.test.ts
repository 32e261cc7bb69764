/**
 * Generality check on an app edgstr was not developed against: test/fixtures/holdout/kanban, an
 * Express 4 kanban API written the way such apps usually are (nested express.Router with
 * mergeParams mounted under /api/boards, router.param loading the board, sqlite3 prepared
 * statements kept in a module object behind a promise wrapper, dynamic SQL for PATCH and
 * filters, a validation middleware, a module-level Map cache and counters, a JSON activity file,
 * raw-body uploads under uploads/<cardId>/ with a recursive rm, JSON error middleware, two
 * stateless services). Its expected.json was written by hand from the code.
 *
 * The whole pipeline runs through the CLI on a private copy of the app: record (test/helpers'
 * recordSubject with copyTo: in-process recorder, the app's regression client through it) → analyze → grade → review --accept all →
 * generate --target node --edges 2 → verify --edges 2.
 *
 * Reached (2026-11-25): 16/16 services exact, entry+exit 16/16; verify 51 passed, 0 failed, the
 * three replicas converge; the edges replicate uploads/ as a whole (not the uploads/<id>/ the
 * recording saw). Still off (not checked here): a directory emptied by a recursive rm at one
 * replica stays (empty) at the others; the test takes ~3-4 min at load average 11.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { recordSubject, runEdgstr } from '../helpers/index.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const GRADER = resolve(ROOT, '..', 'shared', 'tools', 'grade-analysis.mjs');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'holdout', 'kanban');

interface Grade {
  total: number;
  exact: number;
  entryExit: number;
}
type GradeFn = (analysis: unknown, expected: unknown, appDir: string) => Grade;
type FormatFn = (label: string, g: unknown) => string;

const edgstr = runEdgstr;

const work = mkdtempSync(join(tmpdir(), 'edgstr-holdout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('kanban hold-out: record → analyze → grade → review → generate → verify', { timeout: 600_000 }, async () => {
  const workdir = join(work, '.edgstr');
  let lines: string[] = [];
  await recordSubject(FIXTURE, join(workdir, 'traffic.har'), { copyTo: work, onClient: (r) => (lines = r.lines) });
  expect(lines.length).toBe(50);
  const dir = join(work, 'app'); // the private copy recordSubject ran

  const analyze = await edgstr(['analyze', '--app', dir, '--workdir', workdir], 300_000);
  expect(analyze.code, `analyze failed:\n${analyze.stderr.slice(-3000)}`).toBe(0);
  const analysis = JSON.parse(readFileSync(join(workdir, 'analysis.json'), 'utf8')) as { services: Array<{ id: string }> };
  // Nested routers both declare a parameter at the same depth ('/:boardId', '/:cardId'): the
  // route of a card must name both, never :boardId twice.
  const ids = analysis.services.map((s) => s.id);
  expect(ids).toContain('PATCH /api/boards/:boardId/cards/:cardId');
  expect(ids.filter((id) => /:boardId.*:boardId/.test(id))).toEqual([]);

  expect(existsSync(GRADER), `the grader ${GRADER} is missing (shared/ must sit beside the checkout)`).toBe(true);
  const { grade, formatReport } = (await import(pathToFileURL(GRADER).href)) as { grade: GradeFn; formatReport: FormatFn };
  const expected = JSON.parse(readFileSync(join(FIXTURE, 'expected.json'), 'utf8')) as unknown;
  const g = grade(analysis, expected, dir);
  const report = formatReport('kanban-holdout', g);
  process.stderr.write(report);
  expect(g.total).toBe(16);
  expect(g.exact, report).toBe(16);
  expect(g.entryExit, report).toBe(16);

  const review = await edgstr(['review', '--accept', 'all', '--workdir', workdir], 60_000);
  expect(review.code, review.stderr).toBe(0);
  const out = join(work, 'out');
  const generate = await edgstr(['generate', '--target', 'node', '--out', out, '--edges', '2', '--workdir', workdir], 180_000);
  expect(generate.code, generate.stderr).toBe(0);
  // Upload directories are keyed by card id: the edge must replicate the whole collection.
  const edgeConfig = JSON.parse(readFileSync(join(out, 'edge', 'config.json'), 'utf8')) as { files: string[] };
  expect(edgeConfig.files).toEqual(['data/activity.json', 'uploads/']);

  // The app's sqlite3 statements (Statement#get leaves a read transaction open) share the file
  // with the runtime's connection: before the generated sqlite3 patch, 12 of 51 answers failed
  // (SQLITE_BUSY, stale reads).
  const verify = await edgstr(['verify', '--out', out, '--edges', '2', '--workdir', workdir, '--json'], 400_000);
  expect(verify.code === 0 || verify.code === 1, `verify crashed (exit ${verify.code}):\n${verify.stderr.slice(-3000)}`).toBe(true);
  const result = JSON.parse(verify.stdout.trim()) as { passed: number; failed: number; unsettled: number; requests: Array<{ ok: boolean }>; convergence: { differences: string[] }; logs?: Record<string, string> };
  const logs = Object.entries(result.logs ?? {}).map(([name, tail]) => `--- ${name}\n${tail}`).join('\n');
  const failures = `${JSON.stringify(result.requests.filter((r) => !r.ok).slice(0, 10), null, 1)}\nunsettled switches: ${result.unsettled}\n${logs}`;
  expect(result.convergence.differences, 'replicas differ').toEqual([]);
  expect(result.failed, `verify failures:\n${failures}`).toBe(0);
  expect(result.passed).toBeGreaterThanOrEqual(50);
});
