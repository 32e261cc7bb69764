/**
 * Runs one service: every recorded exchange from init state after the recorded requests it
 * depends on (what created the records it touches, the login of its client: dependencies.ts),
 * falling back to the recorded prefix of writes when that fails; then m fuzzed variants of up to
 * two successful originals, each after the same prefix.
 */
import { allAtOnce, oneAtATime, type Dictionary, type FuzzChange } from '../fuzz/fuzz.js';
import { dependenciesOf, MAX_PREFIX } from './dependencies.js';
import type { Execution, Replayer } from './replayer.js';
import { isSuccess, paramsOf, withParams, type Param, type Recorded } from './requests.js';

export interface OriginalRun {
  /** The request as recorded (exec.request is as sent, with the replay's ids and credentials). */
  recorded: Recorded;
  exec: Execution;
  /** The parameters as the app received them. */
  params: Param[];
  prefix: Recorded[];
  variants: { exec: Execution; changes: FuzzChange[] }[];
}

export interface ServiceRuns {
  originals: OriginalRun[];
  failedOriginals: Recorded[];
  fuzzedOk: number;
  fuzzedFailed: number;
}

const asValues = (cs: FuzzChange[]) => cs.map((c) => ({ loc: c.loc, value: c.to }));

const FUZZED_ORIGINALS = 2;
const MAX_ORIGINALS = 6;
const MAX_SINGLE = 4;
/** Executions slower than this are fuzzed sparingly (CPU-bound services). */
const SLOW_MS = 300;

/** Recorded successful writes before `r` in the traffic, most recent last. */
function writesBefore(r: Recorded, all: readonly Recorded[]): Recorded[] {
  return all.filter((x) => x.index < r.index && x.method !== 'GET' && x.method !== 'HEAD' && isSuccess(x.status));
}

/**
 * The recorded writes that produced what `r` refers to: those whose response mentions one of
 * r's path segments (the POST that created row 16 before `DELETE /items/16`).
 */
function producersOf(r: Recorded, all: readonly Recorded[]): Recorded[] {
  const segs = r.path.split('/').filter((s) => s.length > 0 && !/^[a-z]+$/i.test(s));
  if (segs.length === 0) return [];
  return writesBefore(r, all).filter((w) => {
    const text = w.response?.toString('utf8') ?? '';
    return segs.some((s) => new RegExp(`(^|[^\\w-])${s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}([^\\w-]|$)`).test(text));
  });
}

/**
 * `keep` (what the request depends on: its create, its login) plus the latest of `more` that fit
 * in MAX_PREFIX, without repeats, in recorded order.
 */
function union(keep: Recorded[], more: Recorded[]): Recorded[] {
  const have = new Set(keep.map((x) => x.index));
  const extra = more.filter((x) => !have.has(x.index));
  const room = Math.max(0, MAX_PREFIX - keep.length);
  return [...keep, ...extra.slice(extra.length - Math.min(room, extra.length))].sort((a, b) => a.index - b.index);
}

const sameList = (a: readonly Recorded[], b: readonly Recorded[]): boolean => a.length === b.length && a.every((x, i) => x.index === b[i]!.index);

/**
 * A variant's changes as the app received them: the fuzzed values, and the parameters the replay
 * renamed (a generated id is new in every run), so entry detection looks for what was sent.
 */
function sentChanges(params: readonly Param[], sent: Recorded, route: string, fuzzed: readonly FuzzChange[]): FuzzChange[] {
  const now = new Map(paramsOf(sent, route).map((p) => [JSON.stringify(p.loc), p.value]));
  const out: FuzzChange[] = [];
  for (const p of params) {
    const v = now.get(JSON.stringify(p.loc));
    const f = fuzzed.find((c) => JSON.stringify(c.loc) === JSON.stringify(p.loc));
    if (v !== undefined && String(v) !== String(p.value)) out.push({ loc: p.loc, name: p.name, from: p.value, to: v });
    else if (f) out.push(f);
  }
  return out;
}

export async function runService(replayer: Replayer, route: string, items: readonly Recorded[], all: readonly Recorded[], m: number, dict: Dictionary): Promise<ServiceRuns> {
  const out: ServiceRuns = { originals: [], failedOriginals: [], fuzzedOk: 0, fuzzedFailed: 0 };
  for (const r of items.slice(0, MAX_ORIGINALS)) {
    // The state the recorded request saw, as far as it matters: what it depends on, replayed first.
    let prefix = dependenciesOf(r, all);
    let exec = await replayer.run(r, prefix);
    if (!isSuccess(exec.response.status)) {
      const more = union(prefix, producersOf(r, all));
      if (!sameList(more, prefix)) exec = await replayer.run(r, (prefix = more));
    }
    if (!isSuccess(exec.response.status)) {
      const more = union(prefix, writesBefore(r, all));
      if (!sameList(more, prefix)) exec = await replayer.run(r, (prefix = more));
    }
    if (!isSuccess(exec.response.status)) {
      out.failedOriginals.push(r);
      continue;
    }
    out.originals.push({ recorded: r, exec, params: paramsOf(exec.request, route), prefix, variants: [] });
  }
  const slow = out.originals.length > 0 && out.originals.reduce((a, o) => a + o.exec.ms, 0) / out.originals.length > SLOW_MS;
  for (const o of out.originals.slice(0, slow ? 1 : FUZZED_ORIGINALS)) {
    if (o.params.length === 0) continue;
    // Fuzz the recorded request (its ids are renamed again in each run), report what was sent.
    const variant = async (changes: FuzzChange[]): Promise<boolean> => {
      const e = await replayer.run(withParams(o.recorded, asValues(changes)), o.prefix);
      if (!isSuccess(e.response.status)) {
        out.fuzzedFailed++;
        return false;
      }
      out.fuzzedOk++;
      o.variants.push({ exec: e, changes: sentChanges(o.params, e.request, route, changes) });
      return true;
    };
    for (let j = 1; j <= m; j++) {
      const changes = allAtOnce(o.params, j, dict);
      if (changes.length === 0) continue;
      if (await variant(changes)) continue;
      if (changes.length === 1 || slow) continue;
      for (const single of oneAtATime(o.params, j, dict).slice(0, MAX_SINGLE)) await variant(single);
    }
  }
  return out;
}
