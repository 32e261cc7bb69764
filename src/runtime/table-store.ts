/**
 * CRDT-Table stored cr-sqlite-style: the CRDT metadata of the replicated tables of one SQLite
 * file lives in that file, next to the rows, and memory is SQLite's page cache.
 *
 *   __edgstr_clock(tbl, pk, cl, ver, site, cv, dbv, src)   one row per replicated row
 *   __edgstr_meta(k, v)                                     counters, digest, peer positions
 *
 * - `cl` is the row's causal length: odd = alive, even = deleted. A delete or re-insert bumps
 *   it; the higher causal length wins whole, so a delete wins over a concurrent update (same
 *   cl before the delete) and a re-insert over the delete it follows.
 * - Columns merge one by one, last writer wins: each column has a version `[lamport, site]`,
 *   compared by lamport, then site, then the value's encoding (deterministic everywhere).
 *   `ver`/`site` is the row's highest column version; `cv` (JSON, usually NULL) holds the
 *   columns whose version differs from it.
 * - `dbv` is this replica's own db version of the row's last change (local capture or merge):
 *   peers pull "every row with dbv > V" (`changesAfter`), in pages, and persist the V they
 *   reached (`applyPage`), so a catch-up resumes where it stopped.
 * - `src` is the peer a merged row came from when the result is exactly that peer's row: it is
 *   not sent back to it (no echo).
 *
 * Local changes: the AFTER triggers log `(tbl, key, OLD values)` into `__edgstr_changes`;
 * `capture()` turns the logged keys into clock rows in one transaction (the columns whose value
 * differs from the first logged OLD value get a new version) and deletes the log rows it
 * covered. `rollback(mark)` restores each key logged since the mark to its first OLD value.
 */
import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import type { ReplicatedDatabase } from './api.js';
import {
  CHANGES, CONTROL, ensureKeyRange, installControlTables, installTriggers, q, readTableInfo,
  rewriteToAutoincrement, type TableInfo,
} from './table-schema.js';
import { rlog } from './util.js';
import {
  columnVersions, compareText, compareVersion, decodeOld, decodeValue, decodeValues, encodeRow, keySql, keyValues,
  normalize, rowHash, sameValue, selectList, whereKey,
  type ClockRow, type ColumnVersion, type LogEntry, type SqlRow, type SqlValue, type WireValue,
} from './table-values.js';

export type { ColumnVersion, WireRow, WireValue } from './table-values.js';
import type { WireRow } from './table-values.js';

export const CLOCK = '__edgstr_clock';
export const META = '__edgstr_meta';


/** Changes of one replica after version `from`, up to `to` (inclusive). */
export interface TablePage {
  from: number;
  to: number;
  /** The sender's db version when it built the page. */
  head: number;
  /** Column names per table, for the rows' values. */
  cols: Record<string, string[]>;
  rows: WireRow[];
  /** More rows follow after `to`. */
  more: boolean;
}

/**
 * Pages are at most this many rows, and about this many bytes of values. Measured at 1M rows
 * (docs/sync.md): pages of 2,000 rows / 1 MB left the edge at 155-157 MiB RSS right after a
 * catch-up, 1,000 rows / 512 KB at 132 MiB (catch-up 17k rows/s under load either way).
 */
export const PAGE_ROWS = 1000;
export const PAGE_BYTES = 512 * 1024;
/** Encoded rows kept for the peers' pages (TableStore.encodedRow). */
const ENCODED_ROWS = 4096;
/** Change-log entries read at a time by a capture. */
const CAPTURE_CHUNK = 5000;
/** pendingChanges counts unconfirmed rows up to this many. */
export const UNCONFIRMED_CAP = 10_000;


export interface TableMark {
  logSeq: number;
  sequences: Map<string, number | undefined>;
}

export class TableStore {
  readonly db: Database.Database;
  private readonly tables = new Map<string, TableInfo>();
  private readonly stmts = new Map<string, Database.Statement>();
  private dbv: number;
  private lamport: number;
  private digestA: number;
  private digestB: number;
  /** Recently sent rows, encoded, by table, key and clock version (see encodedRow). */
  private readonly encoded = new Map<string, { values: WireValue[]; size: number }>();
  /** True until the first seed or take-over of the cloud's copy (see README: fresh edge). */
  fresh: boolean;

