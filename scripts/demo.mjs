#!/usr/bin/env node
// The one-command demo (README's first command): on a bundled subject app, runs the whole
// edgstr pipeline with progress on the terminal, then cleans up everything it started.
//
//   record  -> the subject's regression client runs through `edgstr record` (recording proxy)
//   services, analyze, review --accept all, generate --target node --edges 2
//   verify  -> starts the generated cloud + 2 edges, replays the traffic through the edges,
//              checks the answers and that all replicas converge
//   bench   -> a short latency comparison under an emulated slow WAN
//
// Usage: npm run demo [-- --subject donutshop] [--keep] [--skip-bench]
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, processGroup, waitForPort, waitForUrl } from './lib/procs.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, def) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : def;
};
const subject = opt('--subject', 'donutshop');
const appDir = path.join(root, 'subjects', subject);
const work = mkdtempSync(path.join(os.tmpdir(), `edgstr-demo-${subject}-`));
const workdir = path.join(work, '.edgstr');
const out = path.join(work, 'out');
const bin = path.join(root, 'bin', 'edgstr');
const t0 = Date.now();

const say = (msg) => process.stderr.write(`\n\x1b[1m[demo +${((Date.now() - t0) / 1000).toFixed(0)}s]\x1b[0m ${msg}\n`);

function removeWork() {
  if (!flag('--keep')) rmSync(work, { recursive: true, force: true });
}
const { run, start, killAll } = processGroup({ onInterrupt: removeWork });
function cleanup() {
  killAll();
  removeWork();
}

const edgstr = (...a) => run(process.execPath, [bin, ...a, '--workdir', workdir]);

try {
  say(`subject: ${subject} (${appDir}); work files in ${work}`);
  await run('npm', ['run', '--silent', 'reset'], { cwd: appDir });

  const appPort = await freePort();
  const proxyPort = await freePort();
  say(`1/6 record: start the app on :${appPort}, the recording proxy on :${proxyPort}, run the regression client through it`);
  const app = start('npm', ['start', '--silent'], { cwd: appDir, env: { ...process.env, PORT: String(appPort) } });
  await waitForUrl(`http://127.0.0.1:${appPort}/`);
  const rec = start(process.execPath, [bin, 'record', '--target', `http://127.0.0.1:${appPort}`, '--port', String(proxyPort), '--workdir', workdir]);
  await waitForPort(proxyPort);
  await run(process.execPath, [path.join(appDir, 'scripts', 'client.js'), `http://127.0.0.1:${proxyPort}`], { cwd: appDir });
  await rec.stop();
  await app.stop();
  await run('npm', ['run', '--silent', 'reset'], { cwd: appDir });
  await edgstr('services', '--app', appDir);

  say('2/6 analyze: instrument a copy of the app, replay + fuzz every request, find each service\'s code and state');
  await edgstr('analyze', '--app', appDir);

  say('3/6 review: accept every replicable service (non-interactive)');
  await edgstr('review', '--accept', 'all');

  say('4/6 generate: cloud + edge projects');
  await edgstr('generate', '--target', 'node', '--out', out, '--edges', '2');

  say('5/6 verify: start the cloud and 2 edges, replay the traffic through the edges, check answers and convergence');
  await edgstr('verify', '--out', out, '--edges', '2');

  if (!flag('--skip-bench')) {
    say('6/6 bench: original vs edge under an emulated slow WAN (short run)');
    await edgstr('bench', '--out', out, '--quick');
  }
  say(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s${flag('--keep') ? `; artefacts kept in ${work}` : ''}`);
  cleanup();
} catch (err) {
  say(`demo stopped: ${err.message}`);
  cleanup();
  process.exit(1);
}
