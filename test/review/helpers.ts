/** Shared fixture loading for review tests: the "seats" app and its hand-made analysis.json. */
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { readAnalysis, type Analysis } from '../../src/model/analysis.js';
import type { ReviewInput } from '../../src/review/types.js';

export const FIXTURE = fileURLToPath(new URL('../fixtures/review/seats/', import.meta.url));

export function seatsAnalysis(): Analysis {
  return readAnalysis(join(FIXTURE, 'workdir', 'analysis.json'));
}

export function seatsInput(overrides: Partial<ReviewInput> = {}): ReviewInput {
  const sources = new Map([['src/server.js', readFileSync(join(FIXTURE, 'app', 'src', 'server.js'), 'utf8')]]);
  return { analysis: seatsAnalysis(), sources, snapshot: { tableRows: new Map() }, previous: null, ...overrides };
}

/** A scratch copy: <tmp>/app and <tmp>/.edgstr (analysis.json + snapshot/app.db with 3 seats). */
export function seatsWorkspace(): { root: string; workdir: string } {
  const root = mkdtempSync(join(tmpdir(), 'edgstr-review-'));
  cpSync(join(FIXTURE, 'app'), join(root, 'app'), { recursive: true });
  const workdir = join(root, '.edgstr');
  cpSync(join(FIXTURE, 'workdir'), workdir, { recursive: true });
  mkdirSync(join(workdir, 'snapshot'));
  const db = new Database(join(workdir, 'snapshot', 'app.db'));
  db.exec('CREATE TABLE seats (id INTEGER PRIMARY KEY, label TEXT, taken INTEGER); CREATE TABLE messages (id INTEGER PRIMARY KEY, text TEXT)');
  for (const label of ['A1', 'A2', 'A3']) db.prepare('INSERT INTO seats (label, taken) VALUES (?, 0)').run(label);
  db.close();
  return { root, workdir };
}
