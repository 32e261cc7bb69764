/**
 * State checksums for the convergence check: a replicated table's rows (in primary-key order,
 * edgstr's own bookkeeping tables and columns excluded), a set of files, a JSON value.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import Database from 'better-sqlite3';

function sha(text: string | Buffer): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** Canonical JSON: object keys sorted, so equal values hash equally. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'undefined';
}

export function jsonChecksum(value: unknown): string {
  return sha(canonicalJson(value));
}

/** Checksum of each named table of a SQLite file: rows ordered by all columns, `__edgstr*` columns dropped. */
export function tableChecksums(dbFile: string, tables: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    for (const t of tables) {
      const cols = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(t) as { name: string }[])
        .map((c) => c.name)
        .filter((c) => !c.startsWith('__edgstr'));
      if (cols.length === 0) {
        out[t] = 'missing';
        continue;
      }
      const list = cols.map((c) => `"${c.replace(/"/g, '""')}"`).join(', ');
      const rows = db.prepare(`SELECT ${list} FROM "${t.replace(/"/g, '""')}" ORDER BY ${list}`).raw().all();
      out[t] = `${rows.length}:${sha(canonicalJson(rows))}`;
    }
  } finally {
    db.close();
  }
  return out;
}

/** Checksum of files (app-relative paths; a directory ending "/" means every file below it). */
export function fileChecksums(root: string, paths: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  const visit = (abs: string): void => {
    if (!existsSync(abs)) return;
    const st = statSync(abs);
    if (st.isDirectory()) {
      for (const name of readdirSync(abs).sort()) if (!name.startsWith('.')) visit(join(abs, name));
    } else if (st.isFile()) {
      out[relative(root, abs).split(sep).join('/')] = sha(readFileSync(abs));
    }
  };
  for (const p of paths) visit(join(root, p));
  return out;
}
