import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import * as A from '@automerge/automerge';
import { TableCrdt } from '../../src/runtime/table-crdt.js';
import { SLOT_SIZE, WINDOW_SIZE, addAutoincrement, nextSequence, readTableInfo } from '../../src/runtime/table-schema.js';
import type { DocRoot } from '../../src/runtime/doc-store.js';
import { makeDb, tableChecksum, tempDir } from './helpers.js';

const TABLES = ['kv', 'likes', 'notes'];
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(name: string, rangeIndex: number): { crdt: TableCrdt; app: Database.Database; file: string } {
  const t = tempDir(name);
  const file = `${t.dir}/app.db`;
  makeDb(file);
  const crdt = new TableCrdt({ file, tables: TABLES }, `${t.dir}/data`, 'db-app', rangeIndex);
  const app = new Database(file);
  cleanups.push(() => {
    app.close();
    crdt.close();
    t.cleanup();
  });
  return { crdt, app, file };
}

/** Moves everything one side has to the other (what the sync protocol does), via receive(). */
function exchange(from: TableCrdt, to: TableCrdt): void {
  const changes = A.getAllChanges(from.store.doc);
  to.receive((doc, patches) => A.applyChanges(doc, changes, { patchCallback: (p) => void patches.push(...p) })[0], true)?.();
}

describe('CRDT-Table', () => {
  it('rewrites a plain INTEGER PRIMARY KEY table to AUTOINCREMENT, keeping rows and indexes', () => {
    const { crdt } = setup('rewrite', 0);
    const info = readTableInfo(crdt.db, 'likes');
    expect(info.autoincrement).toBe(true);
    expect(crdt.db.prepare('SELECT who FROM likes WHERE id = 1').get()).toEqual({ who: 'ann' });
    const idx = crdt.db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'likes'").all();
    expect(idx).toEqual([{ name: 'likes_note' }]);
  });

  it('refuses a missing database file without creating it', () => {
    const t = tempDir('missing');
    cleanups.push(t.cleanup);
    const file = `${t.dir}/nope.db`;
    expect(() => new TableCrdt({ file, tables: TABLES }, `${t.dir}/data`, 'db', 0)).toThrow(/does not exist/);
    expect(existsSync(file)).toBe(false);
  });

  it('adds AUTOINCREMENT to column and table primary-key forms', () => {
    expect(addAutoincrement('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)', 'id')).toBe(
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
    expect(addAutoincrement('CREATE TABLE t (id INTEGER, v TEXT, PRIMARY KEY ("id"))', 'id')).toBe(
      'CREATE TABLE t (id INTEGER, v TEXT, PRIMARY KEY ("id" AUTOINCREMENT))');
  });

  it('allocates keys only in the replica slot, above every key it has seen', () => {
    expect(nextSequence(0, 0)).toBeNull();
    expect(nextSequence(5, 1)).toBe(SLOT_SIZE);
    expect(nextSequence(SLOT_SIZE + 3, 1)).toBeNull();
    expect(nextSequence(2 * SLOT_SIZE + 3, 1)).toBe(WINDOW_SIZE + SLOT_SIZE);
    expect(nextSequence(SLOT_SIZE + 3, 0)).toBe(WINDOW_SIZE);
  });

  it('captures one transaction as one change and applies it at another replica without re-capturing', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    a.crdt.seed();
    b.crdt.receive((doc, patches) => A.applyChanges(doc, A.getAllChanges(a.crdt.store.doc), { patchCallback: (p) => void patches.push(...p) })[0], true);
    const before = A.getAllChanges(a.crdt.store.doc).length;
    a.app.transaction(() => {
      a.app.prepare("INSERT INTO notes (title, body) VALUES ('from a', x'00ff')").run();
      a.app.prepare("UPDATE kv SET v = 'red' WHERE k = 'color'").run();
      a.app.prepare('DELETE FROM likes WHERE id = 1').run();
    })();
    const after = a.crdt.capture();
    expect(A.getAllChanges(a.crdt.store.doc).length).toBe(before + 1);
    after?.();
    expect(a.crdt.pending()).toBe(0);
    exchange(a.crdt, b.crdt);
    expect(tableChecksum(b.file, TABLES)).toBe(tableChecksum(a.file, TABLES));
    expect(b.crdt.pending()).toBe(0);
  });

  it('keeps concurrent inserts of both replicas, and later ones too', () => {
    const a = setup('ca', 1);
    const b = setup('cb', 2);
    a.crdt.seed();
    b.crdt.receive((doc, patches) => A.applyChanges(doc, A.getAllChanges(a.crdt.store.doc), { patchCallback: (p) => void patches.push(...p) })[0], true);
    for (let round = 0; round < 3; round++) {
      a.app.prepare('INSERT INTO likes (note_id, who) VALUES (1, ?)').run(`a${round}`);
      b.app.prepare('INSERT INTO likes (note_id, who) VALUES (1, ?)').run(`b${round}`);
      a.app.prepare('INSERT INTO notes (title) VALUES (?)').run(`a${round}`);
      b.app.prepare('INSERT INTO notes (title) VALUES (?)').run(`b${round}`);
      a.crdt.capture()?.();
      b.crdt.capture()?.();
      exchange(a.crdt, b.crdt);
      exchange(b.crdt, a.crdt);
    }
    expect(tableChecksum(a.file, TABLES)).toBe(tableChecksum(b.file, TABLES));
    expect((a.app.prepare('SELECT count(*) AS n FROM likes').get() as { n: number }).n).toBe(7);
    expect((a.app.prepare('SELECT count(*) AS n FROM notes').get() as { n: number }).n).toBe(8);
  });

  it('rolls back a local change from the document, leaving no trace in table or log', () => {
    const a = setup('rb', 1);
    a.crdt.seed();
    const clean = tableChecksum(a.file, TABLES);
    const mark = a.crdt.mark();
    a.app.prepare("INSERT INTO notes (title) VALUES ('oops')").run();
    a.app.prepare("UPDATE kv SET v = 'green'").run();
    a.app.prepare('DELETE FROM likes').run();
    a.crdt.rollback(mark);
    expect(tableChecksum(a.file, TABLES)).toBe(clean);
    expect(a.crdt.pending()).toBe(0);
    const heads = A.getHeads(a.crdt.store.doc);
    a.crdt.capture();
    expect(A.getHeads(a.crdt.store.doc)).toEqual(heads);
  });

  it('restarts from its data dir: persisted document plus uncaptured log rows', () => {
    const t = tempDir('restart');
    cleanups.push(t.cleanup);
    const file = `${t.dir}/app.db`;
    makeDb(file);
    let crdt = new TableCrdt({ file, tables: TABLES }, `${t.dir}/data`, 'db-app', 1);
    crdt.seed();
    crdt.db.prepare("INSERT INTO notes (title) VALUES ('captured')").run();
    // Crash after the document was persisted but before its log rows were deleted.
    crdt.capture();
    crdt.store.persist();
    crdt.db.prepare("INSERT INTO notes (title) VALUES ('in log only')").run();
    crdt.close();
    crdt = new TableCrdt({ file, tables: TABLES }, `${t.dir}/data`, 'db-app', 1);
    const doc = crdt.store.doc as DocRoot;
    expect(JSON.stringify(doc.notes)).toContain('captured');
    expect(crdt.pending()).toBe(2);
    crdt.capture()?.();
    expect(crdt.pending()).toBe(0);
    expect(JSON.stringify(crdt.store.doc.notes)).toContain('in log only');
    crdt.close();
  });
});