  constructor(config: ReplicatedDatabase, readonly docId: string, readonly site: string, private rangeIndex: number | null) {
    if (!existsSync(config.file)) {
      // Opening would create an empty file, and an app that seeds its database only when the
      // file is missing would then never seed it.
      throw new Error(`replicated database ${config.file} does not exist: start from the snapshot (or let the app create it first)`);
    }
    this.db = new Database(config.file, { timeout: 10_000, fileMustExist: true });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 10000');
    // Remote rows arrive in version order, not in the order their foreign keys need; they were
    // valid where they were written. Cascades of a remote delete arrive as their own changes.
    this.db.pragma('foreign_keys = OFF');
    this.db.pragma('synchronous = NORMAL');
    installControlTables(this.db);
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ${CLOCK} (
        tbl TEXT NOT NULL, pk TEXT NOT NULL, cl INTEGER NOT NULL, ver INTEGER NOT NULL, site TEXT NOT NULL,
        cv TEXT, dbv INTEGER NOT NULL, src TEXT, ha INTEGER NOT NULL, hb INTEGER NOT NULL,
        PRIMARY KEY (tbl, pk)) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS ${CLOCK}_dbv ON ${CLOCK} (dbv);
      CREATE TABLE IF NOT EXISTS ${META} (k TEXT PRIMARY KEY, v) WITHOUT ROWID;`);
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
    this.dbv = this.metaNumber('dbv');
    this.lamport = this.metaNumber('lamport');
    this.digestA = this.metaNumber('digestA');
    this.digestB = this.metaNumber('digestB');
    this.fresh = this.meta('init') === undefined;
  }

  /** This replica's db version: every local or merged row change increments it. */
  head(): number {
    return this.dbv;
  }

  /** Up to which of `peer`'s versions this replica holds its changes (persisted). */
  position(peer: string): number {
    return this.metaNumber(`pos:${peer}`);
  }

  /** Records that this replica holds `peer`'s changes up to `version` (nothing was missing). */
  setPosition(peer: string, version: number): void {
    this.setMeta(`pos:${peer}`, version);
  }

  /**
   * A value equal on two replicas iff they hold the same table state: an order-independent
   * 64-bit sum (XOR) of a hash of every clock row with its values, kept up to date on every change.
   */
  digest(): string {
    return `${this.digestA.toString(16).padStart(8, '0')}${this.digestB.toString(16).padStart(8, '0')}`;
  }

  /** Rows of the clock (one per replicated row, deleted ones included). */
  clockRows(): number {
    return (this.stmt(`SELECT count(*) AS n FROM ${CLOCK}`).get() as { n: number }).n;
  }

  /** Log rows not yet captured (local changes not yet in the clock). */
  pending(): number {
    return (this.stmt(`SELECT count(*) AS n FROM ${CHANGES}`).get() as { n: number }).n;
  }

  /**
   * Rows `peer` is not known to have: changed after `acked` here and not received from it.
   * Counted up to UNCONFIRMED_CAP (health asks often; a catch-up of a million rows would
   * otherwise cost a scan of them per health answer).
   */
  unconfirmed(peer: string, acked: number): number {
    return (this.stmt(`SELECT count(*) AS n FROM (SELECT 1 FROM ${CLOCK} WHERE dbv > ? AND (src IS NULL OR src <> ?) LIMIT ${UNCONFIRMED_CAP})`).get(acked, peer) as { n: number }).n;
  }

  /** Whether there is anything for `peer` after `after`. */
  hasChangesFor(peer: string, after: number): boolean {
    if (after >= this.dbv) return false;
    return this.stmt(`SELECT 1 FROM ${CLOCK} WHERE dbv > ? AND (src IS NULL OR src <> ?) LIMIT 1`).get(after, peer) !== undefined;
  }

  /** Turns the logged keys into clock rows (one transaction); returns how many rows changed. */
  capture(): number {
    let n = 0;
    this.db.transaction(() => {
      n = this.captureInTx();
    }).immediate();
    return n;
  }

  mark(): TableMark {
    const seqOf = this.stmt('SELECT seq FROM sqlite_sequence WHERE name = ?');
    const logSeq = (seqOf.get(CHANGES) as { seq: number } | undefined)?.seq ?? 0;
    const sequences = new Map<string, number | undefined>();
    for (const name of this.tables.keys()) sequences.set(name, (seqOf.get(name) as { seq: number } | undefined)?.seq);
    return { logSeq, sequences };
  }

  /** Undoes every row change logged since `mark` (each key back to its first logged OLD value). */
  rollback(mark: TableMark): void {
    this.db.transaction(() => {
      const entries = this.stmt(`SELECT tbl, op, key, old FROM ${CHANGES} WHERE seq > ? ORDER BY seq`).all(mark.logSeq) as LogEntry[];
      const first = new Map<string, LogEntry>();
      for (const e of entries) if (!first.has(`${e.tbl}\0${e.key}`)) first.set(`${e.tbl}\0${e.key}`, e);
      this.suppressed(() => {
        for (const e of first.values()) {
          const info = this.tables.get(e.tbl);
          if (!info) continue;
          const before = e.old === null ? undefined : decodeOld(info, e.old);
          if (before) this.writeValues(info, e.key, before);
          else this.deleteRow(info, e.key);
        }
        for (const [name, seq] of mark.sequences) {
          if (seq === undefined) this.db.prepare('DELETE FROM sqlite_sequence WHERE name = ?').run(name);
          else this.db.prepare('UPDATE sqlite_sequence SET seq = ? WHERE name = ?').run(seq, name);
        }
      });
      this.stmt(`DELETE FROM ${CHANGES} WHERE seq > ?`).run(mark.logSeq);
    }).immediate();
  }

  /** Whether a row was inserted with a generated key since `mark` (its sqlite_sequence moved). */
  generatedKeysSince(mark: TableMark): boolean {
    const seqOf = this.stmt('SELECT seq FROM sqlite_sequence WHERE name = ?');
    for (const [name, seq] of mark.sequences) {
      if ((seqOf.get(name) as { seq: number } | undefined)?.seq !== seq) return true;
    }
    return false;
  }

  /** Moves key allocation to the slot the cloud granted (key-ranges.ts). */
  setRangeIndex(rangeIndex: number): void {
    this.rangeIndex = rangeIndex;
    this.db.transaction(() => this.ensureKeyRanges())();
  }

  /**
   * Gives every row that has no clock row yet one at version 0 (site ""): the snapshot both
   * sides started from has the same clock everywhere, and any later write wins over it.
   */
  seed(): void {
    this.db.transaction(() => {
      this.captureInTx();
      const has = this.stmt(`SELECT 1 FROM ${CLOCK} WHERE tbl = ? AND pk = ?`);
      for (const info of this.tables.values()) {
        // In chunks by rowid: a statement cannot write while another one iterates.
        const byRowid = this.hasRowid(info);
        const keyed = this.db.prepare(byRowid
          ? `SELECT rowid AS __edgstr_r, ${keySql(info)} AS __edgstr_pk, ${selectList(info)} FROM ${q(info.name)} WHERE rowid > ? ORDER BY rowid LIMIT 2000`
          : `SELECT 0 AS __edgstr_r, ${keySql(info)} AS __edgstr_pk, ${selectList(info)} FROM ${q(info.name)}`);
        for (let after = -Infinity; ;) {
          const rows = (byRowid ? keyed.all(after) : keyed.all()) as (SqlRow & { __edgstr_pk: string; __edgstr_r: number })[];
          for (const row of rows) {
            const pk = row.__edgstr_pk;
            if (has.get(info.name, pk) !== undefined) continue;
            this.putClock({ tbl: info.name, pk, cl: 1, ver: 0, site: '', cv: null, dbv: 0, src: null }, undefined, encodeRow(info, row));
          }
          if (!byRowid || rows.length < 2000) break;
          after = rows[rows.length - 1]!.__edgstr_r;
        }
      }
      this.setMeta('init', 'seed');
      this.saveCounters();
    }).immediate();
    this.fresh = false;
  }

  /**
   * A fresh edge that caught up with the cloud: rows of its snapshot the cloud does not have
   * (no clock row) are deleted, so its tables equal the cloud's copy.
   */
  dropUnclocked(): void {
    this.db.transaction(() => {
      this.suppressed(() => {
        for (const info of this.tables.values()) {
          this.db.prepare(`DELETE FROM ${q(info.name)} WHERE NOT EXISTS (SELECT 1 FROM ${CLOCK} c WHERE c.tbl = ? AND c.pk = ${keySql(info)})`).run(info.name);
        }
      });
      this.ensureKeyRanges();
      this.setMeta('init', 'cloud');
    }).immediate();
    this.fresh = false;
  }

  /**
   * The rows changed after `after` that `peer` did not send us itself, oldest first, at most
   * `maxRows` rows / about `maxBytes` bytes.
   */
  changesAfter(after: number, peer: string, maxRows = PAGE_ROWS, maxBytes = PAGE_BYTES): TablePage {
    const head = this.dbv;
    const clocks = this.stmt(`SELECT tbl, pk, cl, ver, site, cv, dbv FROM ${CLOCK} WHERE dbv > ? AND (src IS NULL OR src <> ?) ORDER BY dbv LIMIT ?`)
      .all(after, peer, maxRows) as ClockRow[];
    const rows: WireRow[] = [];
    const cols: Record<string, string[]> = {};
    let bytes = 0;
    // Full (maxRows): more may follow the last row read; otherwise this page reaches our head.
    let more = clocks.length === maxRows;
    let to = more ? clocks[clocks.length - 1]!.dbv : head;
    for (const [i, c] of clocks.entries()) {
      const info = this.tables.get(c.tbl);
      let values: WireValue[] | null = null;
      let size = 0;
      if (info && c.cl % 2 === 1) {
        const encoded = this.encodedRow(info, c);
        // Deleted by the app since the capture: its delete is in the log, captured (and sent)
        // with a newer version. Sending it as alive without values would insert an empty row.
        if (!encoded) continue;
        ({ values, size } = encoded);
        cols[c.tbl] ??= info.columns;
      }
      rows.push([c.tbl, c.pk, c.cl, values, c.ver, c.site, c.cv === null ? null : (JSON.parse(c.cv) as Record<string, ColumnVersion>)]);
      bytes += c.pk.length + size + 40;
      if (bytes >= maxBytes && i < clocks.length - 1) {
        more = true;
        to = c.dbv;
        break;
      }
    }
    return { from: after, to, head, cols, rows, more };
  }

  /**
   * A row's values as sent at its clock version `dbv`, and their size: read and encoded once
   * for all peers. Each captured or merged change gives the row a new `dbv`, so an entry never
   * goes stale; the values are those of the first read after that version (a later app write is
   * captured under a newer version and sent then). A hub sends each changed row to every other
   * edge: without this it read and encoded it once per peer, 60 % of its time at 150 edges
   * (docs/hub.md).
   */
  private encodedRow(info: TableInfo, c: ClockRow): { values: WireValue[]; size: number } | null {
    const key = `${c.tbl}\u0000${c.pk}\u0000${c.dbv}`;
    const hit = this.encoded.get(key);
    if (hit) return hit;
    const row = this.readRow(info, c.pk);
    if (!row) return null;
    const values = encodeRow(info, row);
    const entry = { values, size: JSON.stringify(values).length };
    this.encoded.set(key, entry);
    // Oldest first (a Map keeps insertion order): the rows peers ask for are the recent ones.
    if (this.encoded.size > ENCODED_ROWS) this.encoded.delete(this.encoded.keys().next().value!);
    return entry;
  }

  /**
   * Merges a page of `peer`'s changes in one transaction and persists that we now hold its
   * changes up to `page.to`. Local changes not yet captured are captured first, so a remote
   * value never silently overwrites them. Returns how many rows changed here.
   */
  applyPage(page: TablePage, peer: string): number {
    let changed = 0;
    this.db.transaction(() => {
      this.captureInTx();
      this.suppressed(() => {
        for (const row of page.rows) if (this.merge(row, page.cols[row[0]] ?? [], peer)) changed++;
        if (changed > 0) this.ensureKeyRanges();
      });
      if (page.to > this.position(peer)) this.setMeta(`pos:${peer}`, page.to);
      this.saveCounters();
    }).immediate();
    return changed;
  }

  close(): void {
    this.db.close();
  }

  /**
   * Captures the log in chunks of CAPTURE_CHUNK entries (a bulk write of a million rows must
   * not be read into memory at once). A key logged in two chunks gets a version for what the
   * second chunk changed relative to the first: the same values, at most an extra version.
   */
  private captureInTx(): number {
    let n = 0;
    for (;;) {
      const entries = this.stmt(`SELECT seq, tbl, op, key, old FROM ${CHANGES} ORDER BY seq LIMIT ${CAPTURE_CHUNK}`).all() as (LogEntry & { seq: number })[];
      if (entries.length === 0) return n;
      n += this.captureEntries(entries);
      if (entries.length < CAPTURE_CHUNK) return n;
    }
  }

  private captureEntries(entries: (LogEntry & { seq: number })[]): number {
    const byKey = new Map<string, { first: LogEntry; deleted: boolean }>();
    for (const e of entries) {
      const k = `${e.tbl}\0${e.key}`;
      const seen = byKey.get(k);
      if (!seen) byKey.set(k, { first: e, deleted: e.op === 'd' });
      else if (e.op === 'd') seen.deleted = true;
    }
    let n = 0;
    for (const { first, deleted } of byKey.values()) {
      const info = this.tables.get(first.tbl);
      if (!info) continue;
      const current = this.readRow(info, first.key);
      const before = first.old === null ? undefined : decodeOld(info, first.old);
      const old = this.clockRow(info.name, first.key);
      const tick = ++this.lamport;
      const next: ClockRow = { tbl: info.name, pk: first.key, cl: 0, ver: tick, site: this.site, cv: null, dbv: 0, src: null };
      if (!current) {
        if (old ? old.cl % 2 === 0 : before === undefined) continue;
        next.cl = old ? old.cl + 1 : 2;
        this.putClock(next, old, null);
      } else {
        const values = encodeRow(info, current);
        if (!old || old.cl % 2 === 0) next.cl = old ? old.cl + 1 : 1;
        else if (deleted) next.cl = old.cl + 2;
        else {
          const changedCols = before === undefined ? info.columns : info.columns.filter((c) => !sameValue(before[c] ?? null, current[c] ?? null));
          if (changedCols.length === 0) continue;
          const versions = columnVersions(old, info.columns);
          for (const c of changedCols) versions.set(c, [tick, this.site]);
          Object.assign(next, normalize(versions), { cl: old.cl });
        }
        this.putClock(next, old, values);
      }
      n++;
    }
    this.stmt(`DELETE FROM ${CHANGES} WHERE seq <= ?`).run(entries[entries.length - 1]!.seq);
    this.saveCounters();
    return n;
  }

  /** Merges one remote row; true when the local row or clock changed. */
  private merge(row: WireRow, remoteCols: string[], peer: string): boolean {
    const [tbl, pk, cl, values, ver, site, cv] = row;
    const info = this.tables.get(tbl);
    if (!info || !Number.isSafeInteger(cl) || cl < 1 || (cl % 2 === 1 && values === null)) return false;
    if (ver > this.lamport) this.lamport = ver;
    if (cv) for (const v of Object.values(cv)) if (v[0] > this.lamport) this.lamport = v[0];
    const old = this.clockRow(tbl, pk);
    const raw: ClockRow = { tbl, pk, cl, ver, site, cv: cv ? JSON.stringify(cv) : null, dbv: 0, src: peer };
    // Stored as this replica would write it (same column order), so digests compare equal.
    const remote: ClockRow = { ...raw, ...normalize(columnVersions(raw, info.columns)) };
    const remoteValues = new Map<string, WireValue>();
    if (values) remoteCols.forEach((c, i) => remoteValues.set(c, values[i] ?? null));
    if (!old || cl > old.cl) {
      // A higher causal length wins whole.
      if (cl % 2 === 0) this.deleteRow(info, pk);
      else this.writeValues(info, pk, decodeValues(info, remoteValues));
      // The sender's values as it read them: the same digest term as the sender's.
      this.putClock(remote, old, cl % 2 === 1 ? info.columns.map((c) => remoteValues.get(c) ?? null) : null);
      return true;
    }
    if (cl < old.cl) return false;
    if (cl % 2 === 0) {
      // Both deleted: keep the higher row version, so both sides end with the same clock.
      if (compareVersion([ver, site], [old.ver, old.site]) <= 0) return false;
      this.putClock(remote, old, null);
      return true;
    }
    const current = this.readRow(info, pk);
    const local = current ? encodeRow(info, current) : null;
    const localVersions = columnVersions(old, info.columns);
    const remoteVersions = columnVersions(remote, info.columns);
    const take: Record<string, SqlValue> = {};
    let taken = 0;
    let lost = false;
    info.columns.forEach((c, i) => {
      if (!remoteValues.has(c)) return;
      const rv = remoteVersions.get(c)!;
      const lv = localVersions.get(c)!;
      const rVal = remoteValues.get(c)!;
      const lVal = local ? local[i]! : null;
      const order = compareVersion(rv, lv) || compareText(JSON.stringify(rVal), JSON.stringify(lVal));
      if (order > 0) {
        take[c] = decodeValue(rVal);
        localVersions.set(c, rv);
        taken++;
      } else if (order < 0) lost = true;
    });
    if (taken === 0) return false;
    this.writeValues(info, pk, take);
    const merged: ClockRow = { ...old, ...normalize(localVersions), src: lost ? null : peer };
    const after = this.readRow(info, pk);
    this.putClock(merged, old, after ? encodeRow(info, after) : null);
    return true;
  }

  /**
   * Writes a clock row with the next db version, keeping the digest in step: the row's digest
   * term (a hash of its clock and values) is kept in the row, so the old term can be removed.
   */
  private putClock(row: ClockRow, old: ClockRow | undefined, values: WireValue[] | null): void {
    row.dbv = ++this.dbv;
    const [ha, hb] = rowHash(row, values);
    this.digestA = (this.digestA ^ ha ^ (old?.ha ?? 0)) >>> 0;
    this.digestB = (this.digestB ^ hb ^ (old?.hb ?? 0)) >>> 0;
    this.stmt(`INSERT OR REPLACE INTO ${CLOCK} (tbl, pk, cl, ver, site, cv, dbv, src, ha, hb) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(row.tbl, row.pk, row.cl, row.ver, row.site, row.cv, row.dbv, row.src, ha, hb);
  }

