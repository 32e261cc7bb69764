/**
 * The values and versions of table-store.ts: how a cell is encoded on the wire and in the
 * change log, how a clock row's column versions are kept and compared, keys, and the digest
 * term of a clock row. Pure functions, no database.
 */
import type { TableInfo } from './table-schema.js';
import { q } from './table-schema.js';
import { bytesEqual } from './util.js';

/** A cell on the wire and in the log: JSON, with blobs as `{"$b": hex}`. */
export type WireValue = null | number | string | { $b: string };
/** A column version: lamport time, then the writing site (tie-break). */
export type ColumnVersion = [number, string];
export type SqlValue = null | number | bigint | string | Uint8Array;
export type SqlRow = Record<string, SqlValue>;

/**
 * One row of a page: table, key (JSON array of the primary-key values, as SQLite's json_array
 * writes it), causal length, values in the page's column order of the table (null when
 * deleted), row version, row site, per-column versions that differ from the row's (or null).
 */
export type WireRow = [string, string, number, WireValue[] | null, number, string, Record<string, ColumnVersion> | null];

/** One row of `__edgstr_clock` (see table-store.ts). */
export interface ClockRow {
  tbl: string;
  pk: string;
  cl: number;
  ver: number;
  site: string;
  cv: string | null;
  dbv: number;
  src: string | null;
  ha?: number;
  hb?: number;
}

export interface LogEntry {
  tbl: string;
  op: string;
  key: string;
  old: string | null;
}

export function selectList(info: TableInfo): string {
  return info.pk.length > 0 ? '*' : 'rowid AS "__edgstr_rowid", *';
}

/** The SQL expression of a row's key, as the triggers log it. */
export function keySql(info: TableInfo): string {
  return `json_array(${(info.pk.length > 0 ? info.pk.map(q) : ['rowid']).join(', ')})`;
}

export function whereKey(info: TableInfo): string {
  return info.pk.length > 0 ? info.pk.map((c) => `${q(c)} = ?`).join(' AND ') : 'rowid = ?';
}

export function keyValues(pk: string): SqlValue[] {
  return (JSON.parse(pk) as WireValue[]).map(decodeValue);
}

export function encodeValue(v: SqlValue | undefined): WireValue {
  if (v === null || v === undefined) return null;
  if (v instanceof Uint8Array) return { $b: Buffer.from(v).toString('hex') };
  if (typeof v === 'bigint') return Number(v);
  return v;
}

export function decodeValue(v: WireValue): SqlValue {
  if (v !== null && typeof v === 'object') return Buffer.from(v.$b, 'hex');
  return v;
}

export function encodeRow(info: TableInfo, row: SqlRow): WireValue[] {
  return info.columns.map((c) => encodeValue(row[c]));
}

export function decodeValues(info: TableInfo, values: Map<string, WireValue>): Record<string, SqlValue> {
  const out: Record<string, SqlValue> = {};
  for (const c of info.columns) if (values.has(c)) out[c] = decodeValue(values.get(c)!);
  return out;
}

/** The OLD values a trigger logged (a JSON array in column order, blobs as `{"$b": hex}`). */
export function decodeOld(info: TableInfo, old: string): SqlRow {
  const values = JSON.parse(old) as WireValue[];
  const out: SqlRow = {};
  info.columns.forEach((c, i) => {
    out[c] = decodeValue(values[i] ?? null);
  });
  return out;
}

export function columnVersions(row: ClockRow, columns: string[]): Map<string, ColumnVersion> {
  const overrides = row.cv === null ? {} : (JSON.parse(row.cv) as Record<string, ColumnVersion>);
  return new Map(columns.map((c) => [c, overrides[c] ?? [row.ver, row.site]]));
}

/**
 * The row version and the columns whose version differs from it (JSON, null when none). The
 * row version is the one most columns have (ties: the highest), so an update of one column
 * stores and sends one entry, not one per untouched column.
 */
export function normalize(versions: Map<string, ColumnVersion>): { ver: number; site: string; cv: string | null } {
  const counts = new Map<string, { v: ColumnVersion; n: number }>();
  for (const v of versions.values()) {
    const k = `${v[0]}\0${v[1]}`;
    const c = counts.get(k);
    if (c) c.n++;
    else counts.set(k, { v, n: 1 });
  }
  let top: { v: ColumnVersion; n: number } = { v: [0, ''], n: 0 };
  for (const c of counts.values()) if (c.n > top.n || (c.n === top.n && compareVersion(c.v, top.v) > 0)) top = c;
  const cv: Record<string, ColumnVersion> = {};
  let any = false;
  for (const [c, v] of versions) {
    if (v[0] !== top.v[0] || v[1] !== top.v[1]) {
      cv[c] = v;
      any = true;
    }
  }
  return { ver: top.v[0], site: top.v[1], cv: any ? JSON.stringify(cv) : null };
}

export function compareVersion(a: ColumnVersion, b: ColumnVersion): number {
  return a[0] - b[0] || compareText(a[1], b[1]);
}

export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function sameValue(a: SqlValue, b: SqlValue): boolean {
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    return a instanceof Uint8Array && b instanceof Uint8Array && bytesEqual(a, b);
  }
  if (typeof a === 'bigint' || typeof b === 'bigint') return Number(a) === Number(b);
  return a === b;
}

/** Two 32-bit FNV-1a hashes (different offsets) of a clock row and its values. */
export function rowHash(row: ClockRow, values: WireValue[] | null): [number, number] {
  const text = `${row.tbl}\0${row.pk}\0${row.cl}\0${row.ver}\0${row.site}\0${row.cv ?? ''}\0${values ? JSON.stringify(values) : ''}`;
  let a = 0x811c9dc5;
  let b = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    a = Math.imul(a ^ ch, 0x01000193) >>> 0;
    b = Math.imul(b ^ ch, 0x01000193) >>> 0;
  }
  return [a, b];
}
