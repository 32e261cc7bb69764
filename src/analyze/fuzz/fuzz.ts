/**
 * Fuzzing: variants of a request with its primitive parameters mutated to values that keep the
 * request valid where possible (ids seen elsewhere in the traffic, numbers moved a little,
 * strings with a suffix). The dictionary records, per variant, each parameter's original and
 * fuzzed value, so entry detection can require "the original in the original run and the
 * fuzzed value in every variant".
 */
import type { Param, ParamLoc, Recorded } from '../replay/requests.js';

export type Primitive = string | number | boolean;

/** Values seen per parameter name across the whole traffic (requests and response ids). */
export type Dictionary = Map<string, Primitive[]>;

export interface FuzzChange {
  loc: ParamLoc;
  name: string;
  from: Primitive;
  to: Primitive;
}

const SUFFIXES = ['x', 'yz', 'Q7'];

function addValue(d: Dictionary, name: string, v: Primitive): void {
  const list = d.get(name) ?? [];
  if (!list.some((x) => String(x) === String(v))) list.push(v);
  d.set(name, list);
}

/** Builds the dictionary from every request's parameters and the ids in recorded responses. */
export function buildDictionary(params: Param[][], responses: readonly Recorded[]): Dictionary {
  const d: Dictionary = new Map();
  for (const list of params) for (const p of list) addValue(d, p.name, p.value);
  for (const r of responses) {
    if (!r.response || r.response.length > 200000) continue;
    let v: unknown;
    try {
      v = JSON.parse(r.response.toString('utf8'));
    } catch {
      continue;
    }
    const visit = (x: unknown, depth: number) => {
      if (depth > 3 || x === null || typeof x !== 'object') return;
      if (Array.isArray(x)) x.slice(0, 50).forEach((y) => visit(y, depth + 1));
      else
        for (const [k, y] of Object.entries(x)) {
          if (typeof y === 'number' || typeof y === 'string') {
            if (/^id$|Id$|_id$/.test(k)) addValue(d, 'id', y);
            if (/^(id|slug|name|user|symbol)$/.test(k)) addValue(d, k, y);
          } else visit(y, depth + 1);
        }
    };
    visit(v, 0);
  }
  return d;
}

/** The j-th (1-based) mutation of a parameter, or null when there is none worth trying. */
export function mutate(p: Param, j: number, dict: Dictionary): Primitive | null {
  const v = p.value;
  if (typeof v === 'boolean') return null;
  // A path parameter or a field named ...id addresses a thing: a made-up value only makes the
  // lookup fail (DESIGN.md §6), so its variants are other values seen under that name. This goes by
  // the parameter's name and place; what a value looks like is model/ids.ts's question.
  const addressesAThing = p.loc.kind === 'path' || /id$/i.test(p.name);
  if (addressesAThing) {
    const seen = [...(dict.get(p.name) ?? []), ...(p.loc.kind === 'path' && /id$/i.test(p.name) ? (dict.get('id') ?? []) : [])]
      .filter((x) => String(x) !== String(v))
      .filter((x, i, a) => a.findIndex((y) => String(y) === String(x)) === i);
    if (seen.length >= j) {
      const pick = seen[j - 1]!;
      return typeof v === 'number' ? Number(pick) : String(pick);
    }
  }
  if (typeof v === 'number') return Number.isInteger(v) ? v + j : Math.round(v * (1 + 0.1 * j) * 1000) / 1000;
  if (/^-?\d+$/.test(v)) return String(Math.max(0, Number(v) + (Number(v) > j ? -j : j)));
  if (/^-?\d*\.\d+$/.test(v)) return String(Math.round(Number(v) * (1 + 0.1 * j) * 1000) / 1000);
  if (v.length === 0) return null;
  return `${v}${SUFFIXES[(j - 1) % SUFFIXES.length]}`;
}

/** Variant j with every parameter mutated at once. */
export function allAtOnce(params: Param[], j: number, dict: Dictionary): FuzzChange[] {
  const out: FuzzChange[] = [];
  for (const p of params) {
    const to = mutate(p, j, dict);
    if (to !== null && String(to) !== String(p.value)) out.push({ loc: p.loc, name: p.name, from: p.value, to });
  }
  return out;
}

/** Variant j with one parameter mutated. */
export function oneAtATime(params: Param[], j: number, dict: Dictionary): FuzzChange[][] {
  return allAtOnce(params, j, dict).map((c) => [c]);
}
