/** Shared fixtures of the runtime tests: temp dirs, a tiny app database, waiting. */
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReplicaConfig } from '../../src/runtime/api.js';

export const SECRET = 'test-secret-0123456789';

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `edgstr-rt-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** One AUTOINCREMENT table, one plain INTEGER PRIMARY KEY (rowid alias) table, one text-keyed table. */
export const SCHEMA = `
  CREATE TABLE notes (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, body BLOB);
  CREATE TABLE likes (id INTEGER PRIMARY KEY, note_id INTEGER REFERENCES notes (id) ON DELETE CASCADE, who TEXT);
  CREATE INDEX likes_note ON likes (note_id);
  CREATE TABLE kv (k TEXT PRIMARY KEY, v TEXT);
  INSERT INTO notes (title) VALUES ('seed one'), ('seed two');
  INSERT INTO likes (note_id, who) VALUES (1, 'ann');
  INSERT INTO kv (k, v) VALUES ('color', 'blue');`;

export function makeDb(file: string): void {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  db.close();
}

export function replicaConfig(over: Partial<ReplicaConfig> & Pick<ReplicaConfig, 'role' | 'nodeId' | 'dataDir'>): ReplicaConfig {
  return {
    secret: SECRET,
    rangeIndex: 0,
    tables: [],
    files: { root: over.dataDir, paths: [] },
    globals: [],
    flushIntervalMs: 30,
    initialSyncTimeoutMs: 0,
    ...over,
  };
}

/** Polls `check` until it returns true or `ms` passes; returns the elapsed time. */
export async function waitFor(check: () => boolean, ms = 3000, what = 'condition'): Promise<number> {
  const start = Date.now();
  for (;;) {
    if (check()) return Date.now() - start;
    if (Date.now() - start > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A stable digest of every row of the given tables (app-visible columns, ordered by key). */
export function tableChecksum(file: string, tables: string[]): string {
  const db = new Database(file, { readonly: true });
  try {
    return tables
      .map((t) => JSON.stringify(db.prepare(`SELECT * FROM "${t}" ORDER BY 1`).all(), (_k, v: unknown) =>
        v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))
      .join('\n');
  } finally {
    db.close();
  }
}
