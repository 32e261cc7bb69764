/**
 * The service's statements: facts from the static probe table and the executions, the DEP
 * closure from the exit, minus what precedes the entry in execution order.
 */
import type { ProbeTable } from '../instrument/probe-table.js';
import type { ExecTrace } from '../tracer/protocol.js';
import { closure, deriveEdges, explain, type Facts } from './engine.js';

export function factsOf(table: ProbeTable, traces: readonly ExecTrace[]): Facts {
  const exec = new Set<number>();
  for (const t of traces) {
    t.stmts.forEach((s) => exec.add(s));
    t.values.forEach(([s]) => exec.add(s));
  }
  const f: Facts = { exec, def: [], use: [], ctrl: [], funcdecl: [], inFn: [], ret: new Set() };
  table.stmts.forEach((st, i) => {
    st.defs.forEach((d) => f.def.push([i, d]));
    st.uses.forEach((u) => f.use.push([i, u]));
    if (st.parent !== null) f.ctrl.push([i, st.parent]);
    st.declares.forEach((fn) => f.funcdecl.push([i, fn]));
    if (st.fn) f.inFn.push([i, st.fn]);
    if (st.kind === 'ReturnStatement') f.ret.add(i);
  });
  return f;
}

/** Execution order of statements in a trace (statements seen only through values: after their parent). */
export function orderOf(table: ProbeTable, t: ExecTrace): Map<number, number> {
  const order = new Map<number, number>();
  t.stmts.forEach((s, i) => {
    if (!order.has(s)) order.set(s, i);
  });
  for (const [s] of t.values) {
    if (order.has(s)) continue;
    let p = table.stmts[s]?.parent ?? null;
    while (p !== null && !order.has(p)) p = table.stmts[p]?.parent ?? null;
    order.set(s, p === null ? t.stmts.length : order.get(p)! + 0.5);
  }
  return order;
}

export interface Slice {
  statements: number[];
  explanation: string[];
}

export function sliceService(table: ProbeTable, traces: readonly ExecTrace[], entry: number[], exit: number[], main: ExecTrace): Slice {
  const facts = factsOf(table, traces);
  const reached = closure(deriveEdges(facts), exit);
  const order = orderOf(table, main);
  const entryAt = Math.min(...entry.map((e) => order.get(e) ?? Infinity));
  const keep = [...reached.keys()].filter((s) => {
    const o = order.get(s);
    return o === undefined || !Number.isFinite(entryAt) || o >= entryAt || entry.includes(s);
  });
  for (const e of entry) if (!keep.includes(e)) keep.push(e);
  const label = (s: number) => `${table.stmts[s]!.file}:${table.stmts[s]!.line}`;
  return { statements: keep, explanation: explain(reached, label) };
}
