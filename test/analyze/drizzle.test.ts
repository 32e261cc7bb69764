/**
 * Issue #12 item 3: ORMs. drizzle over better-sqlite3 (prepared statements, and a transaction)
 * in a TypeScript server run by tsx: the tables come from the SQL drizzle sends to the driver.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { writeHar } from '../helpers/app-fixture.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-drizzle-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SCHEMA = `import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const notes = sqliteTable('notes', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  body: text('body').notNull(),
});

export const audit = sqliteTable('audit', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  what: text('what').notNull(),
});
`;
const SERVER = `import http from 'http';
import path from 'path';
import fs from 'fs';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { audit, notes } from './schema';

fs.mkdirSync(path.join(__dirname, '..', 'data'), { recursive: true });
const sqlite = new Database(path.join(__dirname, '..', 'data', 'app.db'));
sqlite.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)');
sqlite.exec('CREATE TABLE IF NOT EXISTS audit (id INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL)');
const db = drizzle(sqlite);

http.createServer((req, res) => {
  if (req.method === 'POST') {
    const row = db.transaction((tx) => {
      const created = tx.insert(notes).values({ body: 'hello' }).returning().get();
      tx.insert(audit).values({ what: 'note ' + created.id }).run();
      return created;
    });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(row));
    return;
  }
  const all = db.select().from(notes).all();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(all));
}).listen(Number(process.env.PORT ?? 3000));
`;

interface ServiceOut {
  id: string;
  state: { reads: { tables: string[] }; writes: { tables: string[] } };
}

describe('ORMs', () => {
  it('drizzle over better-sqlite3 in a tsx server: tables of selects, inserts and a transaction', { timeout: 120_000 }, async () => {
    const dir = path.join(tmp, 'app');
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'drz', scripts: { start: 'tsx src/server.ts' } }));
    fs.writeFileSync(path.join(dir, 'src', 'schema.ts'), SCHEMA);
    fs.writeFileSync(path.join(dir, 'src', 'server.ts'), SERVER);
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
    const traffic = path.join(tmp, 'traffic.har');
    writeHar(traffic, [
      { method: 'POST', url: 'http://127.0.0.1:3000/notes', body: { id: 1, body: 'hello' } },
      { method: 'GET', url: 'http://127.0.0.1:3000/notes', body: [{ id: 1, body: 'hello' }] },
    ]);
    const r = await analyzeApp({ appDir: dir, traffic, workdir: path.join(tmp, 'work'), fuzz: 1, startTimeoutMs: 30_000 });
    const analysis = JSON.parse(fs.readFileSync(r.analysisFile, 'utf8')) as { services: ServiceOut[] };
    const by = new Map(analysis.services.map((s) => [s.id, s.state]));
    expect(by.get('POST /notes')?.writes.tables).toEqual(['audit', 'notes']);
    expect(by.get('GET /notes')?.reads.tables).toEqual(['notes']);
    expect(by.get('GET /notes')?.writes.tables).toEqual([]);
  });
});
