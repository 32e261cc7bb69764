/**
 * CRDT-Table: the replicated tables of one SQLite file as one Automerge document.
 *
 *   doc[table][bucket][rowKey] = { column: value, ... }
 *
 * rowKey is the JSON array of the primary-key values (or of the rowid), bucket = FNV-1a(rowKey)
 * mod 64 (Automerge's cost per change grows with the size of the map it touches). Each bucket
 * map is created by a deterministic genesis change, so replicas never race to create it.
 * Columns merge last-writer-wins one by one; a deleted row is removed from its bucket.
 */
import * as A from '@automerge/automerge';
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { AfterPersist, CrdtAdapter, RemoteUpdate } from './adapter.js';
import { DocStore, genesisChanges, type DocRoot } from './doc-store.js';
import {
  CHANGES, CONTROL, ensureKeyRange, installControlTables, installTriggers, q, readTableInfo,
  rewriteToAutoincrement, type TableInfo,
} from './table-schema.js';
import { bytesEqual, fnv1a, rlog } from './util.js';
import type { ReplicatedDatabase } from './api.js';

export const BUCKETS = 64;
/**
 * Rows per Automerge change when a capture or seed is large. Automerge's WASM memory grows to
 * the largest change it builds and never shrinks: one change of 10,000 rows left ~40 MB of it
 * behind, ten of 1,000 rows ~10 MB. The changes of one capture still go out in one sync
 * message and are applied at the peer in one SQL transaction.
 */
const ROWS_PER_CHANGE = 1000;
type SqlValue = null | number | bigint | string | Uint8Array;
type SqlRow = Record<string, SqlValue>;
type DocRow = Record<string, unknown>;

export function bucketOf(key: string): string {
  return `b${(fnv1a(key) % BUCKETS).toString().padStart(2, '0')}`;
}

interface TableMark {
  logSeq: number;
  sequences: Map<string, number | undefined>;
}

export class TableCrdt implements CrdtAdapter {
  readonly store: DocStore;
  readonly volatile = false;
  readonly db: Database.Database;
  private readonly tables = new Map<string, TableInfo>();
  private readonly stmts = new Map<string, Database.Statement>();
  /**
   * Log rows up to here are in the document; they are deleted once it is fsynced. 0 after a
   * start: whatever the log still holds is captured again (comparing with the document is
   * idempotent).
   */
  private capturedUpTo = 0;
  readonly captureBeforeMark = false;
  /**
   * Rows written by committed local requests and not yet captured, as they were at the last
   * mark() (null: absent), keyed `table\0key`; valid for log rows up to `shadowUpTo`. The
   * document does not have these values yet, so a rollback restores them from here.
   */
  private readonly shadow = new Map<string, SqlRow | null>();
  private shadowUpTo = 0;

  constructor(config: ReplicatedDatabase, dataDir: string, docId: string, private rangeIndex: number | null) {
    if (!existsSync(config.file)) {
      // Opening would create an empty file, and an app that seeds its database only when the
      // file is missing would then never seed it.
      throw new Error(`replicated database ${config.file} does not exist: start from the snapshot (or let the app create it first)`);
    }
    this.db = new Database(config.file, { timeout: 10_000, fileMustExist: true });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    // Remote rows arrive in bucket order, not in the order their foreign keys need; they were
    // valid where they were written. Cascades of a remote delete arrive as their own changes.
    this.db.pragma('foreign_keys = OFF');
    // NORMAL (WAL) survives a process crash; what a power loss could drop from this connection
    // (applied remote rows, log deletions) is redone from the fsynced document at start-up.
    this.db.pragma('synchronous = NORMAL');
    installControlTables(this.db);
    for (const name of [...config.tables].sort()) {
      let info = readTableInfo(this.db, name);
      if (info.rowidAlias && !info.autoincrement) {
        rlog.info(`table "${name}": rewriting INTEGER PRIMARY KEY to AUTOINCREMENT so each replica gets its own key range`);
        info = rewriteToAutoincrement(this.db, info);
      }
      if (info.pk.length === 0) {
        rlog.warn(`table "${name}" has no primary key: rows are keyed by rowid, concurrent inserts at two replicas may collide`);
      }
      installTriggers(this.db, info);
      if (rangeIndex !== null) ensureKeyRange(this.db, info, rangeIndex);
      this.tables.set(name, info);
    }
    this.store = new DocStore(dataDir, docId);
    for (const name of this.tables.keys()) {
      this.store.ensureGenesis(genesisChanges(`table:${name}`, (d) => {
        const buckets: Record<string, object> = {};
        for (let i = 0; i < BUCKETS; i++) buckets[`b${i.toString().padStart(2, '0')}`] = {};
        d[name] = buckets;
      }));
    }
  }

