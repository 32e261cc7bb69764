#!/usr/bin/env node
// Runs the whole edgstr pipeline on bundled subjects and benches each one:
//   record (the subject's regression client through `edgstr record`) -> analyze -> review --accept all
//   -> generate --target node -> bench, with the report in docs/bench/<subject>/.
//
//   node scripts/bench-subjects.mjs [--subjects donutshop,recipebook,booktext] [--report-root DIR]
//                                   [--keep] [-- extra edgstr bench flags, e.g. --full]
// Needs `npm run build` first. Each subject takes a few minutes with the default grid.
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startCommand } from '../dist/analyze/workspace/start-command.js';
import { freePort, processGroup, waitForPort, waitForUrl } from './lib/procs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'edgstr');
const argv = process.argv.slice(2);
const dash = argv.indexOf('--');
const own = dash >= 0 ? argv.slice(0, dash) : argv;
const benchFlags = dash >= 0 ? argv.slice(dash + 1) : [];
const opt = (name, def) => (own.includes(name) ? own[own.indexOf(name) + 1] : def);
const subjects = opt('--subjects', 'donutshop,recipebook,booktext').split(',');
const reportRoot = path.resolve(opt('--report-root', path.join(root, 'docs', 'bench')));
const say = (msg) => process.stderr.write(`\n[bench-subjects] ${msg}\n`);

const { run, start } = processGroup({ say, onInterrupt: () => {} });

let failed = 0;
for (const subject of subjects) {
  // Work on a copy of the subject (others may be running the same subject dir at the same time),
  // inside the repo's ignored tmp/ so that the hoisted root node_modules still resolves.
  const source = path.join(root, 'subjects', subject);
  mkdirSync(path.join(root, 'tmp'), { recursive: true });
  const appDir = mkdtempSync(path.join(root, 'tmp', `bench-${subject}-`));
  cpSync(source, appDir, { recursive: true, filter: (src) => !/^[/\\](node_modules|data|uploads)$/.test(src.slice(source.length)) });
  if (existsSync(path.join(source, 'node_modules'))) symlinkSync(path.join(source, 'node_modules'), path.join(appDir, 'node_modules'), 'dir');
  const work = mkdtempSync(path.join(os.tmpdir(), `edgstr-bench-${subject}-`));
  const workdir = path.join(work, '.edgstr');
  const out = path.join(work, 'out');
  const edgstr = (...a) => run(process.execPath, [bin, ...a, '--workdir', workdir]);
  try {
    say(`${subject}: work files in ${work}`);
    await run('npm', ['run', '--silent', 'reset'], { cwd: appDir });
    const appPort = await freePort();
    const proxyPort = await freePort();
    // Started as analyze starts it (start script, main, Procfile...), on appPort even when the
    // app picks its own port (analyze's listen hook).
    const hook = pathToFileURL(path.join(root, 'dist', 'analyze', 'replay', 'listen-hook.js')).href;
    const env = { ...process.env, PORT: String(appPort), EDGSTR_LISTEN_PORT: String(appPort), NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import ${hook}`.trim() };
    const app = start('sh', ['-c', startCommand(appDir, undefined)], { cwd: appDir, stdio: ['ignore', 'ignore', 'inherit'], env });
    try {
      await waitForUrl(`http://127.0.0.1:${appPort}/`);
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
    await edgstr('generate', '--target', 'node', '--out', out);
    await edgstr('bench', '--out', out, '--report', path.join(reportRoot, subject), '--label', `${subject} (record -> analyze -> review --accept all -> generate --target node)`, ...benchFlags);
  } catch (err) {
    failed++;
    say(`${subject} FAILED: ${err.message}`);
  } finally {
    if (!own.includes('--keep')) {
      rmSync(work, { recursive: true, force: true });
      rmSync(appDir, { recursive: true, force: true });
    } else say(`${subject}: kept ${work} and the app copy ${appDir}`);
  }
}
process.exit(failed ? 1 : 0);
