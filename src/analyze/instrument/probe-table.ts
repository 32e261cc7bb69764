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
