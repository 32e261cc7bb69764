/**
 * What CRDT-Table needs to know about a replicated SQLite table, and the schema work done once
 * when a replica starts: the change-log and control tables, capture triggers, the rewrite of
 * plain `INTEGER PRIMARY KEY` tables to AUTOINCREMENT, and the per-replica key range.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { fnv1a } from './util.js';

type Db = BetterSqlite3.Database;

export interface TableInfo {
  name: string;
  columns: string[];
  /** Primary-key columns in key order; empty when rows are keyed by the hidden rowid. */
  pk: string[];
  /** A single `INTEGER PRIMARY KEY` column: the rowid itself, allocated by SQLite as max+1. */
  rowidAlias: boolean;
  autoincrement: boolean;
}

export const CHANGES = '__edgstr_changes';
export const CONTROL = '__edgstr_ctl';

export function q(ident: string): string {
  return `"${ident.replace(/"/g, '""')}"`;
}

export function readTableInfo(db: Db, name: string): TableInfo {
  const row = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) as
    | { sql: string }
    | undefined;
  if (!row) throw new Error(`replicated table "${name}" does not exist in ${db.name}: check the generated config`);
  const cols = db.prepare(`PRAGMA table_info(${q(name)})`).all() as { name: string; type: string; pk: number }[];
  const pkCols = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk);
  const withoutRowid = /\)\s*WITHOUT\s+ROWID\s*;?\s*$/i.test(row.sql);
  const rowidAlias = !withoutRowid && pkCols.length === 1 && pkCols[0]!.type.trim().toUpperCase() === 'INTEGER';
  return {
    name,
    columns: cols.map((c) => c.name),
    pk: pkCols.map((c) => c.name),
    rowidAlias,
    autoincrement: /\bAUTOINCREMENT\b/i.test(row.sql),
  };
}

/** Creates the change log and the one-row control table that switches capture off. */
export function installControlTables(db: Db): void {
  db.exec(`
    CREATE TABLE IF NOT EXISTS ${CHANGES} (
      seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, op TEXT NOT NULL, key TEXT NOT NULL, old TEXT);
    CREATE TABLE IF NOT EXISTS ${CONTROL} (
      id INTEGER PRIMARY KEY CHECK (id = 1), suppress INTEGER NOT NULL DEFAULT 0);
    INSERT OR IGNORE INTO ${CONTROL} (id, suppress) VALUES (1, 0);
    UPDATE ${CONTROL} SET suppress = 0;`);
  // Logs written before OLD values were recorded (table-store.ts): add the column.
  const cols = db.prepare(`PRAGMA table_info(${CHANGES})`).all() as { name: string }[];
  if (!cols.some((c) => c.name === 'old')) db.exec(`ALTER TABLE ${CHANGES} ADD COLUMN old TEXT`);
}

/** The OLD row as a JSON array in column order (blobs as `{"$b": hex}`: JSON cannot hold blobs). */
function oldExpr(info: TableInfo): string {
  const cols = info.columns.map((c) => `CASE typeof(OLD.${q(c)}) WHEN 'blob' THEN json_object('$b', lower(hex(OLD.${q(c)}))) ELSE OLD.${q(c)} END`);
  return `json_array(${cols.join(', ')})`;
}

/** The SQL expression of a row's key inside a trigger (`NEW` or `OLD`). */
function keyExpr(info: TableInfo, ref: 'NEW' | 'OLD'): string {
  const cols = info.pk.length > 0 ? info.pk.map((c) => `${ref}.${q(c)}`) : [`${ref}.rowid`];
  return `json_array(${cols.join(', ')})`;
}

/**
 * AFTER triggers log the key of every changed row. The WHEN clause reads the control table, so
 * the runtime's own writes of remote changes (made with suppress = 1 inside its transaction,
 * reset before commit, so no other connection ever sees 1) are not captured again.
 */
