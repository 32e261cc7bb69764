/**
 * Generality check on an app edgstr was not developed against: test/fixtures/holdout/kanban, an
 * Express 4 kanban API written the way such apps usually are (nested express.Router with
 * mergeParams mounted under /api/boards, router.param loading the board, sqlite3 prepared
 * statements kept in a module object behind a promise wrapper, dynamic SQL for PATCH and
 * filters, a validation middleware, a module-level Map cache and counters, a JSON activity file,
 * raw-body uploads under uploads/<cardId>/ with a recursive rm, JSON error middleware, two
 * stateless services). Its expected.json was written by hand from the code.
 *
 * The whole pipeline runs through the CLI on a private copy of the app: record (in-process
 * recorder, the app's regression client through it) → analyze → grade → review --accept all →
 * generate --target node --edges 2 → verify --edges 2.
 *
 * Reached (2026-11-25): 16/16 services exact, entry+exit 16/16; verify 51 passed, 0 failed, the
 * three replicas converge; the edges replicate uploads/ as a whole (not the uploads/<id>/ the
 * recording saw). Still off (not checked here): a directory emptied by a recursive rm at one
 * replica stays (empty) at the others; the test takes ~3-4 min at load average 11.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { startRecorder } from '../../src/record/recorder.js';
import { freePort } from '../helpers/index.js';
import { killGroup } from '../helpers/subjects.js';

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const BIN = join(ROOT, 'bin', 'edgstr');
const GRADER = resolve(ROOT, '..', 'shared', 'tools', 'grade-analysis.mjs');
const FIXTURE = join(ROOT, 'test', 'fixtures', 'holdout', 'kanban');
const LINE = /^[A-Z]+ \S+ -> \d{3}$/;

interface Grade {
  total: number;
  exact: number;
  entryExit: number;
}
type GradeFn = (analysis: unknown, expected: unknown, appDir: string) => Grade;
type FormatFn = (label: string, g: unknown) => string;

function edgstr(args: string[], timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    execFile(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      done({ code, stdout, stderr });
    });
  });
}

/** Copies the fixture (without runtime data) to root/kanban; packages resolve through root/node_modules. */
function copyApp(root: string): string {
  const dir = join(root, 'kanban');
  cpSync(FIXTURE, dir, { recursive: true, filter: (p) => !/[\\/](node_modules|data|uploads)$/.test(p.slice(FIXTURE.length)) });
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return dir;
}

async function waitForHttp(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}):\n${output()}`);
    try {
      await (await fetch(url, { signal: AbortSignal.timeout(2_000) })).arrayBuffer();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`the app did not answer on ${url}:\n${output()}`);
}

function runClient(dir: string, baseUrl: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['scripts/client.js', baseUrl], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', fail);
    child.once('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

/** npm run reset, npm start with PORT, the client through an in-process recorder, then stop and reset. */
async function record(dir: string, har: string): Promise<string[]> {
  const reset = (): void => {
    const r = spawnSync('npm', ['run', 'reset', '--silent'], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    if (r.status !== 0) throw new Error(`npm run reset failed: ${r.stderr || r.stdout}`);
  };
  reset();
  const port = await freePort();
  const app = spawn('npm', ['start', '--silent'], { cwd: dir, env: { ...process.env, PORT: String(port) }, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  app.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  app.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  try {
    await waitForHttp(`http://127.0.0.1:${port}/api/health`, app, () => out);
    const rec = await startRecorder({ target: `http://127.0.0.1:${port}`, port: 0, out: har });
    let result;
    try {
      result = await runClient(dir, rec.url);
    } finally {
      await rec.close();
    }
    if (result.code !== 0) throw new Error(`client failed (exit ${result.code}):\n${result.stdout.slice(-2000)}\n${result.stderr}\nserver:\n${out.slice(-2000)}`);
    return result.stdout.split('\n').map((l) => l.trim()).filter((l) => LINE.test(l));
  } finally {
    await killGroup(app);
    reset();
  }
}

const work = mkdtempSync(join(tmpdir(), 'edgstr-holdout-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

it('kanban hold-out: record → analyze → grade → review → generate → verify', { timeout: 600_000 }, async () => {
  const dir = copyApp(work);
  const workdir = join(work, '.edgstr');
  const lines = await record(dir, join(workdir, 'traffic.har'));
  expect(lines.length).toBe(50);

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
  const result = JSON.parse(verify.stdout.trim()) as { passed: number; failed: number; requests: Array<{ ok: boolean }>; convergence: { differences: string[] } };
  const failures = JSON.stringify(result.requests.filter((r) => !r.ok).slice(0, 10), null, 1);
  expect(result.convergence.differences, 'replicas differ').toEqual([]);
  expect(result.failed, `verify failures:\n${failures}`).toBe(0);
  expect(result.passed).toBeGreaterThanOrEqual(50);
});
