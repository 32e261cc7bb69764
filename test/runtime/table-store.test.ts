import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CLOCK, TableStore } from '../../src/runtime/table-store.js';
import { SLOT_SIZE, WINDOW_SIZE, addAutoincrement, nextSequence, readTableInfo } from '../../src/runtime/table-schema.js';
import { makeDb, tableChecksum, tempDir } from './helpers.js';

const TABLES = ['kv', 'likes', 'notes'];
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

interface Side {
  store: TableStore;
  app: Database.Database;
  file: string;
  site: string;
  reopen(): void;
}

function setup(site: string, rangeIndex: number, seed = true): Side {
  const t = tempDir(site);
  const file = `${t.dir}/app.db`;
  makeDb(file);
  const side: Side = {
    store: new TableStore({ file, tables: TABLES }, 'db-app', site, rangeIndex),
    app: new Database(file),
    file,
    site,
    reopen() {
      side.store.close();
      side.store = new TableStore({ file, tables: TABLES }, 'db-app', site, rangeIndex);
    },
  };
  if (seed) side.store.seed();
  cleanups.push(() => {
    side.app.close();
    side.store.close();
    t.cleanup();
  });
  return side;
}

/** What the sync protocol does: `to` pulls `from`'s changes after its position, page by page. */
function pull(from: Side, to: Side, pageRows = 2000): number {
  from.store.capture();
  let pages = 0;
  for (;;) {
    const page = from.store.changesAfter(to.store.position(from.site), to.site, pageRows);
    to.store.applyPage(page, from.site);
    pages++;
    if (!page.more) return pages;
  }
}

function both(a: Side, b: Side): void {
  pull(a, b);
  pull(b, a);
  pull(a, b);
}

function converged(a: Side, b: Side): void {
  expect(tableChecksum(a.file, TABLES)).toBe(tableChecksum(b.file, TABLES));
  expect(a.store.digest()).toBe(b.store.digest());
}