export function installTriggers(db: Db, info: TableInfo): void {
  const base = `__edgstr_${info.name.replace(/[^A-Za-z0-9_]/g, '_')}_${fnv1a(info.name).toString(16)}`;
  const when = `WHEN (SELECT suppress FROM ${CONTROL} WHERE id = 1) = 0`;
  // OLD values: what capture compares with (which columns changed) and what rollback restores.
  const log = (op: string, ref: 'NEW' | 'OLD', where = ''): string =>
    `INSERT INTO ${CHANGES} (tbl, op, key, old) SELECT ${sqlString(info.name)}, '${op}', ${keyExpr(info, ref)}, ${ref === 'OLD' ? oldExpr(info) : 'NULL'}${where};`;
  db.transaction(() => {
    for (const suffix of ['ins', 'upd', 'del']) db.exec(`DROP TRIGGER IF EXISTS ${q(`${base}_${suffix}`)}`);
    db.exec(`CREATE TRIGGER ${q(`${base}_ins`)} AFTER INSERT ON ${q(info.name)} ${when} BEGIN ${log('i', 'NEW')} END`);
    // An update may change the key itself: log the old key (now gone) and the new one.
    db.exec(`CREATE TRIGGER ${q(`${base}_upd`)} AFTER UPDATE ON ${q(info.name)} ${when} BEGIN
      ${log('u', 'OLD')} ${log('i', 'NEW', ` WHERE ${keyExpr(info, 'NEW')} IS NOT ${keyExpr(info, 'OLD')}`)} END`);
    db.exec(`CREATE TRIGGER ${q(`${base}_del`)} AFTER DELETE ON ${q(info.name)} ${when} BEGIN ${log('d', 'OLD')} END`);
  })();
}

function sqlString(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/**
 * Rewrites a plain `INTEGER PRIMARY KEY` table to `INTEGER PRIMARY KEY AUTOINCREMENT` (the
 * SQLite "12-step" table rebuild, in one transaction): only AUTOINCREMENT tables have a
 * `sqlite_sequence` entry, the one lever that moves SQLite's key allocation into this replica's
 * range. Columns, rows, rowids, indexes and triggers are kept; the app's statements re-prepare.
 */
export function rewriteToAutoincrement(db: Db, info: TableInfo): TableInfo {
  const master = db.prepare("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?").get(info.name) as {
    sql: string;
  };
  const tmp = '__edgstr_rewrite';
  const renamed = master.sql.replace(
    /^\s*CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(?:"(?:[^"]|"")*"|\[[^\]]*\]|`[^`]*`|[^\s(]+)/i,
    `CREATE TABLE ${q(tmp)}`,
  );
  const newSql = addAutoincrement(renamed, info.pk[0]!);
  if (newSql === null || newSql === renamed) {
    throw new Error(
      `cannot add AUTOINCREMENT to table "${info.name}" (${master.sql}); declare its key as INTEGER PRIMARY KEY AUTOINCREMENT`,
    );
  }
  const extras = db
    .prepare("SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL")
    .all(info.name) as { sql: string }[];
  const fk = db.pragma('foreign_keys', { simple: true }) as number;
  const legacy = db.pragma('legacy_alter_table', { simple: true }) as number;
  // foreign_keys can only change outside a transaction. legacy_alter_table keeps RENAME from
  // rewriting other tables' references and from checking views while the table is missing.
  db.pragma('foreign_keys = OFF');
  db.pragma('legacy_alter_table = ON');
  try {
    db.transaction(() => {
      const cols = info.columns.map(q).join(', ');
      db.exec(newSql);
      db.exec(`INSERT INTO ${q(tmp)} (${cols}) SELECT ${cols} FROM ${q(info.name)}`);
      db.exec(`DROP TABLE ${q(info.name)}`);
      db.exec(`ALTER TABLE ${q(tmp)} RENAME TO ${q(info.name)}`);
      for (const e of extras) db.exec(e.sql);
      const after = readTableInfo(db, info.name);
      if (!after.autoincrement || after.pk.join() !== info.pk.join()) {
        throw new Error(`rewrite of table "${info.name}" to AUTOINCREMENT did not keep its primary key`);
      }
    })();
  } finally {
    db.pragma(`legacy_alter_table = ${legacy ? 'ON' : 'OFF'}`);
    db.pragma(`foreign_keys = ${fk ? 'ON' : 'OFF'}`);
  }
  return readTableInfo(db, info.name);
}

