/**
 * SQLite driver hooks (DESIGN.md §6): better-sqlite3 (synchronous) and sqlite3 (callbacks; knex
 * goes through it) are patched so that every statement a connection runs, and every sqlite3
 * `Database` constructed, is reported to a {@link SqlListener} (sql-state.ts records and restores
 * them). The unpatched methods stay available through {@link SqlDrivers.api}, for SQL the tracer
 * runs itself and must not see.
 */

type Fn = (this: unknown, ...args: unknown[]) => unknown;
type Proto = Record<string | symbol, unknown>;
const PATCHED = Symbol.for('edgstr.sqlPatched');

export type DriverKind = 'better-sqlite3' | 'sqlite3';

/** What the patched drivers report. */
export interface SqlListener {
  /** Connection `db` runs `sql` (undefined: used without SQL text, e.g. `prepare` on better-sqlite3). */
  statement(db: object, kind: DriverKind, sql: unknown): void;
  /** A sqlite3 Database is about to open `filename`; the answer is handed to {@link opened}. */
  opening(filename: unknown): string | null;
  /** A sqlite3 Database was constructed, with what {@link opening} answered. */
  opened(db: object, initCopy: string | null): void;
}

/** SQL on one connection through the unpatched driver (never reported). */
export interface SqlApi {
  all(sql: string): Promise<Record<string, unknown>[]>;
  exec(sql: string): Promise<void>;
}

/** The unpatched synchronous better-sqlite3 calls on one connection. */
export interface SyncSqlApi {
  prepare(sql: string): { all(): unknown[]; run(): unknown };
  exec(sql: string): unknown;
}

interface AsyncDb {
  all(sql: string, cb: (err: Error | null, rows: unknown[]) => void): unknown;
  exec(sql: string, cb: (err: Error | null) => void): unknown;
}

export class SqlDrivers {
  private readonly origBs3 = new WeakMap<object, { prepare: Fn; exec: Fn }>();
  private bs3Proto: Proto | null = null;
  private sq3: { all: Fn; exec: Fn } | null = null;
  private readonly stmtSql = new WeakMap<object, string>();
  private readonly dbOfStmt = new WeakMap<object, object>();

  constructor(private readonly listener: SqlListener) {}

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
      self.listener.statement(this, 'better-sqlite3', undefined);
      const stmt = prepare.apply(this, args) as object;
      if (!stmtPatched) {
        stmtPatched = true;
        self.patchBs3Statement(Object.getPrototypeOf(stmt) as Proto);
      }
      return stmt;
    };
    proto.exec = function (this: object, ...args: unknown[]) {
      self.listener.statement(this, 'better-sqlite3', args[0]);
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
        if (this.database) self.listener.statement(this.database, 'better-sqlite3', this.source);
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
        self.listener.statement(this, 'sqlite3', args[0]);
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
          if (sql && db) self.listener.statement(db, 'sqlite3', sql);
          return orig.apply(this, args);
        };
      }
    }
  }

  /**
   * Every sqlite3 Database is reported when it is constructed, used or not; the listener hears of
   * the file before the driver opens it (asynchronously, later).
   */
  private wrapSqlite3Constructor(m: { Database: new (...args: unknown[]) => object }): void {
    const Original = m.Database;
    const listener = this.listener;
    const Wrapped = class Database extends Original {
      constructor(...args: unknown[]) {
        const initCopy = listener.opening(args[0]);
        super(...args);
        listener.opened(this, initCopy);
      }
    };
    try {
      m.Database = Wrapped;
    } catch {
      // a read-only export: connections are then found on their first statement
    }
  }

  /** The unpatched synchronous calls of a better-sqlite3 connection. */
  syncApi(db: object): SyncSqlApi {
    const orig = this.origBs3.get(this.bs3Proto!)!;
    return {
      prepare: (sql) => orig.prepare.call(db, sql) as ReturnType<SyncSqlApi['prepare']>,
      exec: (sql) => orig.exec.call(db, sql),
    };
  }

  /** SQL on connection `db` of driver `kind` through the unpatched driver. */
  api(db: object, kind: DriverKind): SqlApi {
    if (kind === 'sqlite3') {
      const api = this.sq3!;
      const conn = db as AsyncDb;
      return {
        all: (sql) => new Promise((res, rej) => api.all.call(conn, sql, (err: Error | null, rows: unknown[]) => (err ? rej(err) : res(rows as Record<string, unknown>[])))),
        exec: (sql) => new Promise((res, rej) => api.exec.call(conn, sql, (err: Error | null) => (err ? rej(err) : res()))),
      };
    }
    const s = this.syncApi(db);
    return {
      all: async (sql) => s.prepare(sql).all() as Record<string, unknown>[],
      exec: async (sql) => {
        s.exec(sql);
      },
    };
  }
}