describe('CRDT-Table in SQLite (table-store)', () => {
  it('gives the same snapshot the same clock everywhere', () => {
    const a = setup('a', 0);
    const b = setup('b', 1);
    converged(a, b);
    expect(a.store.digest()).not.toBe('0000000000000000');
  });

  it('captures inserts, updates and deletes and applies them elsewhere without capturing them again', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    a.app.transaction(() => {
      a.app.prepare("INSERT INTO notes (title, body) VALUES ('from a', x'00ff')").run();
      a.app.prepare("UPDATE kv SET v = 'red' WHERE k = 'color'").run();
      a.app.prepare('DELETE FROM likes WHERE id = 1').run();
    })();
    expect(a.store.pending()).toBeGreaterThan(0);
    expect(a.store.capture()).toBe(3);
    expect(a.store.pending()).toBe(0);
    pull(a, b);
    converged(a, b);
    expect(b.store.pending()).toBe(0);
    expect(b.app.prepare("SELECT hex(body) AS h FROM notes WHERE title = 'from a'").get()).toEqual({ h: '00FF' });
    // Nothing goes back to where it came from.
    expect(b.store.changesAfter(0, 'a').rows.filter((r) => r[4] > 0)).toEqual([]);
    expect(b.store.changesAfter(0, 'c').rows.filter((r) => r[4] > 0)).toHaveLength(3);
  });

  it('encodes a changed row once for every peer, and sends its new values after the next change', () => {
    const a = setup('a', 1);
    const kvRow = (peer: string) => a.store.changesAfter(0, peer).rows.find((r) => r[0] === 'kv');
    a.app.prepare("UPDATE kv SET v = 'red' WHERE k = 'color'").run();
    a.store.capture();
    const first = kvRow('b');
    expect(JSON.stringify(first?.[3])).toContain('red');
    // The same values (one encoding) for another peer.
    expect(kvRow('c')?.[3]).toBe(first?.[3]);
    // A new version of the row is read again, never taken from what was encoded for the old one.
    a.app.prepare("UPDATE kv SET v = 'green' WHERE k = 'color'").run();
    a.store.capture();
    expect(JSON.stringify(kvRow('b')?.[3])).toContain('green');
    expect(JSON.stringify(kvRow('c')?.[3])).not.toContain('red');
  });

  it('merges concurrent writes to different columns of one row', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    a.app.prepare("UPDATE notes SET title = 'title by a' WHERE id = 1").run();
    b.app.prepare("UPDATE notes SET body = x'0102' WHERE id = 1").run();
    a.store.capture();
    b.store.capture();
    both(a, b);
    converged(a, b);
    expect(a.app.prepare('SELECT title, hex(body) AS body FROM notes WHERE id = 1').get()).toEqual({ title: 'title by a', body: '0102' });
  });

  it('breaks a tie on one column the same way on both sides, and a later write wins', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    a.app.prepare("UPDATE kv SET v = 'from a' WHERE k = 'color'").run();
    b.app.prepare("UPDATE kv SET v = 'from b' WHERE k = 'color'").run();
    both(a, b);
    converged(a, b);
    // Same lamport time: the higher site id wins.
    expect(a.app.prepare("SELECT v FROM kv WHERE k = 'color'").get()).toEqual({ v: 'from b' });
    a.app.prepare("UPDATE kv SET v = 'later' WHERE k = 'color'").run();
    both(a, b);
    converged(a, b);
    expect(b.app.prepare("SELECT v FROM kv WHERE k = 'color'").get()).toEqual({ v: 'later' });
  });

  it('lets a delete win over a concurrent update, and a later re-insert over the delete', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    a.app.prepare("DELETE FROM kv WHERE k = 'color'").run();
    b.app.prepare("UPDATE kv SET v = 'green' WHERE k = 'color'").run();
    b.app.prepare("UPDATE kv SET v = 'greener' WHERE k = 'color'").run();
    both(a, b);
    converged(a, b);
    expect(b.app.prepare("SELECT * FROM kv WHERE k = 'color'").get()).toBeUndefined();
    b.app.prepare("INSERT INTO kv (k, v) VALUES ('color', 'back')").run();
    both(a, b);
    converged(a, b);
    expect(a.app.prepare("SELECT v FROM kv WHERE k = 'color'").get()).toEqual({ v: 'back' });
    const clock = a.store.db.prepare(`SELECT cl FROM ${CLOCK} WHERE tbl = 'kv'`).get() as { cl: number };
    expect(clock.cl).toBe(3);
  });

  it('moves changes in pages and resumes an interrupted catch-up from the persisted position', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    const insert = a.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    a.app.transaction(() => {
      for (let i = 0; i < 5000; i++) insert.run(`k${i}`, `value ${i}`);
    })();
    a.store.capture();
    const first = a.store.changesAfter(b.store.position('a'), 'b', 2000);
    expect(first.rows).toHaveLength(2000);
    expect(first.more).toBe(true);
    b.store.applyPage(first, 'a');
    // Stop there, as a killed process would, and start again.
    b.reopen();
    expect(b.store.position('a')).toBe(first.to);
    expect(pull(a, b, 2000)).toBe(2);
    converged(a, b);
    expect(b.app.prepare('SELECT count(*) AS n FROM kv').get()).toEqual({ n: 5001 });
  });

  it('bounds a page by bytes too', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    const insert = a.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    for (let i = 0; i < 50; i++) insert.run(`big${i}`, 'x'.repeat(10_000));
    a.store.capture();
    const page = a.store.changesAfter(0, 'b', 2000, 100_000);
    expect(page.rows.length).toBeLessThan(15);
    expect(page.more).toBe(true);
    let pages = 0;
    for (let at = 0; ; pages++) {
      const p = a.store.changesAfter(at, 'b', 2000, 100_000);
      b.store.applyPage(p, 'a');
      at = p.to;
      if (!p.more) break;
    }
    expect(pages).toBeGreaterThan(3);
    converged(a, b);
  });

  it('rolls back a failed request from the OLD values in the log, leaving the clock alone', () => {
    const a = setup('a', 1);
    a.app.prepare("UPDATE kv SET v = 'committed' WHERE k = 'color'").run();
    const before = tableChecksum(a.file, TABLES);
    const digest = a.store.digest();
    const mark = a.store.mark();
    a.app.prepare("UPDATE kv SET v = 'failed' WHERE k = 'color'").run();
    a.app.prepare("INSERT INTO notes (title, body) VALUES ('failed', x'01')").run();
    a.app.prepare('UPDATE notes SET id = 77 WHERE id = 2').run();
    a.app.prepare('DELETE FROM notes WHERE id = 1').run(); // cascades to likes
    expect(a.store.generatedKeysSince(mark)).toBe(true);
    a.store.rollback(mark);
    expect(tableChecksum(a.file, TABLES)).toBe(before);
    expect(a.store.generatedKeysSince(mark)).toBe(false);
    // The committed write before the mark is still captured.
    expect(a.store.capture()).toBe(1);
    expect(a.store.digest()).not.toBe(digest);
  });

  it('a fresh edge takes the cloud copy: snapshot rows the cloud does not have are dropped', () => {
    const cloud = setup('cloud', 0);
    const edge = setup('edge', 1, false);
    cloud.app.prepare("UPDATE kv SET v = 'newer' WHERE k = 'color'").run();
    cloud.app.prepare('DELETE FROM notes WHERE id = 2').run();
    edge.store.db.prepare("INSERT INTO kv (k, v) VALUES ('only-on-edge', 'x')").run();
    edge.store.db.prepare(`DELETE FROM __edgstr_changes`).run();
    expect(edge.store.fresh).toBe(true);
    pull(cloud, edge);
    edge.store.dropUnclocked();
    expect(edge.store.fresh).toBe(false);
    converged(cloud, edge);
  });

  it('keeps the key-range and schema behaviour of the replicated tables', () => {
    const a = setup('a', 0);
    const info = readTableInfo(a.store.db, 'likes');
    expect(info.autoincrement).toBe(true);
    expect(a.store.db.prepare('SELECT who FROM likes WHERE id = 1').get()).toEqual({ who: 'ann' });
    expect(addAutoincrement('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)', 'id')).toBe(
      'CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT)');
    expect(nextSequence(5, 1)).toBe(SLOT_SIZE);
    expect(nextSequence(SLOT_SIZE + 3, 0)).toBe(WINDOW_SIZE);
    const t = tempDir('missing');
    cleanups.push(t.cleanup);
    expect(() => new TableStore({ file: `${t.dir}/nope.db`, tables: TABLES }, 'db', 'x', 0)).toThrow(/does not exist/);
    expect(existsSync(`${t.dir}/nope.db`)).toBe(false);
  });

  it('never collides on keys inserted concurrently at two replicas', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    for (let i = 0; i < 3; i++) {
      a.app.prepare("INSERT INTO notes (title) VALUES ('a')").run();
      b.app.prepare("INSERT INTO notes (title) VALUES ('b')").run();
      both(a, b);
    }
    converged(a, b);
    expect(a.app.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 8 });
  });
});

