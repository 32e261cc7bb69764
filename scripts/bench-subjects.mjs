#!/usr/bin/env node
// Runs the whole edgstr pipeline on bundled subjects and benches each one:
//   record (the subject's regression client through `edgstr record`) -> analyze -> review --accept all
//   -> generate --target node -> bench, with the report in docs/bench/<subject>/.
//
//   node scripts/bench-subjects.mjs [--subjects donutshop,recipebook,booktext] [--report-root DIR]
//                                   [--keep] [-- extra edgstr bench flags, e.g. --full]
// Needs `npm run build` first. Each subject takes a few minutes with the default grid.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { processGroup } from './lib/procs.mjs';
import { analyzeSubject, bin, copySubject, tmpWork } from './lib/subject-pipeline.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
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
  const appDir = copySubject(subject);
  const work = tmpWork(subject);
  const workdir = path.join(work, '.edgstr');
  const out = path.join(work, 'out');
  const edgstr = (...a) => run(process.execPath, [bin, ...a, '--workdir', workdir]);
  try {
    say(`${subject}: work files in ${work}`);
    await analyzeSubject({ run, start }, appDir, workdir);
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