  private hasRowid(info: TableInfo): boolean {
    try {
      this.db.prepare(`SELECT rowid FROM ${q(info.name)} LIMIT 0`).all();
      return true;
    } catch {
      return false;
    }
  }

  private clockRow(tbl: string, pk: string): ClockRow | undefined {
    return this.stmt(`SELECT tbl, pk, cl, ver, site, cv, dbv, src, ha, hb FROM ${CLOCK} WHERE tbl = ? AND pk = ?`).get(tbl, pk) as ClockRow | undefined;
  }

  private ensureKeyRanges(): void {
    if (this.rangeIndex === null) return;
    for (const info of this.tables.values()) ensureKeyRange(this.db, info, this.rangeIndex);
  }

  private suppressed(fn: () => void): void {
    this.stmt(`UPDATE ${CONTROL} SET suppress = 1 WHERE id = 1`).run();
    try {
      fn();
    } finally {
      this.stmt(`UPDATE ${CONTROL} SET suppress = 0 WHERE id = 1`).run();
    }
  }

  private meta(k: string): unknown {
    return (this.stmt(`SELECT v FROM ${META} WHERE k = ?`).get(k) as { v: unknown } | undefined)?.v;
  }

  private metaNumber(k: string): number {
    const v = this.meta(k);
    return typeof v === 'number' ? v : 0;
  }

