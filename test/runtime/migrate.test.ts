/** Data directories written before tables moved into SQLite (table-store.ts). */
import Database from 'better-sqlite3';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { EdgstrReplica } from '../../src/runtime/replica.js';
import { TableStore } from '../../src/runtime/table-store.js';
import { makeDb, replicaConfig, tempDir } from './helpers.js';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function oldDataDir(name: string): { dir: string; file: string; data: string } {
  const t = tempDir(name);
  cleanups.push(t.cleanup);
  const file = join(t.dir, 'app.db');
  makeDb(file);
  const data = join(t.dir, 'data');
  mkdirSync(data);
  writeFileSync(join(data, 'db-app.automerge'), 'an Automerge document of an older edgstr');
  return { dir: t.dir, file, data };
}

describe('data dirs with table documents of an older edgstr', () => {
  it('an edge refuses to start, saying what to do', () => {
    const { file, data } = oldDataDir('old-edge');
    expect(() => new EdgstrReplica(replicaConfig({ role: 'edge', nodeId: 'edge-1', dataDir: data, rangeIndex: 1, tables: [{ file, tables: ['kv'] }] })))
      .toThrow(/db-app\.automerge holds this edge's tables in the format of an older edgstr: .*delete .*data and start this edge again/);
  });

  it('the cloud moves the old document aside and seeds its clock from its own tables', async () => {
    const { file, data } = oldDataDir('old-cloud');
    const replica = new EdgstrReplica(replicaConfig({ role: 'cloud', nodeId: 'cloud', dataDir: data, tables: [{ file, tables: ['kv', 'notes'] }] }));
    await replica.start();
    cleanups.push(() => replica.close());
    expect(existsSync(join(data, 'db-app.automerge'))).toBe(false);
    expect(existsSync(join(data, 'db-app.automerge.pre-sqlite'))).toBe(true);
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT count(*) AS n FROM __edgstr_clock').get()).toEqual({ n: 3 });
    db.close();
    expect(replica.health({ docs: true }).docs!['db-app']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('adds the OLD-values column to a change log of an older edgstr, keeping its rows for the capture', () => {
    const { file } = oldDataDir('old-log');
    const db = new Database(file);
    db.exec(`CREATE TABLE __edgstr_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL, key TEXT NOT NULL);
      INSERT INTO __edgstr_changes (tbl, op, key) VALUES ('kv', 'u', '["color"]');`);
    db.close();
    const store = new TableStore({ file, tables: ['kv'] }, 'db-app', 'cloud', 0);
    cleanups.push(() => store.close());
    store.seed();
    expect(store.pending()).toBe(0);
    expect(store.clockRows()).toBe(1);
  });
});
