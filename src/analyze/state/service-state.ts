/**
 * State per service from its executions (DESIGN.md §3): tables from the SQL it ran, files it
 * touched (app-relative, concrete, SQLite files excluded), and globals — module-level bindings
 * by name, long-lived instance fields as Class#field — restricted to those that are state:
 * written by some execution after start-up (any service). Values that never change after
 * start-up (config, prepared statements, injected handles) are not state.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { ProbeTable } from '../instrument/probe-table.js';
import type { ExecTrace } from '../tracer/protocol.js';
import { tablesOf } from './sql-tables.js';
import { isSqliteFile, SQLITE_COMPANION } from '../../util/sqlite-file.js';

export interface StateSets {
  reads: { tables: string[]; files: string[]; globals: string[] };
  writes: { tables: string[]; files: string[]; globals: string[] };
}

/** Maps probe ids of globals to a stable key ("file::name") and a display name. */
export class GlobalNames {
  private readonly keys: (string | null)[];
  constructor(private readonly table: ProbeTable) {
    const byFileName = new Map<string, number>();
    table.globals.forEach((g, i) => {
      if (g.kind !== 'import') byFileName.set(`${g.file}::${g.name}`, i);
    });
    this.keys = table.globals.map((g) => {
      if (g.kind !== 'import') return `${g.file}::${g.name}`;
      if (!g.source?.startsWith('.') || !g.imported || g.imported === 'default') return null;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(g.file), g.source));
      for (const cand of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, `${base}/index.js`]) {
        if (byFileName.has(`${cand}::${g.imported}`)) return `${cand}::${g.imported}`;
      }
      return null;
    });
  }
  key(id: number): string | null {
    return this.keys[id] ?? null;
  }
  fieldKey(id: number): string {
    const f = this.table.fields[id]!;
    return `${f.className}#${f.field}`;
  }
  static display(key: string): string {
    return key.includes('::') ? key.slice(key.indexOf('::') + 2) : key;
  }
}

/** Keys of globals and fields written by any execution: the app's in-memory state. */
export function stateGlobals(traces: readonly ExecTrace[], names: GlobalNames): Set<string> {
  const out = new Set<string>();
  for (const t of traces) {
    for (const id of t.globalWrites) {
      const k = names.key(id);
      if (k) out.add(k);
    }
    for (const id of t.fieldWrites) out.add(names.fieldKey(id));
  }
  return out;
}

/** A SQLite file or one of its companions: the tracer sees its statements, not its bytes. */
function isSqliteOrCompanion(abs: string): boolean {
  return SQLITE_COMPANION.test(abs) || isSqliteFile(abs);
}

export interface StateContext {
  names: GlobalNames;
  state: Set<string>;
  /** Root of the app copy the traces' absolute paths point into. */
  copyRoot: string;
}

export function serviceState(traces: readonly ExecTrace[], ctx: StateContext): StateSets & { sqlFallback: boolean } {
  const rt = new Set<string>();
  const wt = new Set<string>();
  const rf = new Set<string>();
  const wf = new Set<string>();
  const rg = new Set<string>();
  const wg = new Set<string>();
  let sqlFallback = false;
  const sqliteCache = new Map<string, boolean>();
  const rel = (abs: string): string | null => {
    const r = path.relative(ctx.copyRoot, abs);
    if (r === '' || r.startsWith('..') || path.isAbsolute(r) || r.split(path.sep).includes('node_modules')) return null;
    let sq = sqliteCache.get(abs);
    if (sq === undefined) {
      sq = isSqliteOrCompanion(abs);
      sqliteCache.set(abs, sq);
    }
    return sq ? null : r.split(path.sep).join('/');
  };
  for (const t of traces) {
    for (const sql of t.sql) {
      const acc = tablesOf(sql);
      sqlFallback ||= acc.fallback;
      acc.reads.forEach((x) => rt.add(x));
      acc.writes.forEach((x) => wt.add(x));
    }
    const written = new Set(t.files.filter((f) => f.op !== 'read').map((f) => f.path));
    for (const f of t.files) {
      const r = rel(f.path);
      if (r === null) continue;
      if (f.op === 'read') {
        // a stat/exists probe for a file that is not there (static middleware, existence
        // checks) reads no state; reading contents does, even of a file still to be created
        if (!f.probe || fs.existsSync(f.path) || written.has(f.path)) rf.add(r);
      } else wf.add(r);
    }
    for (const id of t.globalReads) {
      const k = ctx.names.key(id);
      if (k && ctx.state.has(k)) rg.add(GlobalNames.display(k));
    }
    for (const id of t.globalWrites) {
      const k = ctx.names.key(id);
      if (k) wg.add(GlobalNames.display(k));
    }
    for (const id of t.fieldReads) {
      const k = ctx.names.fieldKey(id);
      if (ctx.state.has(k)) rg.add(k);
    }
    for (const id of t.fieldWrites) wg.add(ctx.names.fieldKey(id));
  }
  const sorted = (s: Set<string>) => [...s].sort();
  return {
    reads: { tables: sorted(rt), files: sorted(rf), globals: sorted(rg) },
    writes: { tables: sorted(wt), files: sorted(wf), globals: sorted(wg) },
    sqlFallback,
  };
}