  private setMeta(k: string, v: number | string): void {
    this.stmt(`INSERT OR REPLACE INTO ${META} (k, v) VALUES (?, ?)`).run(k, v);
  }

  private saveCounters(): void {
    this.setMeta('dbv', this.dbv);
    this.setMeta('lamport', this.lamport);
    this.setMeta('digestA', this.digestA);
    this.setMeta('digestB', this.digestB);
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) this.stmts.set(sql, (s = this.db.prepare(sql)));
    return s;
  }

  private readRow(info: TableInfo, pk: string): SqlRow | undefined {
    return this.stmt(`SELECT ${selectList(info)} FROM ${q(info.name)} WHERE ${whereKey(info)}`).get(...keyValues(pk)) as SqlRow | undefined;
  }

  private deleteRow(info: TableInfo, pk: string): void {
    this.stmt(`DELETE FROM ${q(info.name)} WHERE ${whereKey(info)}`).run(...keyValues(pk));
  }

  /** Makes the row hold `values` (the columns given), inserting it if absent. */
  private writeValues(info: TableInfo, pk: string, values: Record<string, SqlValue>): void {
    const keys = keyValues(pk);
    const cols = info.columns.filter((c) => c in values && !(info.pk.length > 0 && info.pk.includes(c)));
    try {
      if (cols.length > 0) {
        const set = cols.map((c) => `${q(c)} = ?`).join(', ');
        const r = this.stmt(`UPDATE ${q(info.name)} SET ${set} WHERE ${whereKey(info)}`).run(...cols.map((c) => values[c]!), ...keys);
        if (r.changes > 0) return;
      } else if (this.readRow(info, pk)) return;
      const keyCols = info.pk.length > 0 ? info.pk : ['rowid'];
      const all = [...keyCols, ...cols];
      this.stmt(`INSERT INTO ${q(info.name)} (${all.map(q).join(', ')}) VALUES (${all.map(() => '?').join(', ')})`)
        .run(...keys, ...cols.map((c) => values[c]!));
    } catch (err: unknown) {
      // One row the local schema refuses (e.g. a UNIQUE clash) must not stop the others.
      rlog.warn(`could not apply row ${pk} of table "${info.name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
