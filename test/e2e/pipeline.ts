/**
 * The whole pipeline on one subject app, each stage called in-process as the CLI calls it (the
 * CLI's process boundary, flags and exit codes are tested in test/cli, test/badinput and each
 * stage's cli.test.ts):
 *   record (the subject's regression client through the recording proxy, once per run and shared:
 *   helpers/recorded.ts) → analyze → grade the analysis against the subject's expected.json
 *   (../shared/tools/grade-analysis.mjs) → review --accept all → generate --target node --edges 2
 *   → verify --edges 2, whose generated cloud and edges are real processes.
 * Each subject's test file calls {@link pipelineTest} with the grade it must at least reach, so a
 * regression in any stage fails the suite.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import pc from 'picocolors';
import { afterAll, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { generate } from '../../src/generate/index.js';
import { runReview } from '../../src/review/index.js';
import { verifyGenerated } from '../../src/verify/index.js';
import { recordedTraffic } from '../helpers/index.js';
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
    mkdirSync(workdir, { recursive: true });
    copyFileSync((await recordedTraffic(subject)).har, join(workdir, 'traffic.har'));

    // As `edgstr analyze --app <appDir> --workdir <workdir>` calls it (default --fuzz 3).
    await analyzeApp({ appDir, appDirAsGiven: appDir, traffic: join(workdir, 'traffic.har'), workdir, fuzz: 3 });

    expect(existsSync(GRADER), `the grader ${GRADER} is missing (shared/ must sit beside the checkout)`).toBe(true);
    const { grade, formatReport } = (await import(pathToFileURL(GRADER).href)) as { grade: GradeFn; formatReport: FormatFn };
    const analysis = JSON.parse(readFileSync(join(workdir, 'analysis.json'), 'utf8')) as unknown;
    const expected = JSON.parse(readFileSync(join(appDir, 'expected.json'), 'utf8')) as unknown;
    const g = grade(analysis, expected, appDir);
    const report = formatReport(subject, g);
    process.stderr.write(report);
    expect(g.exact, report).toBe(g.total);
    expect(g.entryExit, report).toBe(g.total);

    await runReview({ workdir, selection: { accept: 'all' }, prompt: null, who: 'pipeline test', when: new Date().toISOString(), colors: pc.createColors(false) });

    await generate({ workdir, out, target: 'node', edges: 2 });
    generated = true;

    const result = await verifyGenerated({ workdir, outDir: out, edges: 2 });
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
