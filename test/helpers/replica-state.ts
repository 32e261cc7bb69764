/**
 * Reading a replica's state from disk for the live-stack checks: how much replicated state it
 * holds (rows + file lines, to count creates that survived) and its replicated globals (the
 * `globals` Automerge document the runtime persists in the replica's data dir).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import Database from 'better-sqlite3';
import { canonicalJson } from '../../src/verify/checksum.js';
import type { ProjectConfig } from '../../src/verify/stack.js';

/** Rows of every replicated table plus files and lines of every replicated file. */
export function stateSize(appDir: string, config: ProjectConfig): number {
  let n = 0;
  for (const db of config.tables) {
    const file = join(appDir, db.file);
    if (!existsSync(file)) continue;
    const conn = new Database(file, { readonly: true, fileMustExist: true });
    try {
      conn.pragma('busy_timeout = 5000');
      for (const t of db.tables) n += (conn.prepare(`SELECT count(*) AS n FROM "${t.replace(/"/g, '""')}"`).get() as { n: number }).n;
    } finally {
      conn.close();
    }
  }
  const visit = (abs: string): void => {
    if (!existsSync(abs)) return;
    const st = statSync(abs);
    if (st.isDirectory()) for (const name of readdirSync(abs)) visit(join(abs, name));
    else if (st.isFile()) n += 1 + (readFileSync(abs).toString('latin1').match(/\n/g)?.length ?? 0);
  };
  for (const p of config.files) visit(join(appDir, p));
  return n;
}

/** Loads a DocStore file (frames of `[u32 BE length][automerge chunk]`; a torn last frame is skipped). */
function loadDoc(file: string): unknown {
  const buf = readFileSync(file);
  let doc = A.init<Record<string, unknown>>();
  for (let at = 0; at + 4 <= buf.length; ) {
    const len = buf.readUInt32BE(at);
    if (at + 4 + len > buf.length) break;
    doc = A.loadIncremental(doc, buf.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  // Counters and immutable strings serialize to their values.
  return JSON.parse(JSON.stringify(A.toJS(doc))) as unknown;
}

/**
 * Differences between the replicated globals of replicas whose data dirs are given (the first
 * is the reference), one line per global; [] when every replica holds the same values.
 */
export function globalsDifferences(dataDirs: string[], globals: string[]): string[] {
  if (globals.length === 0) return [];
  const states = dataDirs.map((dir) => {
    const file = join(dir, 'globals.automerge');
    return { dir, doc: existsSync(file) ? (loadDoc(file) as Record<string, unknown>) : null };
  });
  const out: string[] = [];
  const [first, ...rest] = states;
  for (const other of rest) {
    for (const g of globals) {
      const a = first!.doc ? canonicalJson(first!.doc[g]) : 'no globals document';
      const b = other.doc ? canonicalJson(other.doc[g]) : 'no globals document';
      if (a !== b) out.push(`global ${g}: ${first!.dir} ${a.slice(0, 120)} vs ${other.dir} ${b.slice(0, 120)}`);
    }
  }
  return out;
}
