/**
 * A tiny Datalog-style engine for the dependence rules of DESIGN.md §1. Facts are typed tuples;
 * rules derive DEP edges (each tagged with the rule that produced it, so a slice can be
 * explained); the slice is the transitive closure of DEP from the exit.
 *
 *   DEP(a, b) <- USE(a, v) & DEF(b, v) & EXEC(a) & EXEC(b)            data dependence
 *   DEP(a, b) <- CTRL(a, b) & EXEC(a)                                    control dependence
 *   DEP(d, r) <- FUNCDECL(d, f) & IN(r, f) & RET(r) & EXEC(r)            a function's value is its returns
 *   DEP(a, c) <- DEP(a, b) & DEP(b, c)                                   transitive closure
 */

/** The facts about one execution (or a union of executions of a service). */
export interface Facts {
  exec: Set<number>;
  def: [stmt: number, binding: string][];
  use: [stmt: number, binding: string][];
  ctrl: [stmt: number, parent: number][];
  funcdecl: [stmt: number, fn: string][];
  inFn: [stmt: number, fn: string][];
  ret: Set<number>;
}

export type Rule = 'data' | 'control' | 'return';
export interface Edge {
  from: number;
  to: number;
  rule: Rule;
  via?: string;
}

/** Derives the DEP edges (before closure) from the facts. */
export function deriveEdges(f: Facts): Map<number, Edge[]> {
  const out = new Map<number, Edge[]>();
  const add = (e: Edge) => {
    const list = out.get(e.from) ?? [];
    if (!list.some((x) => x.to === e.to)) list.push(e);
    out.set(e.from, list);
  };
  const defsOf = new Map<string, number[]>();
  for (const [s, v] of f.def) if (f.exec.has(s) || isDeclOnly(f, s)) defsOf.set(v, [...(defsOf.get(v) ?? []), s]);
  for (const [a, v] of f.use) {
    if (!f.exec.has(a)) continue;
    for (const b of defsOf.get(v) ?? []) if (a !== b) add({ from: a, to: b, rule: 'data', via: v });
  }
  for (const [a, p] of f.ctrl) if (f.exec.has(a)) add({ from: a, to: p, rule: 'control' });
  const declBy = new Map<string, number[]>();
  for (const [d, fn] of f.funcdecl) declBy.set(fn, [...(declBy.get(fn) ?? []), d]);
  for (const [r, fn] of f.inFn) {
    if (!f.ret.has(r) || !f.exec.has(r)) continue;
    for (const d of declBy.get(fn) ?? []) add({ from: d, to: r, rule: 'return', via: fn });
  }
  return out;
}

/** Statements that declare functions are "executed" whenever something uses what they define. */
function isDeclOnly(f: Facts, s: number): boolean {
  return f.funcdecl.some(([d]) => d === s);
}

/** Closure of DEP from `roots`: every statement they depend on, with the edge that reached it. */
export function closure(edges: Map<number, Edge[]>, roots: readonly number[]): Map<number, Edge | null> {
  const reached = new Map<number, Edge | null>();
  const stack = [...roots];
  for (const r of roots) reached.set(r, null);
  while (stack.length) {
    const s = stack.pop()!;
    for (const e of edges.get(s) ?? []) {
      if (reached.has(e.to)) continue;
      reached.set(e.to, e);
      stack.push(e.to);
    }
  }
  return reached;
}

/** Human-readable derivation of each statement in a closure ("12 <-data(x)- 15"). */
export function explain(reached: Map<number, Edge | null>, label: (s: number) => string): string[] {
  const lines: string[] = [];
  for (const [s, e] of reached) {
    if (!e) lines.push(`${label(s)}  (root)`);
    else lines.push(`${label(s)}  <-${e.rule}${e.via ? `(${e.via.split(':').pop()})` : ''}-  ${label(e.from)}`);
  }
  return lines;
}