  capture(): AfterPersist | null {
    let upTo = 0;
    this.db.transaction(() => {
      upTo = this.captureInto();
    })();
    return upTo > 0 ? () => this.deleteLog(upTo) : null;
  }

  receive(update: RemoteUpdate, captureFirst: boolean): AfterPersist | null {
    let upTo = 0;
    // IMMEDIATE: hold the write lock from the capture to the apply, so no app write can slip
    // in between and be overwritten by the remote value without having been captured.
    this.db.transaction(() => {
      if (captureFirst) upTo = this.captureInto();
      // Remote values may land on rows the shadow holds: the next mark() reads them again.
      this.dropShadow();
      const before = A.getHeads(this.store.doc);
      const patches: A.Patch[] = [];
      this.store.doc = update(this.store.doc, patches);
      const after = A.getHeads(this.store.doc);
      if (before.join() === after.join()) return;
      const dirty = new Map<string, Set<string>>();
      const whole = new Set<string>();
      for (const patch of patches) {
        const [table, , key] = patch.path;
        if (typeof table !== 'string' || !this.tables.has(table)) continue;
        if (typeof key === 'string') {
          let keys = dirty.get(table);
          if (!keys) dirty.set(table, (keys = new Set()));
          keys.add(key);
        } else {
          whole.add(table);
        }
      }
      this.suppressed(() => {
        for (const [table, keys] of dirty) {
          if (whole.has(table)) continue;
          const info = this.tables.get(table)!;
          for (const key of keys) this.writeRow(info, key, this.docRow(table, key), false);
        }
        for (const table of whole) this.reconcileTable(this.tables.get(table)!);
        this.ensureKeyRanges();
      });
    }).immediate();
    return upTo > 0 ? () => this.deleteLog(upTo) : null;
  }

  mark(): TableMark {
    const seqOf = this.stmt('SELECT seq FROM sqlite_sequence WHERE name = ?');
    const logSeq = (seqOf.get(CHANGES) as { seq: number } | undefined)?.seq ?? 0;
    const from = Math.max(this.shadowUpTo, this.capturedUpTo);
    if (logSeq > from) {
      // Only the keys logged since the previous mark (usually the previous request's).
      const keys = this.stmt(`SELECT DISTINCT tbl, key FROM ${CHANGES} WHERE seq > ? AND seq <= ?`).all(from, logSeq) as {
        tbl: string;
        key: string;
      }[];
      for (const { tbl, key: rawKey } of keys) {
        const info = this.tables.get(tbl);
        if (!info) continue;
        const key = canonicalKey(rawKey);
        this.shadow.set(`${tbl}\0${key}`, this.readRow(info, key) ?? null);
      }
      this.shadowUpTo = logSeq;
    }
    const sequences = new Map<string, number | undefined>();
    for (const name of this.tables.keys()) {
      const row = seqOf.get(name) as { seq: number } | undefined;
      sequences.set(name, row?.seq);
    }
    return { logSeq, sequences };
  }

  /** Moves key allocation to the slot the cloud granted (key-ranges.ts). */
  setRangeIndex(rangeIndex: number): void {
    this.rangeIndex = rangeIndex;
    this.db.transaction(() => this.ensureKeyRanges())();
  }

  /** Whether a row was inserted with a generated key since `markValue` (its sqlite_sequence moved). */
  generatedKeysSince(markValue: unknown): boolean {
    const mark = markValue as TableMark;
    const seqOf = this.stmt('SELECT seq FROM sqlite_sequence WHERE name = ?');
    for (const [name, seq] of mark.sequences) {
      if ((seqOf.get(name) as { seq: number } | undefined)?.seq !== seq) return true;
    }
    return false;
  }

  private ensureKeyRanges(): void {
    if (this.rangeIndex === null) return;
    for (const info of this.tables.values()) ensureKeyRange(this.db, info, this.rangeIndex);
  }

  rollback(markValue: unknown): void {
    const mark = markValue as TableMark;
    this.db.transaction(() => {
      const rows = this.db.prepare(`SELECT DISTINCT tbl, key FROM ${CHANGES} WHERE seq > ?`).all(mark.logSeq) as {
        tbl: string;
        key: string;
      }[];
      this.suppressed(() => {
        for (const { tbl, key: rawKey } of rows) {
          const info = this.tables.get(tbl);
          if (!info) continue;
          const key = canonicalKey(rawKey);
          // Committed but not yet captured: the value at mark() is in the shadow, not the document.
          const shadowed = this.shadow.get(`${tbl}\0${key}`);
          this.writeRow(info, key, shadowed === undefined ? this.docRow(tbl, key) : shadowed ?? undefined, true);
        }
        for (const [name, seq] of mark.sequences) {
          if (seq === undefined) this.db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(name);
          else this.db.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(seq, name);
        }
      });
      this.db.prepare(`DELETE FROM ${CHANGES} WHERE seq > ?`).run(mark.logSeq);
    })();
  }

