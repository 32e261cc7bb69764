/** The snapshot reader: analyze's layout (manifest) and the tolerated layouts without one. */
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readSnapshot } from '../../src/generate/read-inputs.js';
import { FIXTURES } from './fixtures.js';

const input = join(FIXTURES, 'tally', 'input');
const scratch = mkdtempSync(join(tmpdir(), 'edgstr-read-snapshot-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const db = join(input, 'snapshot', 'files', 'data', 'tally.db');

describe('readSnapshot', () => {
  it('reads analyze layout: manifest, snapshot/files/, globals.json with declaring files', () => {
    const s = readSnapshot(join(input, 'snapshot'), join(input, 'app'));
    expect(s.files.map((f) => f.path).sort()).toEqual(['data/notes.log', 'data/tally.db']);
    expect(s.databases).toEqual([{ path: 'data/tally.db', tables: ['notes'] }]);
    expect([...s.globalFiles]).toEqual([['visits', 'src/store.js']]);
  });

  it('takes snapshot/ as a mirror of the app when there is no manifest', () => {
    const dir = join(scratch, 'mirror', 'snapshot');
    mkdirSync(join(dir, 'data'), { recursive: true });
    cpSync(db, join(dir, 'data', 'tally.db'));
    writeFileSync(join(dir, 'data', 'notes.log'), '');
    writeFileSync(join(dir, 'globals.json'), '{"visits": 3}');
    const s = readSnapshot(dir, join(input, 'app'));
    expect(s.files.map((f) => f.path).sort()).toEqual(['data/notes.log', 'data/tally.db']);
    expect(s.databases).toEqual([{ path: 'data/tally.db', tables: ['notes'] }]);
    expect(s.globalFiles.size).toBe(0);
  });

  it('matches a top-level database without a manifest to the app database with the same tables', () => {
    const app = join(scratch, 'app');
    mkdirSync(join(app, 'var'), { recursive: true });
    cpSync(db, join(app, 'var', 'main.db'));
    const dir = join(scratch, 'toplevel', 'snapshot');
    mkdirSync(dir, { recursive: true });
    cpSync(db, join(dir, 'db-0.sqlite'));
    const s = readSnapshot(dir, app);
    expect(s.databases).toEqual([{ path: 'var/main.db', tables: ['notes'] }]);
  });

  it('refuses a manifest that lists a missing file, naming it', () => {
    const dir = join(scratch, 'broken', 'snapshot');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify({ databases: [{ file: 'data/x.db', snapshot: 'snapshot/files/data/x.db', tables: [] }] }));
    expect(() => readSnapshot(dir, join(input, 'app'))).toThrow(/manifest\.json: data\/x\.db is listed but .* is missing; run `edgstr analyze` again/);
  });
});
