import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { PAGE_ROWS, TableStore } from '../../src/runtime/table-store.js';
import { TableSync } from '../../src/runtime/sync/table-sync.js';
import { parseWireMessage, type TableWireMessage, type WireMessage } from '../../src/runtime/sync/messages.js';
import type { Connection } from '../../src/runtime/sync/transport.js';
import { makeDb, tableChecksum, tempDir } from './helpers.js';

const TABLES = ['kv', 'likes', 'notes'];
const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

/** A queue of deliveries shared by every link, run to the end by `settle()`. */
const queue: (() => void)[] = [];
function settle(limit = Infinity): number {
  let n = 0;
  while (queue.length > 0 && n < limit) {
    queue.shift()!();
    n++;
  }
  return n;
}

interface Node {
  name: string;
  file: string;
  app: Database.Database;
  store: TableStore;
  sync: TableSync;
  bytes: { n: number; pages: number };
}

function node(name: string, rangeIndex: number, seed = true): Node {
  const t = tempDir(name);
  const file = `${t.dir}/app.db`;
  makeDb(file);
  const store = new TableStore({ file, tables: TABLES }, 'db-app', name, rangeIndex);
  if (seed) store.seed();
  const bytes = { n: 0, pages: 0 };
  const n: Node = { name, file, app: new Database(file), store, sync: new TableSync(new Map([['db-app', store]])), bytes };
  cleanups.push(() => {
    n.app.close();
    n.store.close();
    t.cleanup();
  });
  return n;
}

/** Connects two nodes; messages go through JSON and parseWireMessage as on the wire. */
function link(a: Node, b: Node): { close(): void; ab: Connection; ba: Connection; bytes: { n: number } } {
  let open = true;
  const linkBytes = { n: 0 };
  const make = (self: Node, other: Node, getBack: () => Connection): Connection => ({
    remoteId: other.name,
    send(message: WireMessage) {
      const text = JSON.stringify(message);
      self.bytes.n += text.length;
      linkBytes.n += text.length;
      if (message.type === 'tpage') self.bytes.pages++;
      queue.push(() => {
        if (!open) return;
        const msg = parseWireMessage(JSON.parse(text), 32 * 2 ** 20);
        if (typeof msg === 'string') throw new Error(msg);
        if (other.sync.handle(getBack(), msg as TableWireMessage)) other.sync.pumpAll();
      });
    },
    onMessage() {},
    onClose() {},
    close() {
      open = false;
    },
  });
  // a's connection to b is ab; b receives on ba.
  const ab: Connection = make(a, b, () => ba);
  const ba: Connection = make(b, a, () => ab);
  a.sync.connect(ab);
  b.sync.connect(ba);
  return {
    ab,
    ba,
    bytes: linkBytes,
    close() {
      open = false;
      a.sync.disconnect(ab);
      b.sync.disconnect(ba);
    },
  };
}

function write(n: Node, sql: string): void {
  n.app.prepare(sql).run();
  n.store.capture();
  n.sync.pumpAll();
}

describe('table sync (pull after version, paged, relayed)', () => {
  it('catches a fresh edge up in pages and resumes where an interrupted catch-up stopped', () => {
    const cloud = node('cloud', 0);
    const insert = cloud.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
    cloud.app.transaction(() => {
      for (let i = 0; i < 9000; i++) insert.run(`k${i}`, `value ${i}`);
    })();
    cloud.store.capture();
    const edge = node('edge', 1, false);
    let l = link(cloud, edge);
    // Deliver until the edge applied two pages, then drop the connection.
    while (edge.store.position('cloud') < 4000) settle(1);
    const reached = edge.store.position('cloud');
    // Between pages of a catch-up the edge is not caught up (health's caughtUp, the initial
    // sync and a site's readiness read this): it once said so after every page.
    expect(reached).toBeLessThan(cloud.store.head());
    expect(edge.sync.hasTheirChanges(l.ba)).toBe(false);
    l.close();
    queue.length = 0;
    cloud.bytes.pages = 0;
    l = link(cloud, edge);
    settle();
    expect(edge.store.position('cloud')).toBe(cloud.store.head());
    // Only what was missing was sent again.
    expect(cloud.bytes.pages).toBe(Math.ceil((cloud.store.head() - reached) / PAGE_ROWS));
    const [conn] = [l.ba];
    expect(edge.sync.hasTheirChanges(conn)).toBe(true);
    edge.store.dropUnclocked();
    expect(tableChecksum(edge.file, TABLES)).toBe(tableChecksum(cloud.file, TABLES));
    expect(edge.store.digest()).toBe(cloud.store.digest());
  });

  it('relays an edge write to the other edges through the cloud, never back to its writer, in under 300 bytes', () => {
    const cloud = node('cloud', 0);
    const e1 = node('e1', 1);
    const e2 = node('e2', 2);
    const l1 = link(cloud, e1);
    link(cloud, e2);
    settle();
    l1.bytes.n = 0;
    e1.bytes.pages = 0;
    write(e1, "UPDATE kv SET v = 'from e1' WHERE k = 'color'");
    settle();
    expect(e2.app.prepare("SELECT v FROM kv WHERE k = 'color'").get()).toEqual({ v: 'from e1' });
    expect(e1.bytes.pages).toBe(1);
    // e1 <-> cloud: one page and one acknowledgement (JSON; socket.io adds ~10 bytes each).
    expect(l1.bytes.n).toBeLessThan(280);
    for (const n of [e1, e2]) expect(n.store.digest()).toBe(cloud.store.digest());
    expect(e1.sync.hasTheirChanges(l1.ba)).toBe(true);
    expect(e1.sync.unconfirmed()).toBe(0);
    expect(cloud.sync.unconfirmed()).toBe(0);
  });

  it('merges concurrent writes at two edges the same way everywhere', () => {
    const cloud = node('cloud', 0);
    const e1 = node('e1', 1);
    const e2 = node('e2', 2);
    link(cloud, e1);
    link(cloud, e2);
    settle();
    e1.app.prepare("UPDATE notes SET title = 'e1 title' WHERE id = 1").run();
    e2.app.prepare("UPDATE notes SET body = x'02' WHERE id = 1").run();
    e2.app.prepare('DELETE FROM kv').run();
    e1.app.prepare("UPDATE kv SET v = 'lost to the delete'").run();
    for (const n of [e1, e2]) {
      n.store.capture();
      n.sync.pumpAll();
    }
    settle();
    for (const n of [e1, e2]) {
      expect(tableChecksum(n.file, TABLES)).toBe(tableChecksum(cloud.file, TABLES));
      expect(n.store.digest()).toBe(cloud.store.digest());
    }
    expect(cloud.app.prepare('SELECT title, hex(body) AS b FROM notes WHERE id = 1').get()).toEqual({ title: 'e1 title', b: '02' });
    expect(cloud.app.prepare('SELECT count(*) AS n FROM kv').get()).toEqual({ n: 0 });
  });
});

