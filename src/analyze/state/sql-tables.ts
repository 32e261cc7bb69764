/**
 * Tables read and written by SQL text, with node-sql-parser (SQLite dialect): FROM/JOIN targets
 * (sub-queries included) are reads; INSERT/UPDATE/DELETE (and DDL) targets are writes. Bind
 * placeholders the parser does not take (`LIMIT ?`) are replaced by literals first; when the
 * parser still fails, a careful regex is used and the fallback is reported.
 */
import sqlParser from 'node-sql-parser';

const { Parser } = sqlParser as unknown as { Parser: new () => { tableList(sql: string, opt: { database: string }): string[] } };
const parser = new Parser();

export interface TableAccess {
  reads: string[];
  writes: string[];
  /** True when the regex fallback was used. */
  fallback: boolean;
}

const NO_TABLES = /^\s*(begin|commit|end|rollback|savepoint|release|pragma|vacuum|analyze|explain\s+query\s+plan\s+pragma)\b/i;

/** Replaces bind placeholders outside string literals by a literal the parser accepts. */
export function inlinePlaceholders(sql: string): string {
  let out = '';
  let quote: string | null = null;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i]!;
    if (quote) {
      out += c;
      if (c === quote) quote = null;
      continue;
    }
    if (c === "'" || c === '"' || c === '`') {
      quote = c;
      out += c;
      continue;
    }
    if (c === '?') {
      out += '1';
      while (/\d/.test(sql[i + 1] ?? '')) i++;
      continue;
    }
    if ((c === ':' || c === '@' || c === '$') && /[A-Za-z_]/.test(sql[i + 1] ?? '') && !/[\w:]/.test(sql[i - 1] ?? '')) {
      out += '1';
      while (/[\w]/.test(sql[i + 1] ?? '')) i++;
      continue;
    }
    out += c;
  }
  return out;
}

function clean(name: string): string {
  return name.replace(/^["`[]|["`\]]$/g, '').replace(/^(main|temp)\./i, '').toLowerCase();
}

function regexFallback(sql: string): TableAccess {
  const reads = new Set<string>();
  const writes = new Set<string>();
  const ident = '([`"[]?[A-Za-z_][\\w$]*[`"\\]]?(?:\\.[`"[]?[A-Za-z_][\\w$]*[`"\\]]?)?)';
  for (const m of sql.matchAll(new RegExp(`\\b(?:from|join)\\s+${ident}`, 'gi'))) reads.add(clean(m[1]!.split('.').pop()!));
  for (const m of sql.matchAll(new RegExp(`\\b(?:insert\\s+(?:or\\s+\\w+\\s+)?into|replace\\s+into|update(?:\\s+or\\s+\\w+)?|delete\\s+from)\\s+${ident}`, 'gi'))) {
    const t = clean(m[1]!.split('.').pop()!);
    writes.add(t);
  }
  // "DELETE FROM t" matched FROM as a read too: a DELETE target is not a read
  for (const m of sql.matchAll(new RegExp(`\\bdelete\\s+from\\s+${ident}`, 'gi'))) {
    const t = clean(m[1]!.split('.').pop()!);
    const others = [...sql.matchAll(new RegExp(`\\b(?:from|join)\\s+${ident}`, 'gi'))].filter((x) => clean(x[1]!.split('.').pop()!) === t).length;
    if (others <= 1) reads.delete(t);
  }
  return { reads: [...reads], writes: [...writes], fallback: true };
}

export function tablesOf(sql: string): TableAccess {
  if (NO_TABLES.test(sql)) return { reads: [], writes: [], fallback: false };
  let list: string[];
  try {
    list = parser.tableList(inlinePlaceholders(sql), { database: 'sqlite' });
  } catch {
    return regexFallback(sql);
  }
  const reads = new Set<string>();
  const writes = new Set<string>();
  for (const entry of list) {
    const [op, , table] = entry.split('::');
    if (!table || table === 'null') continue;
    const t = clean(table);
    if (t.startsWith('sqlite_') || t.startsWith('__edgstr_')) continue;
    if (op === 'select') reads.add(t);
    else writes.add(t);
  }
  return { reads: [...reads], writes: [...writes], fallback: false };
}