describe('capture of a bulk write', () => {
  it('captures a write of 12,000 rows in chunks, updates logged in two chunks included', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    const insert = a.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    a.app.transaction(() => {
      for (let i = 0; i < 6000; i++) insert.run(`k${i}`, 'first');
      a.app.prepare("UPDATE kv SET v = 'second' WHERE k LIKE 'k1%'").run();
    })();
    expect(a.store.pending()).toBeGreaterThan(6000);
    a.store.capture();
    expect(a.store.pending()).toBe(0);
    pull(a, b);
    converged(a, b);
    expect(b.app.prepare("SELECT count(*) AS n FROM kv WHERE v = 'second'").get()).toEqual({ n: 1111 });
  });
});

describe('pages while the app writes', () => {
  it('leaves out a row deleted by the app after the capture; its delete follows', () => {
    const a = setup('a', 1);
    const b = setup('b', 2);
    a.app.prepare("INSERT INTO kv (k, v) VALUES ('gone', 'soon')").run();
    a.store.capture();
    a.app.prepare("DELETE FROM kv WHERE k = 'gone'").run();
    const page = a.store.changesAfter(b.store.position('a'), 'b');
    expect(page.rows.map((r) => r[1])).not.toContain('["gone"]');
    b.store.applyPage(page, 'a');
    expect(b.app.prepare("SELECT * FROM kv WHERE k = 'gone'").get()).toBeUndefined();
    pull(a, b);
    converged(a, b);
  });
});
