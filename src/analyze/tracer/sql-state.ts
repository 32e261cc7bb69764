/**
 * SQLite state (DESIGN.md §6): every SQL text a request runs is recorded, and every connection's
 * tables are checkpointed into TEMP tables on the app's own connection and restored from them
 * before each execution (foreign keys off, triggers dropped and recreated around the restore).
 * The drivers (better-sqlite3, sqlite3) report connections and statements through sql-drivers.ts.
 *
 * Connections opened late (issue #11 item 4: a knex/Sequelize pool that connects on the first
 * query inside a request) are found too: every sqlite3 `Database` is recorded when constructed,
 * so one opened at start but first used in a request is checkpointed with the others; one opened
 * after the checkpoint has its file copied before the driver opens it (still the init state),
 * and its TEMP tables are filled from that copy before the next execution. A better-sqlite3
 * connection first used after the checkpoint is checkpointed synchronously before its first
 * statement runs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Runtime } from './runtime.js';
import { SqlDrivers, type DriverKind, type SqlApi, type SqlListener } from './sql-drivers.js';

interface Conn {
  kind: DriverKind;
  db: object;
  tables: string[] | null;
  dirty: boolean;
  /** Opened after the checkpoint: a copy of its file taken before it opened (sqlite3), or null. */
  initCopy?: string | null;
  /** Database file and snapshot of a connection checkpointed late (reported by lateDatabases). */
  late?: DatabaseInfo;
}

export interface DatabaseInfo {
  file: string;
  tables: string[];
  snapshot: string | null;
}

const READ_ONLY = /^\s*(select|pragma|explain|begin|commit|end|rollback|savepoint|release)\b/i;
const q = (name: string): string => `"${name.replace(/"/g, '""')}"`;

export class SqlState implements SqlListener {
  /** The patched drivers: the tracer hands them the driver modules the app loads. */
  readonly drivers: SqlDrivers = new SqlDrivers(this);
  private readonly conns = new Map<object, Conn>();
  private suspended = false;

  private checkpointed = false;
  private snapshotDir: string | null = null;
  private lateCount = 0;

  /** `backupDir` holds the copies of databases opened after the checkpoint. */
  constructor(
    private readonly rt: Runtime,
    private readonly backupDir: string,
  ) {}

  /** Records a statement: its connection (checkpointed now if first used late), dirty unless read-only, the SQL of the current execution. */
  statement(db: object, kind: DriverKind, sql: unknown): void {
    let c = this.conns.get(db);
    if (!c) {
      c = { kind, db, tables: null, dirty: false };
      this.conns.set(db, c);
      // first used after the checkpoint, before this statement runs: still in its init state
      if (this.checkpointed && kind === 'better-sqlite3' && !this.suspended) this.checkpointLateSync(c);
    }
    if (typeof sql !== 'string' || this.suspended) return;
    if (!READ_ONLY.test(sql)) c.dirty = true;
    const cur = this.rt.inExec();
    if (cur && !cur.sql.includes(sql)) cur.sql.push(sql);
  }

  /** A sqlite3 connection is known from its construction, used or not. */
  opened(db: object, initCopy: string | null): void {
    if (!this.conns.has(db)) this.conns.set(db, { kind: 'sqlite3', db, tables: null, dirty: initCopy !== null, initCopy });
  }

  /** A sqlite3 Database constructed after the checkpoint: a copy of its file first (still the init state). */
  opening(filename: unknown): string | null {
    if (!this.checkpointed || typeof filename !== 'string' || filename === '' || filename === ':memory:' || filename.startsWith('file:')) return null;
    const file = path.resolve(filename);
    if (!fs.existsSync(file)) return null;
    const copy = path.join(this.backupDir, `late-db-${this.lateCount++}.sqlite`);
    fs.copyFileSync(file, copy);
    if (fs.existsSync(`${file}-wal`)) fs.copyFileSync(`${file}-wal`, `${copy}-wal`);
    return copy;
  }

  /** Tables of the app's schema, as checkpoint and restore see them. */
  private static appTables(rows: Record<string, unknown>[]): string[] {
    const virtual = rows.filter((r) => /^\s*create\s+virtual/i.test(String(r.sql))).map((r) => String(r.name));
    return rows.map((r) => String(r.name)).filter((t) => (!t.startsWith('sqlite_') || t === 'sqlite_sequence') && !virtual.some((v) => t === v || t.startsWith(`${v}_`)));
  }

  /** A better-sqlite3 connection first used after the checkpoint: TEMP copies and snapshot now. */
  private checkpointLateSync(c: Conn): void {
    this.suspended = true;
    try {
      const api = this.drivers.syncApi(c.db);
      const tables = SqlState.appTables(api.prepare(`SELECT name, sql FROM main.sqlite_master WHERE type = 'table'`).all() as Record<string, unknown>[]);
      for (const [i, t] of tables.entries()) api.exec(`DROP TABLE IF EXISTS temp.${q(`__edgstr_${i}`)}; CREATE TEMP TABLE ${q(`__edgstr_${i}`)} AS SELECT * FROM main.${q(t)};`);
      c.tables = tables;
      c.dirty = true;
      const list = api.prepare('PRAGMA database_list').all() as Record<string, unknown>[];
      const file = String(list.find((r) => r.name === 'main')?.file ?? '');
      let snapshot: string | null = null;
      if (this.snapshotDir && file) {
        snapshot = path.join(this.snapshotDir, `db-late-${this.lateCount++}.sqlite`);
        try {
          api.exec(`VACUUM main INTO '${snapshot.replace(/'/g, "''")}'`);
        } catch {
          snapshot = null;
        }
      }
      c.late = { file, tables: tables.filter((t) => t !== 'sqlite_sequence'), snapshot };
    } catch {
      // not a usable connection (closed, or not a database after all)
    } finally {
      this.suspended = false;
    }
  }

