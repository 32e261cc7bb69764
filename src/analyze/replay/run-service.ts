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

/** Recorded successful writes before `r` in the traffic, most recent last. */
function prefixOf(r: Recorded, all: readonly Recorded[]): Recorded[] {
  return all.filter((x) => x.index < r.index && x.method !== 'GET' && x.method !== 'HEAD' && isSuccess(x.status)).slice(-MAX_PREFIX);
}

export async function runService(replayer: Replayer, route: string, items: readonly Recorded[], all: readonly Recorded[], m: number, dict: Dictionary): Promise<ServiceRuns> {
  const out: ServiceRuns = { originals: [], failedOriginals: [], fuzzedOk: 0, fuzzedFailed: 0 };
  for (const r of items) {
    let prefix: Recorded[] = [];
    let exec = await replayer.run(r);
    if (!isSuccess(exec.response.status)) {
      prefix = prefixOf(r, all);
      if (prefix.length) exec = await replayer.run(r, prefix);
    }
    if (!isSuccess(exec.response.status)) {
      out.failedOriginals.push(r);
      continue;
    }
    out.originals.push({ exec, params: paramsOf(r, route), prefix, variants: [] });
  }
  for (const o of out.originals.slice(0, FUZZED_ORIGINALS)) {
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
      if (changes.length === 1) continue;
      for (const single of oneAtATime(o.params, j, dict)) {
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