  seed(): void {
    this.db.transaction(() => {
      for (const info of this.tables.values()) {
        let batch: SqlRow[] = [];
        const put = (): void => {
          const rows = batch;
          batch = [];
          this.store.doc = A.change(this.store.doc, { message: 'seed' }, (d) => {
            for (const row of rows) {
              const key = rowKey(info, row);
              const bucket = (d[info.name] as Record<string, Record<string, DocRow>>)[bucketOf(key)]!;
              if (!(key in bucket)) bucket[key] = toDocRow(info, row);
            }
          });
        };
        for (const row of this.db.prepare(`SELECT ${selectList(info)} FROM ${q(info.name)}`).iterate() as Iterable<SqlRow>) {
          batch.push(row);
          if (batch.length >= ROWS_PER_CHANGE) put();
        }
        if (batch.length > 0) put();
      }
    })();
  }

  reconcile(): void {
    this.db.transaction(() => {
      this.suppressed(() => {
        for (const info of this.tables.values()) {
          this.reconcileTable(info);
          if (this.rangeIndex !== null) ensureKeyRange(this.db, info, this.rangeIndex);
        }
      });
    }).immediate();
  }

  pending(): number {
    return (this.stmt(`SELECT count(*) AS n FROM ${CHANGES} WHERE seq > ?`).get(this.capturedUpTo) as { n: number }).n;
  }

  close(): void {
    this.db.close();
  }

  /** Turns the logged keys into one Automerge change; returns the last log seq it covered. */
  private captureInto(): number {
    const upTo = (this.stmt(`SELECT max(seq) AS m FROM ${CHANGES}`).get() as { m: number | null }).m;
    if (upTo === null || upTo <= this.capturedUpTo) return 0;
    // Everything logged so far is about to be in the document (if this throws, the next
    // mark() reads the rows again from capturedUpTo).
    this.dropShadow();
    const keys = this.stmt(`SELECT DISTINCT tbl, key FROM ${CHANGES} WHERE seq > ? AND seq <= ?`).all(this.capturedUpTo, upTo) as {
      tbl: string;
      key: string;
    }[];
    // Compare against the materialized document (plain objects, cheap) and only then write
    // through Automerge's proxies (expensive): most of a capture's cost is in the proxies.
    const work: { tbl: string; key: string; row: SqlRow | undefined; cols: string[] | null }[] = [];
    for (const { tbl, key: rawKey } of keys) {
      const info = this.tables.get(tbl);
      if (!info) continue;
      const key = canonicalKey(rawKey);
      const row = this.readRow(info, key);
      const existing = this.docRow(tbl, key);
      if (!row) {
        if (existing) work.push({ tbl, key, row, cols: null });
      } else if (!existing) {
        work.push({ tbl, key, row, cols: null });
      } else {
        const cols = info.columns.filter((c) => !sameValue(fromDocValue(existing[c]), row[c] ?? null));
        if (cols.length > 0) work.push({ tbl, key, row, cols });
      }
    }
    if (work.length === 0) {
      this.capturedUpTo = upTo;
      return upTo;
    }
    for (let from = 0; from < work.length; from += ROWS_PER_CHANGE) this.putRows(work.slice(from, from + ROWS_PER_CHANGE));
    this.capturedUpTo = upTo;
    return upTo;
  }

  private putRows(work: { tbl: string; key: string; row: SqlRow | undefined; cols: string[] | null }[]): void {
    this.store.doc = A.change(this.store.doc, (d) => {
      const buckets = new Map<string, Record<string, DocRow>>();
      for (const { tbl, key, row, cols } of work) {
        const name = bucketOf(key);
        let bucket = buckets.get(`${tbl}\0${name}`);
        if (!bucket) {
          bucket = (d[tbl] as Record<string, Record<string, DocRow>>)[name]!;
          buckets.set(`${tbl}\0${name}`, bucket);
        }
        if (!row) delete bucket[key];
        else if (!cols) bucket[key] = toDocRow(this.tables.get(tbl)!, row);
        else {
          const target = bucket[key]!;
          for (const c of cols) target[c] = toDocValue(row[c] ?? null);
        }
      }
    });
  }

  private dropShadow(): void {
    this.shadow.clear();
    this.shadowUpTo = 0;
  }

  private deleteLog(upTo: number): void {
    this.db.prepare(`DELETE FROM ${CHANGES} WHERE seq <= ?`).run(upTo);
  }

  private suppressed(fn: () => void): void {
    this.db.prepare(`UPDATE ${CONTROL} SET suppress = 1 WHERE id = 1`).run();
    try {
      fn();
    } finally {
      this.db.prepare(`UPDATE ${CONTROL} SET suppress = 0 WHERE id = 1`).run();
    }
  }