  /** A sqlite3 connection opened after the checkpoint: TEMP copies from the copy of its file. */
  private async checkpointLate(c: Conn): Promise<void> {
    const copy = c.initCopy;
    if (!copy) return;
    c.initCopy = null;
    const api = this.api(c);
    const alias = '__edgstr_init';
    await api.exec(`ATTACH DATABASE '${copy.replace(/'/g, "''")}' AS ${alias}`);
    try {
      const tables = SqlState.appTables(await api.all(`SELECT name, sql FROM ${alias}.sqlite_master WHERE type = 'table'`));
      for (const [i, t] of tables.entries()) {
        await api.exec(`DROP TABLE IF EXISTS temp.${q(`__edgstr_${i}`)}; CREATE TEMP TABLE ${q(`__edgstr_${i}`)} AS SELECT * FROM ${alias}.${q(t)};`);
      }
      c.tables = tables;
    } finally {
      await api.exec(`DETACH DATABASE ${alias}`);
    }
    const list = await api.all('PRAGMA database_list');
    const file = String(list.find((r) => r.name === 'main')?.file ?? '');
    let snapshot: string | null = null;
    if (this.snapshotDir) {
      snapshot = path.join(this.snapshotDir, `db-late-${this.lateCount++}.sqlite`);
      fs.copyFileSync(copy, snapshot);
      if (fs.existsSync(`${copy}-wal`)) fs.copyFileSync(`${copy}-wal`, `${snapshot}-wal`);
    }
    c.late = { file, tables: c.tables.filter((t) => t !== 'sqlite_sequence'), snapshot };
    c.dirty = true;
  }

  /**
   * Databases first used after the checkpoint (their snapshot is their state before first use),
   * one per file, leaving out files the checkpoint already reported.
   */
  async lateDatabases(known: readonly string[]): Promise<DatabaseInfo[]> {
    // a connection opened in the last execution has not been through a restore yet
    await this.restore();
    const out: DatabaseInfo[] = [];
    const files = new Set(known);
    for (const c of this.conns.values()) {
      if (!c.late || files.has(c.late.file)) continue;
      files.add(c.late.file);
      out.push(c.late);
    }
    return out;
  }

  private api(c: Conn): SqlApi {
    return this.drivers.api(c.db, c.kind);
  }

  async checkpoint(snapshotDir: string | null): Promise<DatabaseInfo[]> {
    const out: DatabaseInfo[] = [];
    this.snapshotDir = snapshotDir;
    this.suspended = true;
    try {
      let n = 0;
      for (const c of this.conns.values()) {
        if ((c.db as { open?: boolean }).open === false) continue;
        const api = this.api(c);
        const tables = SqlState.appTables(await api.all(`SELECT name, sql FROM main.sqlite_master WHERE type = 'table'`));
        for (const [i, t] of tables.entries()) {
          await api.exec(`DROP TABLE IF EXISTS temp.${q(`__edgstr_${i}`)}; CREATE TEMP TABLE ${q(`__edgstr_${i}`)} AS SELECT * FROM main.${q(t)};`);
        }
        c.tables = tables;
        const list = await api.all('PRAGMA database_list');
        const file = String(list.find((r) => r.name === 'main')?.file ?? '');
        let snapshot: string | null = null;
        if (snapshotDir) {
          snapshot = `${snapshotDir}/db-${n++}.sqlite`;
          try {
            await api.exec(`VACUUM main INTO '${snapshot.replace(/'/g, "''")}'`);
          } catch {
            snapshot = null;
          }
        }
        out.push({ file, tables: tables.filter((t) => t !== 'sqlite_sequence'), snapshot });
        c.dirty = false;
      }
    } finally {
      this.suspended = false;
      this.checkpointed = true;
    }
    return out;
  }

  async restore(): Promise<void> {
    this.suspended = true;
    try {
      for (const c of this.conns.values()) {
        if ((c.db as { open?: boolean }).open === false) continue;
        if (c.initCopy) await this.checkpointLate(c);
        if (!c.dirty || !c.tables) continue;
        const api = this.api(c);
        const fk = await api.all('PRAGMA foreign_keys');
        const fkOn = Number(Object.values(fk[0] ?? {})[0] ?? 0) === 1;
        const triggers = await api.all(`SELECT name, sql FROM main.sqlite_master WHERE type = 'trigger'`);
        const parts: string[] = [];
        if (fkOn) parts.push('PRAGMA foreign_keys = OFF;');
        for (const tr of triggers) parts.push(`DROP TRIGGER IF EXISTS main.${q(String(tr.name))};`);
        parts.push('BEGIN;');
        c.tables.forEach((t, i) => parts.push(`DELETE FROM main.${q(t)}; INSERT INTO main.${q(t)} SELECT * FROM temp.${q(`__edgstr_${i}`)};`));
        parts.push('COMMIT;');
        for (const tr of triggers) parts.push(`${String(tr.sql)};`);
        if (fkOn) parts.push('PRAGMA foreign_keys = ON;');
        try {
          await api.exec(parts.join('\n'));
        } catch (err: unknown) {
          await api.exec('ROLLBACK').catch(() => undefined);
          throw err;
        }
        c.dirty = false;
      }
    } finally {
      this.suspended = false;
    }
  }
}