/** Adds AUTOINCREMENT to the primary key clause; null when the shape is not recognized. */
export function addAutoincrement(sql: string, pkColumn: string): string | null {
  // Column constraint: `id INTEGER PRIMARY KEY [ASC|DESC] [ON CONFLICT x]` (not followed by "(").
  const colForm = /(\bPRIMARY\s+KEY(?:\s+(?:ASC|DESC))?(?:\s+ON\s+CONFLICT\s+\w+)?)(?!\s*\()/i;
  if (colForm.test(sql)) return sql.replace(colForm, '$1 AUTOINCREMENT');
  // Table constraint: `PRIMARY KEY (id)` -> `PRIMARY KEY (id AUTOINCREMENT)` (SQLite accepts it).
  const esc = pkColumn.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const tableForm = new RegExp(`(\\bPRIMARY\\s+KEY\\s*\\(\\s*(?:"${esc}"|\`${esc}\`|\\[${esc}\\]|${esc}))(\\s*\\))`, 'i');
  if (tableForm.test(sql)) return sql.replace(tableForm, '$1 AUTOINCREMENT$2');
  return null;
}

/**
 * Key ranges. SQLite allocates an AUTOINCREMENT key as max(largest rowid, sqlite_sequence) + 1,
 * so a fixed range per replica is not enough: once another replica's higher keys arrive, the
 * next local key would follow them. Keys are therefore laid out in windows of 64 slots of
 * 2^24 keys; replica r only ever allocates inside slot r of some window. Whenever the table's
 * top key is not in this replica's slot (after remote rows were applied, at start) or the slot
 * is 3/4 full, sqlite_sequence is moved to the start of slot r in the lowest window above the
 * top key. Two replicas therefore never generate the same key, whatever they receive when.
 */
export const SLOT_BITS = 24;
export const SLOT_SIZE = 2 ** SLOT_BITS;
export const SLOTS = 64;
export const WINDOW_SIZE = SLOT_SIZE * SLOTS;

/** The sqlite_sequence value that makes the next key land in slot `rangeIndex`, or null if it already does. */
export function nextSequence(top: number, rangeIndex: number): number | null {
  const window = Math.floor(top / WINDOW_SIZE);
  const slot = Math.floor((top % WINDOW_SIZE) / SLOT_SIZE);
  const offset = top % SLOT_SIZE;
  if (slot === rangeIndex && offset < (SLOT_SIZE * 3) / 4) return null;
  const targetWindow = slot < rangeIndex ? window : window + 1;
  return targetWindow * WINDOW_SIZE + rangeIndex * SLOT_SIZE;
}

export function ensureKeyRange(db: Db, info: TableInfo, rangeIndex: number): void {
  if (!info.rowidAlias || !info.autoincrement) return;
  const max = (db.prepare(`SELECT max(rowid) AS m FROM ${q(info.name)}`).get() as { m: number | null }).m ?? 0;
  const seqRow = db.prepare('SELECT seq FROM sqlite_sequence WHERE name = ?').get(info.name) as
    | { seq: number }
    | undefined;
  const top = Math.max(max, seqRow?.seq ?? 0);
  const next = nextSequence(top, rangeIndex);
  if (next === null) return;
  if (next + SLOT_SIZE > Number.MAX_SAFE_INTEGER) throw new Error(`key space of table "${info.name}" is exhausted`);
  if (seqRow) db.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(next, info.name);
  else db.prepare('INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)').run(info.name, next);
}
