/**
 * Issue #11 item 4: every SQLite database the app opens is found and snapshotted however late
 * its connection is first used — a sqlite3 Database opened at start and first used in a request,
 * one constructed inside a request (what knex's pool does), and a better-sqlite3 connection
 * opened inside a request. Their tables are restored between executions.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { writeHar } from '../helpers/app-fixture.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-lazy-db-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** POST /notes adds a row and answers the count; GET /notes answers the count (2 at init). */
const SERVERS: Record<string, string> = {
  'sqlite3 opened at start, first used in a request': `
const db = new (require('sqlite3').Database)(require('path').join(__dirname, 'data', 'notes.db'));
const use = () => db;`,
  'sqlite3 constructed inside the first request': `
let db = null;
const use = () => (db ??= new (require('sqlite3').Database)(require('path').join(__dirname, 'data', 'notes.db')));`,
};

const HANDLER = `
const http = require('http');
const count = (cb) => use().get('SELECT COUNT(*) AS n FROM notes', (err, row) => cb(err, row && row.n));
http.createServer((req, res) => {
  const done = (err, n) => { res.setHeader('content-type', 'application/json'); res.end(JSON.stringify(err ? { error: String(err) } : { count: n })); };
  if (req.method === 'POST') use().run("INSERT INTO notes (text) VALUES ('x')", (err) => (err ? done(err) : count(done)));
  else count(done);
}).listen(process.env.PORT || 3000);
`;

const BETTER = `
const http = require('http');
const path = require('path');
let db = null;
const use = () => (db ??= new (require('better-sqlite3'))(path.join(__dirname, 'data', 'notes.db')));
http.createServer((req, res) => {
  if (req.method === 'POST') use().prepare("INSERT INTO notes (text) VALUES ('x')").run();
  const n = use().prepare('SELECT COUNT(*) AS n FROM notes').get().n;
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ count: n }));
}).listen(process.env.PORT || 3000);
`;

interface Analysis {
  services: { id: string; state: { reads: { tables: string[] }; writes: { tables: string[] } } }[];
  snapshot: { databases: { file: string; tables: string[] }[] };
}

/** Rows of `notes` in the snapshot analyze wrote (the init state: 2, whatever the replays did). */
let snapshotRows = -1;

async function analyze(name: string, server: string): Promise<Analysis> {
  const dir = path.join(tmp, name.replace(/\W+/g, '-'));
  fs.mkdirSync(path.join(dir, 'data'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'package.json'), '{"name":"lazy","scripts":{"start":"node server.js"}}');
  fs.writeFileSync(path.join(dir, 'server.js'), server);
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const seed = new Database(path.join(dir, 'data', 'notes.db'));
  seed.exec("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT); INSERT INTO notes (text) VALUES ('a'), ('b');");
  seed.close();
  const traffic = path.join(dir, '..', `${path.basename(dir)}.har`);
  // recorded in this order: the GET saw 3 rows; from init state it sees 2, then the POST 3 again
  writeHar(traffic, [
    { method: 'POST', url: 'http://127.0.0.1:3000/notes', body: { count: 3 } },
    { method: 'GET', url: 'http://127.0.0.1:3000/notes', body: { count: 2 } },
  ]);
  const workdir = path.join(dir, '..', `${path.basename(dir)}-work`);
  const result = await analyzeApp({ appDir: dir, traffic, workdir, fuzz: 2, startTimeoutMs: 20_000 });
  const snap = new Database(path.join(workdir, 'snapshot', 'files', 'data', 'notes.db'), { readonly: true });
  snapshotRows = (snap.prepare('SELECT COUNT(*) AS n FROM notes').get() as { n: number }).n;
  snap.close();
  return JSON.parse(fs.readFileSync(result.analysisFile, 'utf8')) as Analysis;
}

describe('lazy SQLite connections', () => {
  for (const [name, open] of Object.entries(SERVERS)) {
    it(`${name}: snapshotted, tables traced`, { timeout: 60_000 }, async () => {
      const a = await analyze(name, `${open}\n${HANDLER}`);
      expect(a.snapshot.databases).toEqual([{ file: 'data/notes.db', snapshot: 'snapshot/files/data/notes.db', tables: ['notes'] }]);
      const post = a.services.find((s) => s.id === 'POST /notes')!;
      expect(post.state.writes.tables).toEqual(['notes']);
      expect(a.services.find((s) => s.id === 'GET /notes')!.state.reads.tables).toEqual(['notes']);
      expect(snapshotRows).toBe(2);
    });
  }

  it('better-sqlite3 opened inside the first request: checkpointed before its first statement', { timeout: 60_000 }, async () => {
    const a = await analyze('better', BETTER);
    expect(a.snapshot.databases.map((d) => [d.file, d.tables])).toEqual([['data/notes.db', ['notes']]]);
    expect(a.services.find((s) => s.id === 'POST /notes')!.state.writes.tables).toEqual(['notes']);
    expect(snapshotRows).toBe(2);
  });
});
