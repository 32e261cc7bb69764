// The pipeline a user runs on a bundled subject, up to its analysis: a copy of the subject,
// its regression client recorded through `edgstr record`, then analyze and review --accept all.
// Shared by bench-subjects.mjs and bench-sync.mjs, so both measure what users generate.
import { cpSync, existsSync, mkdirSync, mkdtempSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startCommand } from '../../dist/analyze/workspace/start-command.js';
import { freePort, waitForPort, waitForUrl } from './procs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const bin = path.join(root, 'bin', 'edgstr');

/**
 * Copies `subjects/<subject>` (others may be running the same subject dir at the same time)
 * into the repo's ignored tmp/, so that the hoisted root node_modules still resolves.
 */
export function copySubject(subject, into = null) {
  const source = path.join(root, 'subjects', subject);
  if (!existsSync(path.join(source, 'package.json'))) throw new Error(`subjects/${subject}: no such subject`);
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  // `into`: a given folder (a kept workdir's app.dir that was removed since).
  const appDir = into ?? mkdtempSync(path.join(root, 'tmp', `bench-${subject}-`));
  cpSync(source, appDir, { recursive: true, filter: (src) => !/^[/\\](node_modules|data|uploads)$/.test(src.slice(source.length)) });
  if (existsSync(path.join(source, 'node_modules'))) symlinkSync(path.join(source, 'node_modules'), path.join(appDir, 'node_modules'), 'dir');
  return appDir;
}

/**
 * Starts the app in `appDir` as analyze starts it (start script, main, Procfile...), on `port`
 * even when the app picks its own (analyze's listen hook). Returns the started process.
 */
export async function startApp(start, appDir, port) {
  const hook = pathToFileURL(path.join(root, 'dist', 'analyze', 'replay', 'listen-hook.js')).href;
  const env = { ...process.env, PORT: String(port), EDGSTR_LISTEN_PORT: String(port), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${hook}`.trim() };
  const app = start('sh', ['-c', startCommand(appDir, undefined)], { cwd: appDir, stdio: ['ignore', 'ignore', 'inherit'], env });
  try {
    await waitForUrl(`http://127.0.0.1:${port}/`);
  } catch (err) {
    await app.stop();
    throw err;
  }
  return app;
}

/** record (the subject's client) -> analyze -> review --accept all, into `workdir`. */
export async function analyzeSubject({ run, start }, appDir, workdir) {
  const edgstr = (...a) => run(process.execPath, [bin, ...a, '--workdir', workdir]);
  await run('npm', ['run', '--silent', 'reset'], { cwd: appDir });
  const appPort = await freePort();
  const proxyPort = await freePort();
  const app = await startApp(start, appDir, appPort);
  try {
    const rec = start(process.execPath, [bin, 'record', '--target', `http://127.0.0.1:${appPort}`, '--port', String(proxyPort), '--workdir', workdir], { stdio: ['ignore', 'ignore', 'inherit'] });
    await waitForPort(proxyPort);
    await run(process.execPath, [path.join(appDir, 'scripts', 'client.js'), `http://127.0.0.1:${proxyPort}`], { cwd: appDir, stdio: ['ignore', 'ignore', 'inherit'] });
    await rec.stop();
  } finally {
    await app.stop();
  }
  await run('npm', ['run', '--silent', 'reset'], { cwd: appDir });
  await edgstr('analyze', '--app', appDir);
  await edgstr('review', '--accept', 'all');
}

export const tmpWork = (subject) => mkdtempSync(path.join(os.tmpdir(), `edgstr-bench-${subject}-`));
