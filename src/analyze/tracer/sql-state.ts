/**
 * SQLite hooks (DESIGN.md §6): every SQL text a request runs is recorded, and every connection's
 * tables are checkpointed into TEMP tables on the app's own connection and restored from them
 * before each execution (foreign keys off, triggers dropped and recreated around the restore),
 * for better-sqlite3 (synchronous) and sqlite3 (callbacks; knex goes through it).
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

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Proto = Record<string | symbol, unknown>;
const PATCHED = Symbol.for('edgstr.sqlPatched');

interface Sync {
  prepare(sql: string): { all(): unknown[]; run(): unknown };
  exec(sql: string): unknown;
}
interface Async {
  all(sql: string, cb: (err: Error | null, rows: unknown[]) => void): unknown;
  exec(sql: string, cb: (err: Error | null) => void): unknown;
}

interface Conn {
  kind: 'better-sqlite3' | 'sqlite3';
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

export class SqlHooks {
  private readonly conns = new Map<object, Conn>();
  private suspended = false;
  private readonly origBs3 = new WeakMap<object, { prepare: Fn; exec: Fn }>();
  private bs3Proto: Proto | null = null;
  private sq3: { all: Fn; exec: Fn } | null = null;
  private readonly stmtSql = new WeakMap<object, string>();

  private checkpointed = false;
  private snapshotDir: string | null = null;
  private lateCount = 0;

  /** `backupDir` holds the copies of databases opened after the checkpoint. */
  constructor(
    private readonly rt: Runtime,
    private readonly backupDir: string,
  ) {}

  private record(db: object, kind: Conn['kind'], sql: unknown): void {
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

  /** Patches better-sqlite3's Database (the module export) and, lazily, its Statement class. */
  patchBetterSqlite3(Database: unknown): void {
    const proto = (Database as { prototype?: Proto }).prototype;
    if (!proto || proto[PATCHED]) return;
    proto[PATCHED] = true;
    this.bs3Proto = proto;
    const self = this;
    const prepare = proto.prepare as Fn;
    const exec = proto.exec as Fn;
    let stmtPatched = false;
    proto.prepare = function (this: object, ...args: unknown[]) {
      self.record(this, 'better-sqlite3', undefined);
      const stmt = prepare.apply(this, args) as object;
      if (!stmtPatched) {
        stmtPatched = true;
        self.patchBs3Statement(Object.getPrototypeOf(stmt) as Proto);
      }
      return stmt;
    };
    proto.exec = function (this: object, ...args: unknown[]) {
      self.record(this, 'better-sqlite3', args[0]);
      return exec.apply(this, args);
    };
    this.origBs3.set(proto, { prepare, exec });
  }

  private patchBs3Statement(sp: Proto): void {
    if (sp[PATCHED]) return;
    sp[PATCHED] = true;
    const self = this;
    for (const name of ['run', 'get', 'all', 'iterate']) {
      const orig = sp[name] as Fn | undefined;
      if (typeof orig !== 'function') continue;
      sp[name] = function (this: { source?: string; database?: object }, ...args: unknown[]) {
        if (this.database) self.record(this.database, 'better-sqlite3', this.source);
        return orig.apply(this, args);
      };
    }
  }

  /** Patches sqlite3's Database and Statement (the module export). */
  patchSqlite3(mod: unknown): void {
    const m = mod as { Database?: { prototype: Proto }; Statement?: { prototype: Proto } };
    const proto = m.Database?.prototype;
    if (!proto || proto[PATCHED]) return;
    proto[PATCHED] = true;
    const self = this;
    this.wrapSqlite3Constructor(m as { Database: new (...args: unknown[]) => object });
    this.sq3 = { all: proto.all as Fn, exec: proto.exec as Fn };
    for (const name of ['run', 'get', 'all', 'each', 'map', 'exec', 'prepare']) {
      const orig = proto[name] as Fn | undefined;
      if (typeof orig !== 'function') continue;
      proto[name] = function (this: object, ...args: unknown[]) {
        self.record(this, 'sqlite3', args[0]);
        const out = orig.apply(this, args);
        if (name === 'prepare' && out && typeof out === 'object' && typeof args[0] === 'string') {
          self.stmtSql.set(out, args[0]);
          self.dbOfStmt.set(out, this);
        }
        return out;
      };
    }
    const sp = m.Statement?.prototype;
    if (sp && !sp[PATCHED]) {
      sp[PATCHED] = true;
      for (const name of ['run', 'get', 'all', 'each', 'map']) {
        const orig = sp[name] as Fn | undefined;
        if (typeof orig !== 'function') continue;
        sp[name] = function (this: object, ...args: unknown[]) {
          const sql = self.stmtSql.get(this);
          const db = self.dbOfStmt.get(this);
          if (sql && db) self.record(db, 'sqlite3', sql);
          return orig.apply(this, args);
        };
      }
    }
  }
  private readonly dbOfStmt = new WeakMap<object, object>();

  /**
   * Every sqlite3 Database is recorded when it is constructed, used or not; one constructed after
   * the checkpoint gets a copy of its file first (the driver opens it asynchronously, later).
   */
  private wrapSqlite3Constructor(m: { Database: new (...args: unknown[]) => object }): void {
    const Original = m.Database;
    const self = this;
    const Wrapped = class Database extends Original {
      constructor(...args: unknown[]) {
        const initCopy = self.copyBeforeOpen(args[0]);
        super(...args);
        if (!self.conns.has(this)) self.conns.set(this, { kind: 'sqlite3', db: this, tables: null, dirty: initCopy !== null, initCopy });
      }
    };
    try {
      m.Database = Wrapped;
    } catch {
      // a read-only export: connections are then found on their first statement
    }
  }

  private copyBeforeOpen(filename: unknown): string | null {
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
      const api = this.syncApi(c);
      const tables = SqlHooks.appTables(api.prepare(`SELECT name, sql FROM main.sqlite_master WHERE type = 'table'`).all() as Record<string, unknown>[]);
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
    const api = await this.run(c);
    const alias = '__edgstr_init';
    await api.exec(`ATTACH DATABASE '${copy.replace(/'/g, "''")}' AS ${alias}`);
    try {
      const tables = SqlHooks.appTables(await api.all(`SELECT name, sql FROM ${alias}.sqlite_master WHERE type = 'table'`));
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

  // ---- checkpoint / restore
  private syncApi(c: Conn): Sync {
    const orig = this.origBs3.get(this.bs3Proto!)!;
    const db = c.db;
    return {
      prepare: (sql) => orig.prepare.call(db, sql) as ReturnType<Sync['prepare']>,
      exec: (sql) => orig.exec.call(db, sql),
    };
  }
  private asyncApi(c: Conn): { all(sql: string): Promise<Record<string, unknown>[]>; exec(sql: string): Promise<void> } {
    const api = this.sq3!;
    const db = c.db as Async;
    return {
      all: (sql) => new Promise((res, rej) => api.all.call(db, sql, (err: Error | null, rows: unknown[]) => (err ? rej(err) : res(rows as Record<string, unknown>[])))),
      exec: (sql) => new Promise((res, rej) => api.exec.call(db, sql, (err: Error | null) => (err ? rej(err) : res()))),
    };
  }

  private async run(c: Conn): Promise<{ all(sql: string): Promise<Record<string, unknown>[]>; exec(sql: string): Promise<void> }> {
    if (c.kind === 'sqlite3') return this.asyncApi(c);
    const s = this.syncApi(c);
    return {
      all: async (sql) => s.prepare(sql).all() as Record<string, unknown>[],
      exec: async (sql) => {
        s.exec(sql);
      },
    };
  }

  async checkpoint(snapshotDir: string | null): Promise<DatabaseInfo[]> {
    const out: DatabaseInfo[] = [];
    this.snapshotDir = snapshotDir;
    this.suspended = true;
    try {
      let n = 0;
      for (const c of this.conns.values()) {
        if ((c.db as { open?: boolean }).open === false) continue;
        const api = await this.run(c);
        const tables = SqlHooks.appTables(await api.all(`SELECT name, sql FROM main.sqlite_master WHERE type = 'table'`));
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
        const api = await this.run(c);
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