  private docRow(table: string, key: string): DocRow | undefined {
    const t = this.store.doc[table] as Record<string, Record<string, DocRow>> | undefined;
    return t?.[bucketOf(key)]?.[key];
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private readRow(info: TableInfo, key: string): SqlRow | undefined {
    const sql = `SELECT ${selectList(info)} FROM ${q(info.name)} WHERE ${whereKey(info)}`;
    return this.stmt(sql).get(...(JSON.parse(key) as SqlValue[])) as SqlRow | undefined;
  }

  /** Makes the SQLite row equal to the document's (or absent); `force` writes even if equal. */
  private writeRow(info: TableInfo, key: string, docRow: DocRow | undefined, force: boolean): void {
    const keyValues = JSON.parse(key) as SqlValue[];
    try {
      if (!docRow) {
        this.stmt(`DELETE FROM ${q(info.name)} WHERE ${whereKey(info)}`).run(...keyValues);
        return;
      }
      const current = this.readRow(info, key);
      const cols = info.columns.filter((c) => c in docRow);
      const values = cols.map((c) => toSqlValue(docRow[c]));
      if (current && !force && cols.every((c, i) => sameValue(values[i]!, current[c] ?? null))) return;
      if (current) {
        if (cols.length === 0) return;
        const set = cols.map((c) => `${q(c)} = ?`).join(', ');
        this.stmt(`UPDATE ${q(info.name)} SET ${set} WHERE ${whereKey(info)}`).run(...values, ...keyValues);
      } else {
        const keyCols = info.pk.length > 0 ? info.pk.filter((c) => !cols.includes(c)) : ['rowid'];
        const allCols = [...keyCols, ...cols];
        const keyVals = info.pk.length > 0 ? keyCols.map((c) => keyValues[info.pk.indexOf(c)]!) : keyValues;
        this.stmt(`INSERT INTO ${q(info.name)} (${allCols.map(q).join(', ')}) VALUES (${allCols.map(() => '?').join(', ')})`)
          .run(...keyVals, ...values);
      }
    } catch (err: unknown) {
      // One row the local schema refuses (e.g. a UNIQUE clash) must not stop the others.
      rlog.warn(`could not apply row ${key} of table "${info.name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private reconcileTable(info: TableInfo): void {
    const table = (this.store.doc[info.name] ?? {}) as Record<string, Record<string, DocRow>>;
    const inDoc = new Set<string>();
    for (const bucket of Object.values(table)) {
      for (const [key, row] of Object.entries(bucket)) {
        inDoc.add(key);
        this.writeRow(info, key, row, false);
      }
    }
    const keys = this.db.prepare(`SELECT ${selectList(info)} FROM ${q(info.name)}`).all() as SqlRow[];
    for (const row of keys) {
      const key = rowKey(info, row);
      if (!inDoc.has(key)) this.writeRow(info, key, undefined, true);
    }
  }
}

function selectList(info: TableInfo): string {
  return info.pk.length > 0 ? '*' : 'rowid AS "__edgstr_rowid", *';
}

function whereKey(info: TableInfo): string {
  return info.pk.length > 0 ? info.pk.map((c) => `${q(c)} = ?`).join(' AND ') : 'rowid = ?';
}

function rowKey(info: TableInfo, row: SqlRow): string {
  const values = info.pk.length > 0 ? info.pk.map((c) => row[c]) : [row.__edgstr_rowid];
  return JSON.stringify(values.map((v) => (typeof v === 'bigint' ? Number(v) : v)));
}

/** Keys logged by SQLite's json_array and keys built here must compare equal: re-serialize. */
function canonicalKey(raw: string): string {
  return JSON.stringify(JSON.parse(raw) as unknown);
}

function toDocRow(info: TableInfo, row: SqlRow): DocRow {
  const out: DocRow = {};
  for (const col of info.columns) out[col] = toDocValue(row[col] ?? null);
  return out;
}

/** Strings are stored as ImmutableString: a cell merges last-writer-wins, not character by character. */
function toDocValue(v: SqlValue): unknown {
  if (typeof v === 'string') return new A.ImmutableString(v);
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  return v;
}

function fromDocValue(v: unknown): SqlValue {
  return toSqlValue(v);
}

function toSqlValue(v: unknown): SqlValue {
  if (v === null || v === undefined) return null;
  if (v instanceof A.ImmutableString) return v.val;
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') return v;
  if (v instanceof Uint8Array) return Buffer.from(v);
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (v instanceof A.Counter) return v.value;
  return String(v);
}

function sameValue(a: SqlValue, b: SqlValue): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  }
  if (typeof a === 'bigint' || typeof b === 'bigint') return Number(a) === Number(b);
  return a === b;
}
