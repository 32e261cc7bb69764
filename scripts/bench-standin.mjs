#!/usr/bin/env node
// Runs `edgstr bench` against the STAND-INS in test/bench/fixtures/standin (a small item store as
// "cloud" and a background-syncing replica as "edge"), NOT against generated edgstr projects.
// It exists to show the bench machinery and the report format; its numbers are not edgstr's.
//
//   node scripts/bench-standin.mjs [--report DIR] [extra edgstr bench flags...]
// Default report dir: docs/bench/standin. Needs `npm run build` first.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const fixture = path.join(root, 'test', 'bench', 'fixtures', 'standin');
const args = process.argv.slice(2);
const at = args.indexOf('--report');
const report = at >= 0 ? path.resolve(args.splice(at, 2)[1]) : path.join(root, 'docs', 'bench', 'standin');
const workdir = mkdtempSync(path.join(os.tmpdir(), 'edgstr-bench-standin-'));
copyFileSync(path.join(fixture, 'traffic.har'), path.join(workdir, 'traffic.har'));
const label = 'STAND-INS (test/bench/fixtures/standin), not generated edgstr projects';
const argv = [path.join(root, 'bin', 'edgstr'), 'bench', '--out', fixture, '--workdir', workdir, '--report', report, '--label', label, ...args];
process.stderr.write(`stand-in bench: node ${argv.map((a) => path.relative(root, a) || a).join(' ')}\n`);
const r = spawnSync(process.execPath, argv, { stdio: 'inherit' });
rmSync(workdir, { recursive: true, force: true });
process.exit(r.status ?? 2);
