// The replicated state of bench-hub.mjs, shared by the hub and the edges: the donut shop's
// tables (subjects/donutshop/src/db.js: shops, donuts, employees, with its seed rows), an
// `orders` table every edge inserts into under its own keys (`<edge>:<n>`, so inserts never
// collide and need no key range: the cloud has only 63 slots to grant, fewer than the edges
// this bench runs), and one replicated global, `sold`, a counter (the small globals document).
import Database from 'better-sqlite3';

export const TABLES = ['shops', 'donuts', 'employees', 'orders'];
export const GLOBALS = ['sold'];
/** The shared rows edges update (donuts 1..8): concurrent updates, last writer wins per column. */
export const SHARED_ROWS = 8;

const SCHEMA = `
  CREATE TABLE shops (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, city TEXT NOT NULL, opens_at TEXT NOT NULL DEFAULT '07:00');
  CREATE TABLE donuts (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, price_cents INTEGER NOT NULL, stock INTEGER NOT NULL DEFAULT 0, shop_id INTEGER NOT NULL);
  CREATE TABLE employees (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, role TEXT NOT NULL, shop_id INTEGER NOT NULL);
  CREATE TABLE orders (id TEXT PRIMARY KEY, edge TEXT NOT NULL, donut_id INTEGER NOT NULL, qty INTEGER NOT NULL, placed_at REAL NOT NULL, note TEXT);`;

/** Writes the snapshot every replica starts from (the donut shop's seed, no orders). */
export function writeSeed(file) {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA);
    const shops = [['Glazed & Confused', 'Portland', '06:30'], ['Hole Foods', 'Seattle', '07:00'], ['The Donut Hole', 'Boise', '08:00']];
    const flavours = ['Glazed', 'Chocolate', 'Maple Bar', 'Boston Cream', 'Jelly', 'Old Fashioned', 'Cruller', 'Bear Claw'];
    const roles = ['baker', 'cashier', 'manager'];
    db.transaction(() => {
      for (const s of shops) db.prepare('INSERT INTO shops (name, city, opens_at) VALUES (?, ?, ?)').run(...s);
      flavours.forEach((name, i) => db.prepare('INSERT INTO donuts (name, price_cents, stock, shop_id) VALUES (?, ?, ?, ?)').run(name, 150 + i * 25, 20 + i * 5, (i % 3) + 1));
      ['Ana', 'Ben', 'Chloe', 'Dev', 'Eli', 'Fay', 'Gus'].forEach((name, i) => db.prepare('INSERT INTO employees (name, role, shop_id) VALUES (?, ?, ?)').run(name, roles[i % 3], (i % 3) + 1));
    })();
  } finally {
    db.close();
  }
}

/** The replica configuration both sides share (the rest is role-specific). */
export function replicaConfig({ role, nodeId, secret, dataDir, dbFile, root, cloudUrl, flushIntervalMs }) {
  return {
    role,
    nodeId,
    secret,
    dataDir,
    ...(cloudUrl ? { cloudUrl } : {}),
    // The cloud is 0; operator-named edges claim nothing: the cloud grants a slot (or has none left).
    rangeIndex: role === 'cloud' ? 0 : null,
    tables: [{ file: dbFile, tables: TABLES }],
    files: { root, paths: [] },
    globals: GLOBALS,
    ...(flushIntervalMs ? { flushIntervalMs } : {}),
  };
}

/** Wall-clock milliseconds with sub-millisecond resolution (comparable across processes of one machine). */
export const nowMs = () => performance.timeOrigin + performance.now();
