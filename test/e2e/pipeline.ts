/**
 * The whole pipeline on one subject app, through the CLI as a user runs it:
 *   record (the subject's regression client through the recording proxy) → analyze → grade the
 *   analysis against the subject's expected.json (../shared/tools/grade-analysis.mjs) → review
 *   --accept all → generate --target node --edges 2 → verify --edges 2.
 * Each subject's test file calls {@link pipelineTest} with the grade it must at least reach, so a
 * regression in any stage fails the suite.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { recordSubject, runEdgstr } from '../helpers/index.js';
import { checkLiveStack } from '../helpers/live-stack.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const GRADER = resolve(ROOT, '..', 'shared', 'tools', 'grade-analysis.mjs');

interface Grade {
  total: number;
  exact: number;
  entryExit: number;
}
/**
 * Issue 4: "a write through edge 1 is visible through edge 2 and through the cloud within 2 s".
 * Measured on loopback, 2 cores at load average 7-16: 14-265 ms from the write's answer to the
 * first poll (every 20 ms) that sees it on the other replica. So the 2 s is asserted as is.
 */
const VISIBLE_WITHIN_MS = 2_000;

type GradeFn = (analysis: unknown, expected: unknown, appDir: string) => Grade & { services: unknown[] };
type FormatFn = (label: string, g: unknown, note?: string) => string;

const edgstr = runEdgstr;

/** Where a pipeline test keeps its work (valid until the file's tests are done). */
export interface PipelineDirs {
  workdir: string;
  out: string;
  appDir: string;
  /** True once the first test generated the system. */
  generated(): boolean;
}

/**
 * The whole pipeline on a subject. `floor` is 'all': every service of expected.json must be
 * graded exact, entry and exit included (lower floors were dropped once every subject met it).
 */
export function pipelineTest(subject: string, _floor: 'all'): PipelineDirs {
  const work = mkdtempSync(join(tmpdir(), `edgstr-e2e-${subject}-`));
  const workdir = join(work, '.edgstr');
  const appDir = join(ROOT, 'subjects', subject);
  const out = join(work, 'out');
  let generated = false;
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it(`${subject}: record → analyze → review → generate → verify`, { timeout: 600_000 }, async () => {
    await recordSubject(subject, join(workdir, 'traffic.har'));

    const analyze = await edgstr(['analyze', '--app', appDir, '--workdir', workdir], 300_000);
    expect(analyze.code, `analyze failed:\n${analyze.stderr.slice(-3000)}`).toBe(0);

    expect(existsSync(GRADER), `the grader ${GRADER} is missing (shared/ must sit beside the checkout)`).toBe(true);
    const { grade, formatReport } = (await import(pathToFileURL(GRADER).href)) as { grade: GradeFn; formatReport: FormatFn };
    const analysis = JSON.parse(readFileSync(join(workdir, 'analysis.json'), 'utf8')) as unknown;
    const expected = JSON.parse(readFileSync(join(appDir, 'expected.json'), 'utf8')) as unknown;
    const g = grade(analysis, expected, appDir);
    const report = formatReport(subject, g);
    process.stderr.write(report);
    expect(g.exact, report).toBe(g.total);
    expect(g.entryExit, report).toBe(g.total);

    const review = await edgstr(['review', '--accept', 'all', '--workdir', workdir], 60_000);
    expect(review.code, review.stderr).toBe(0);

    const generate = await edgstr(['generate', '--target', 'node', '--out', out, '--edges', '2', '--workdir', workdir], 180_000);
    expect(generate.code, generate.stderr).toBe(0);
    generated = true;

    const verify = await edgstr(['verify', '--out', out, '--edges', '2', '--workdir', workdir, '--json'], 400_000);
    const lines = verify.stdout.trim();
    expect(verify.code === 0 || verify.code === 1, `verify crashed (exit ${verify.code}):\n${verify.stderr.slice(-3000)}`).toBe(true);
    const result = JSON.parse(lines) as { passed: number; failed: number; requests: Array<{ ok: boolean }>; convergence: { ok: boolean; differences: string[] }; served: { problems: string[] } };
    const failures = JSON.stringify(result.requests.filter((r) => !r.ok).slice(0, 10), null, 1);
    expect(result.convergence.differences, 'replicas differ').toEqual([]);
    expect(result.served.problems, 'accepted services not answered at the edge').toEqual([]);
    expect(result.failed, `verify failures:\n${failures}`).toBe(0);
    expect(result.passed).toBeGreaterThan(10);
  });

  it(`${subject}: cloud + 2 edges: client through each edge, writes propagate, concurrent creates survive, replicas identical`, { timeout: 180_000 }, async () => {
    expect(generated, 'the pipeline test above did not generate the system').toBe(true);
    const t0 = Date.now();
    const r = await checkLiveStack(subject, out, workdir, {
      visibleWithinMs: VISIBLE_WITHIN_MS,
      log: (line) => process.stderr.write(`${line}\n`),
    });
    const times = (t: Record<string, number>): string => Object.entries(t).map(([k, v]) => `${k} ${v} ms`).join(', ');
    process.stderr.write(
      `${subject} live: ${r.probe}; edge-1 write seen at ${times(r.edgeWrite)}; cloud write seen at ${times(r.cloudWrite)}; ` +
        `concurrent creates: ${r.concurrentSurvived}/2 kept, identical after ${r.concurrentConverged} ms; ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  });
  return { workdir, out, appDir, generated: () => generated };
}
