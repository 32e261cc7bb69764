/**
 * Runs one service: every recorded exchange from init state (after the recorded prefix of
 * writes when it fails alone), then m fuzzed variants of up to two successful originals.
 */
import { allAtOnce, oneAtATime, type Dictionary, type FuzzChange } from '../fuzz/fuzz.js';
import type { Execution, Replayer } from './replayer.js';
import { isSuccess, paramsOf, withParams, type Param, type Recorded } from './requests.js';

export interface OriginalRun {
  exec: Execution;
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

const MAX_PREFIX = 40;
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

export async function runService(replayer: Replayer, route: string, items: readonly Recorded[], all: readonly Recorded[], m: number, dict: Dictionary): Promise<ServiceRuns> {
  const out: ServiceRuns = { originals: [], failedOriginals: [], fuzzedOk: 0, fuzzedFailed: 0 };
  for (const r of items.slice(0, MAX_ORIGINALS)) {
    let prefix: Recorded[] = [];
    let exec = await replayer.run(r);
    if (!isSuccess(exec.response.status)) {
      prefix = producersOf(r, all);
      if (prefix.length) exec = await replayer.run(r, prefix);
    }
    if (!isSuccess(exec.response.status)) {
      prefix = writesBefore(r, all).slice(-MAX_PREFIX);
      if (prefix.length) exec = await replayer.run(r, prefix);
    }
    if (!isSuccess(exec.response.status)) {
      out.failedOriginals.push(r);
      continue;
    }
    out.originals.push({ exec, params: paramsOf(r, route), prefix, variants: [] });
  }
  const slow = out.originals.length > 0 && out.originals.reduce((a, o) => a + o.exec.ms, 0) / out.originals.length > SLOW_MS;
  for (const o of out.originals.slice(0, slow ? 1 : FUZZED_ORIGINALS)) {
    if (o.params.length === 0) continue;
    for (let j = 1; j <= m; j++) {
      const changes = allAtOnce(o.params, j, dict);
      if (changes.length === 0) continue;
      const e = await replayer.run(withParams(o.exec.request, asValues(changes)), o.prefix);
      if (isSuccess(e.response.status)) {
        out.fuzzedOk++;
        o.variants.push({ exec: e, changes });
        continue;
      }
      out.fuzzedFailed++;
      if (changes.length === 1 || slow) continue;
      for (const single of oneAtATime(o.params, j, dict).slice(0, MAX_SINGLE)) {
        const e1 = await replayer.run(withParams(o.exec.request, asValues(single)), o.prefix);
        if (isSuccess(e1.response.status)) {
          out.fuzzedOk++;
          o.variants.push({ exec: e1, changes: single });
        } else out.fuzzedFailed++;
      }
    }
  }
  return out;
}
