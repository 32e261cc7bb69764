/**
 * Entry and exit by the STMT-UNMAR / STMT-MAR rules (DESIGN.md §1):
 *   entry = statements that log a value equal to a request parameter in the original run and
 *           to the fuzzed value in every successful variant (the earliest such statement per
 *           parameter);
 *   exit  = the last statement that logs a value equal to the response body (or a substantial
 *           field of it) in the original run and in every successful variant.
 * Fallbacks: no parameter matched -> the first app statement of the execution; no value
 * matched the response (res.sendFile, streams) -> the app statement on the stack when the
 * response was ended.
 */
import path from 'node:path';
import type { FuzzChange } from '../fuzz/fuzz.js';
import type { ProbeTable } from '../instrument/probe-table.js';
import type { Execution } from '../replay/replayer.js';
import type { Param } from '../replay/requests.js';
import { fingerprintBytes, fingerprintText } from '../tracer/fingerprint.js';
import { orderOf } from '../deps/slice.js';

export interface Variant {
  exec: Execution;
  changes: FuzzChange[];
}

export interface EntryExit {
  entry: number[];
  exit: number[];
  /** App frames (app-relative) when no statement logged the response. */
  exitFrames: { file: string; line: number }[];
  how: { entry: 'values' | 'first-statement' | 'none'; exit: 'values' | 'field' | 'stack' | 'none' };
}

const fpOf = (v: string | number | boolean): string => fingerprintText(String(v));

function logged(e: Execution): Map<string, Set<number>> {
  const m = new Map<string, Set<number>>();
  for (const [s, fp] of e.trace.values) {
    let set = m.get(fp);
    if (!set) m.set(fp, (set = new Set()));
    set.add(s);
  }
  return m;
}

function bodyFingerprints(body: Buffer, substantialOnly: boolean): string[] {
  if (!substantialOnly) return body.length ? [fingerprintBytes(body)] : [];
  const out: string[] = [];
  try {
    const v = JSON.parse(body.toString('utf8')) as unknown;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      for (const x of Object.values(v as Record<string, unknown>)) {
        const text = typeof x === 'string' ? x : JSON.stringify(x);
        if (text !== undefined && text.length >= 8) out.push(fingerprintText(text));
      }
    }
  } catch {
    // not JSON: no fields
  }
  return out;
}

export function findEntryExit(table: ProbeTable, original: Execution, params: Param[], variants: Variant[], copyRoot: string): EntryExit {
  const ok = variants;
  const orig = logged(original);
  const varLogs = ok.map((v) => logged(v.exec));
  const order = orderOf(table, original.trace);
  const byOrder = (a: number, b: number) => (order.get(a) ?? Infinity) - (order.get(b) ?? Infinity);

  // entry
  const entry = new Set<number>();
  for (const p of params) {
    const cands = [...(orig.get(fpOf(p.value)) ?? [])].filter((s) =>
      ok.every((v, j) => {
        const change = v.changes.find((c) => c.name === p.name && JSON.stringify(c.loc) === JSON.stringify(p.loc));
        const want = fpOf(change ? change.to : p.value);
        return varLogs[j]!.get(want)?.has(s) ?? false;
      }),
    );
    cands.sort(byOrder);
    if (cands[0] !== undefined) entry.add(cands[0]);
  }
  let entryHow: EntryExit['how']['entry'] = 'values';
  if (entry.size === 0) {
    const first = original.trace.stmts[0] ?? original.trace.values[0]?.[0];
    if (first !== undefined) {
      entry.add(first);
      entryHow = 'first-statement';
    } else entryHow = 'none';
  }

  // exit
  const matchExit = (substantial: boolean): number[] => {
    const fps = bodyFingerprints(original.response.body, substantial);
    const cands = new Set<number>();
    fps.forEach((fp, i) => {
      for (const s of orig.get(fp) ?? []) {
        const all = ok.every((v, j) => {
          const vf = bodyFingerprints(v.exec.response.body, substantial);
          const want = substantial ? vf[i] : vf[0];
          return want !== undefined && (varLogs[j]!.get(want)?.has(s) ?? false);
        });
        if (all) cands.add(s);
      }
    });
    return [...cands].sort(byOrder);
  };
  let exit = matchExit(false);
  let exitHow: EntryExit['how']['exit'] = 'values';
  if (exit.length === 0) {
    exit = matchExit(true);
    exitHow = 'field';
  }
  const exitFrames: EntryExit['exitFrames'] = [];
  if (exit.length === 0) {
    exitHow = 'stack';
    for (const f of original.trace.endFrames) {
      const rel = path.relative(copyRoot, f.file).split(path.sep).join('/');
      if (!rel.startsWith('..')) exitFrames.push({ file: rel, line: f.line });
    }
    if (exitFrames.length === 0) {
      // the response was written from library code alone (a piped stream): the last app
      // statement the execution reached is what handed it over
      const last = [...original.trace.stmts].sort(byOrder).pop();
      if (last !== undefined) exit = [last];
      exitHow = last === undefined ? 'none' : 'stack';
    }
  }
  return { entry: [...entry].sort(byOrder), exit: exit.length ? [exit[exit.length - 1]!] : [], exitFrames: exitFrames.slice(0, 1), how: { entry: entryHow, exit: exitHow } };
}
