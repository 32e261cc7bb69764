/**
 * Pure step: executions in, per-service findings out (entry/exit, slice, state, replicability).
 */
import type { AnalyzedService, SourceLoc } from '../model/analysis.js';
import type { ServiceId } from '../model/service-id.js';
import { sliceService } from './deps/slice.js';
import { findEntryExit } from './entry-exit/find-entry-exit.js';
import { extractedFileName } from './extract/write-extracted.js';
import type { ProbeTable } from './instrument/probe-table.js';
import type { ServiceRuns } from './replay/run-service.js';
import { GlobalNames, serviceState, stateGlobals } from './state/service-state.js';
import type { CheckpointInfo, ExecTrace } from './tracer/protocol.js';

export type ServiceReport = AnalyzedService & {
  runs: { original: number; originalFailed: number; fuzzedOk: number; fuzzedFailed: number; msMedian: number | null };
  /** True when no fuzzed variant succeeded: entry/exit come from the original runs alone. */
  originalOnly: boolean;
  how: { entry: string; exit: string };
  explanation: string[];
  /** Recorded example parameters (for the extracted function's check). */
  examples: { method: string; path: string; status: number }[];
};

interface Input {
  table: ProbeTable;
  groups: { id: ServiceId; method: string; route: string }[];
  runs: Map<string, ServiceRuns>;
  copyRoot: string;
  checkpoint: CheckpointInfo;
  warnings: string[];
}

function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)]! * 10) / 10;
}

/**
 * State the app keeps in library objects it does not hold (ExecTrace.hidden): an object hung on
 * the requests of several executions whose state changed in one of them. Returns, per object,
 * how to name it and which services changed it.
 */
export function hiddenStateWritten(tracesByService: ReadonlyMap<string, readonly ExecTrace[]>): Map<string, { name: string; kind: string; writers: string[] }> {
  const seen = new Map<string, { name: string; kind: string; executions: number; writers: Set<string> }>();
  for (const [service, traces] of tracesByService) {
    for (const t of traces) {
      for (const h of t.hidden ?? []) {
        const e = seen.get(h.obj) ?? { name: h.name, kind: h.kind, executions: 0, writers: new Set<string>() };
        e.executions++;
        if (h.changed) e.writers.add(service);
        seen.set(h.obj, e);
      }
    }
  }
  const out = new Map<string, { name: string; kind: string; writers: string[] }>();
  for (const [obj, e] of seen) if (e.executions > 1 && e.writers.size > 0) out.set(obj, { name: e.name, kind: e.kind, writers: [...e.writers].sort() });
  return out;
}

export function buildReport(inp: Input): ServiceReport[] {
  const names = new GlobalNames(inp.table);
  const allTraces: ExecTrace[] = [];
  for (const r of inp.runs.values()) for (const o of r.originals) allTraces.push(o.exec.trace, ...o.variants.map((v) => v.exec.trace));
  const state = stateGlobals(allTraces, names);
  // Every execution of each service: its originals and their fuzzed variants.
  const tracesById = new Map<string, ExecTrace[]>(inp.groups.map((g) => {
    const r = inp.runs.get(g.id);
    return [g.id, r ? r.originals.flatMap((o) => [o.exec.trace, ...o.variants.map((v) => v.exec.trace)]) : []];
  }));
  const hidden = hiddenStateWritten(tracesById);
  const loc = (s: number): SourceLoc => ({ file: inp.table.stmts[s]!.file, line: inp.table.stmts[s]!.line });
  const out: ServiceReport[] = [];
  for (const g of inp.groups) {
    const r = inp.runs.get(g.id)!;
    const base = {
      id: g.id,
      method: g.method,
      route: g.route,
      runs: { original: r.originals.length, originalFailed: r.failedOriginals.length, fuzzedOk: r.fuzzedOk, fuzzedFailed: r.fuzzedFailed, msMedian: median(r.originals.map((o) => o.exec.ms)) },
      extracted: null,
      examples: r.originals.slice(0, 5).map((o) => ({ method: o.recorded.method, path: o.recorded.path, status: o.exec.response.status })),
    };
    if (r.originals.length === 0) {
      inp.warnings.push(`${g.id}: every recorded request failed when replayed from the initial state, also after the recorded requests before it — skipped`);
      out.push({
        ...base,
        entry: [],
        exit: [],
        statements: [],
        state: { reads: { tables: [], files: [], globals: [] }, writes: { tables: [], files: [], globals: [] } },
        stateful: false,
        replicable: false,
        reason: 'Every recorded request of this service failed when replayed from the initial state, also after the recorded requests before it, so it could not be analyzed.',
        originalOnly: true,
        how: { entry: 'none', exit: 'none' },
        explanation: [],
      });
      continue;
    }
    const traces = tracesById.get(g.id)!;
    const st = serviceState(traces, { names, state, copyRoot: inp.copyRoot });
    if (st.sqlFallback) inp.warnings.push(`${g.id}: some SQL could not be parsed; its tables were found by a pattern match`);
    const main = r.originals.find((o) => o.variants.length > 0) ?? r.originals[0]!;
    const ee = findEntryExit(inp.table, main.exec, main.params, main.variants, inp.copyRoot);
    const slice = sliceService(inp.table, traces, ee.entry, ee.exit, main.exec.trace);
    const exit = ee.exit.length ? ee.exit.map(loc) : ee.exitFrames;
    const entry = ee.entry.map(loc);
    const dedupe = (l: SourceLoc[]) => l.filter((x, i) => l.findIndex((y) => y.file === x.file && y.line === x.line) === i);
    const outbound = [...new Set(traces.flatMap((t) => t.outbound))];
    let replicable = true;
    let reason: string | null = null;
    if (outbound.length) {
      replicable = false;
      reason = inp.checkpoint.mongo
        ? `It talks to a document store (MongoDB at ${outbound.join(', ')}), whose state edgstr cannot replicate.`
        : `It talks to another network service (${outbound.join(', ')}), whose state edgstr cannot replicate.`;
    }
    const touched = [...new Set(traces.flatMap((t) => (t.hidden ?? []).map((h) => h.obj)))].filter((o) => hidden.has(o)).map((o) => hidden.get(o)!);
    if (touched.length && replicable) {
      replicable = false;
      const by = (w: string[]): string => (w.length <= 2 ? w.join(' and ') : `${w.slice(0, 2).join(', ')} and ${w.length - 2} other services`);
      const what = touched.map((h) => `${h.name}, a ${h.kind} changed by ${by(h.writers)}`).join('; ');
      reason = `It depends on state the app keeps in a library object that no variable of the app holds (${what}); edgstr cannot replicate it, so the cloud answers. To serve it at the edge, keep that state in SQLite (for sessions: a store such as connect-sqlite3 or connect-session-sequelize).`;
    }
    const stateful = touched.length > 0 || st.writes.tables.length + st.writes.files.length + st.writes.globals.length > 0;
    out.push({
      ...base,
      entry: dedupe(entry),
      exit: dedupe(exit),
      statements: dedupe(slice.statements.map(loc)).sort((a, b) => (a.file === b.file ? a.line - b.line : a.file.localeCompare(b.file))),
      state: { reads: st.reads, writes: st.writes },
      stateful,
      replicable,
      reason,
      extracted: extractedFileName(g.id),
      originalOnly: !r.originals.some((o) => o.variants.length > 0),
      how: ee.how,
      explanation: slice.explanation,
    });
  }
  return out;
}
