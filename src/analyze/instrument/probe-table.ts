/**
 * The probe table: what the instrumenter assigned ids to. Probes inserted into the app carry
 * only small integer ids; the analyzer maps them back to the original file:line through this
 * table (it never leaves the analyzer process, except as a copy written for debugging).
 */
import type { Node } from '@babel/types';

/** One statement of the original source (static facts for the dependence rules). */
export interface StmtInfo {
  file: string;
  line: number;
  column: number;
  /** Kind of AST statement, e.g. "ReturnStatement". */
  kind: string;
  /** Nearest enclosing statement (control parent: if/loop/try/the statement declaring the function). */
  parent: number | null;
  /** Binding keys written (declared or assigned) by this statement. */
  defs: string[];
  /** Binding keys read by this statement. */
  uses: string[];
  /** Function keys this statement declares (function declarations, function expressions inside it). */
  declares: string[];
  /** Function key of the function the statement sits in (null at module level). */
  fn: string | null;
}

/** A module-level binding of the app: a candidate global. */
export interface GlobalInfo {
  file: string;
  name: string;
  kind: 'var' | 'let' | 'const' | 'import';
  /** For imports: the module specifier and the imported name (resolved by the analyzer). */
  source?: string;
  imported?: string;
}

/** A field read through `this` inside a class method: reported as `Class#field`. */
export interface FieldInfo {
  file: string;
  className: string;
  field: string;
}

export interface ProbeTable {
  stmts: StmtInfo[];
  globals: GlobalInfo[];
  fields: FieldInfo[];
}

export function emptyProbeTable(): ProbeTable {
  return { stmts: [], globals: [], fields: [] };
}

/** Per-file context shared by the plugins of one file. */
export interface InstrumentContext {
  /** Path of the file relative to the app root (forward slashes). */
  file: string;
  table: ProbeTable;
}

/** Name of the runtime object inside instrumented modules (set by the tracer on globalThis). */
export const RT = '__edgstr$';

/** Nodes inserted by a plugin are marked so that later visitors leave them alone. */
const MARK = Symbol.for('edgstr.inserted');
export function mark<T extends Node>(node: T): T {
  (node as unknown as Record<symbol, boolean>)[MARK] = true;
  return node;
}
export function isMarked(node: Node | null | undefined): boolean {
  return Boolean(node && (node as unknown as Record<symbol, boolean>)[MARK]);
}

const STMT_ID = Symbol.for('edgstr.stmtId');
export function setStmtId(node: Node, id: number): void {
  (node as unknown as Record<symbol, number>)[STMT_ID] = id;
}
export function getStmtId(node: Node): number | undefined {
  return (node as unknown as Record<symbol, number | undefined>)[STMT_ID];
}

/** First ids of one file's probes: the counts of the whole table when the file was instrumented. */
export interface ProbeBase {
  stmts: number;
  globals: number;
  fields: number;
}

/**
 * The probes of one file, instrumented when the server loaded it (in the app's process or its
 * ESM loader thread). Ids are `base + index`; the analyzer merges the fragments into one table.
 */
export interface ProbeFragment {
  file: string;
  base: ProbeBase;
  stmts: StmtInfo[];
  globals: GlobalInfo[];
  fields: FieldInfo[];
}

/** A table whose next ids start at `base` (the arrays are sparse below it, so that costs nothing). */
export function tableFrom(base: ProbeBase): ProbeTable {
  const table = emptyProbeTable();
  table.stmts.length = base.stmts;
  table.globals.length = base.globals;
  table.fields.length = base.fields;
  return table;
}

/** The probes a table got since {@link tableFrom}. */
export function fragmentOf(file: string, base: ProbeBase, table: ProbeTable): ProbeFragment {
  return { file, base, stmts: table.stmts.slice(base.stmts), globals: table.globals.slice(base.globals), fields: table.fields.slice(base.fields) };
}

/** The whole table of a run from its fragments (any order; ranges never overlap). */
export function mergeFragments(fragments: readonly ProbeFragment[]): ProbeTable {
  const table = emptyProbeTable();
  for (const f of [...fragments].sort((a, b) => a.base.stmts - b.base.stmts || a.base.globals - b.base.globals || a.base.fields - b.base.fields)) {
    f.stmts.forEach((x, i) => (table.stmts[f.base.stmts + i] = x));
    f.globals.forEach((x, i) => (table.globals[f.base.globals + i] = x));
    f.fields.forEach((x, i) => (table.fields[f.base.fields + i] = x));
  }
  return table;
}
