/**
 * Response equivalence for `edgstr verify` (pure). Two responses are equivalent when their status
 * is the same and their bodies are equal structurally (JSON) or byte for byte (anything else),
 * except at volatile places and where a generated id was consistently renamed:
 *  - volatile paths (timestamps, random tokens) are found by running the same request more than
 *    once against the original and seeing where the answers differ (Keploy does the same);
 *  - generated ids: an edge allocates new keys in its own range, so `7` at the cloud is
 *    `1099511627783` at an edge. An IdMap (id-map.ts) learns such renamings from responses and
 *    applies them to later requests; a difference that agrees with the map is not a failure.
 */

import { kindOfCollection, kindOfField, kindOfPath, WORD_SEPARATORS, type IdMap } from './id-map.js';

/** A JSON path like `$.items[3].id`. Arrays use their index. */
export type JsonPath = string;

export interface Leaf {
  path: JsonPath;
  value: unknown;
}

/** Parses a body as JSON when it is JSON, else returns the text itself. */
export function parseBody(text: string, mimeType: string): unknown {
  const looksJson = /json/i.test(mimeType) || /^\s*[[{]/.test(text);
  if (!looksJson) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Every leaf (primitive, or empty array/object) of a JSON value, with its path. */
export function leaves(value: unknown, path: JsonPath = '$', out: Leaf[] = []): Leaf[] {
  if (Array.isArray(value)) {
    if (value.length === 0) out.push({ path, value: [] });
    value.forEach((v, i) => leaves(v, `${path}[${i}]`, out));
  } else if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) out.push({ path, value: {} });
    for (const k of keys) leaves((value as Record<string, unknown>)[k], `${path}.${k}`, out);
  } else out.push({ path, value });
  return out;
}

/** Paths whose values differ between runs of the same request (the "volatile" ones). */
export function volatilePaths(runs: unknown[]): Set<JsonPath> {
  const out = new Set<JsonPath>();
  if (runs.length < 2) return out;
  const maps = runs.map((r) => new Map(leaves(r).map((l) => [l.path, JSON.stringify(l.value)])));
  const all = new Set<JsonPath>();
  for (const m of maps) for (const p of m.keys()) all.add(p);
  for (const p of all) {
    const first = maps[0]!.get(p);
    if (maps.some((m) => m.get(p) !== first)) out.add(p);
  }
  // A plain-text body that differs between runs is volatile as a whole.
  if (runs.some((r) => typeof r === 'string') && runs.some((r) => JSON.stringify(r) !== JSON.stringify(runs[0]))) out.add('$');
  return out;
}

export interface Difference {
  path: JsonPath;
  expected: unknown;
  actual: unknown;
}

export interface Comparison {
  ok: boolean;
  statusExpected: number;
  statusActual: number;
  differences: Difference[];
  /** Differences accepted because the path is volatile or the value is a renamed id. */
  masked: number;
}

/**
 * Compares a recorded response with the one obtained now. Differences at volatile paths are
 * masked; differences between id-like values are accepted when consistent with `ids`; with
 * `learnIds` (the request creates something: POST/PUT) new renamings are learned.
 */
export function compareResponses(
  recorded: { status: number; body: unknown },
  actual: { status: number; body: unknown },
  volatile: Set<JsonPath>,
  ids: IdMap,
  learnIds = false,
  requestPath = '/',
): Comparison {
  const differences: Difference[] = [];
  let masked = 0;
  if (volatile.has('$')) masked++;
  else {
    const exp = new Map(leaves(recorded.body).map((l) => [l.path, l.value]));
    const act = new Map(leaves(actual.body).map((l) => [l.path, l.value]));
    for (const path of new Set([...exp.keys(), ...act.keys()])) {
      const e = exp.get(path);
      const a = act.get(path);
      if (JSON.stringify(e) === JSON.stringify(a)) continue;
      // Renamings first: a generated id is often volatile too (a random UUID, or a key that
      // differed between the replays), and its renaming must still be learned for the
      // requests that address the thing later.
      if (renamed(ids, path, e, a, learnIds, requestPath) || volatile.has(path)) {
        masked++;
        continue;
      }
      differences.push({ path, expected: e, actual: a });
    }
  }
  const ok = recorded.status === actual.status && differences.length === 0;
  return { ok, statusExpected: recorded.status, statusActual: actual.status, differences, masked };
}

/** The last key of a JSON path: `$.shops[3].id` → "id". */
function lastKey(path: JsonPath): string {
  const m = /\.([^.[\]]+)(?:\[\d+\])*$/.exec(path);
  return m ? m[1]! : '';
}

/** Container names that say nothing of what they hold (`{"items": [{"id": 4}]}`). */
const GENERIC = /^(items|data|results?|rows|records|list|entries|values?|docs|hits|objects|payload|content)$/i;

/**
 * The kind of thing the id at `path` names: `$.boxes[2].id` → "box" (rows nested under a named
 * collection), `$.items[0].id` or `$.id` → the request's collection, `$.shopId` → "shop".
 */
export function kindOfLeaf(path: JsonPath, requestPath: string): string | null {
  const key = lastKey(path);
  if (/^(id|_id|uuid|key)$/i.test(key)) {
    const parent = /\.([A-Za-z][\w-]*)(?:\[\d+\])*\.[^.[\]]+$/.exec(path)?.[1];
    if (parent && !GENERIC.test(parent)) return kindOfCollection(parent);
  }
  return kindOfField(key, requestPath);
}

/** A difference that is only a generated id renamed consistently (as a value, or inside a text). */
function renamed(ids: IdMap, path: JsonPath, e: unknown, a: unknown, learn: boolean, requestPath: string): boolean {
  const kind = kindOfLeaf(path, requestPath);
  if (kind && ids.acceptOrLearn(kind, e, a, learn)) return true;
  // Under any key (`{"deleted": 6}`), the exact renaming already learned for 6 is that id.
  if (ids.knownPair(e, a)) return true;
  if (typeof e === 'string' && typeof a === 'string') {
    if (pathRenamed(ids, e, a, learn)) return true;
    const k = kindOfPath(requestPath);
    if (k && ids.rewriteText(k, e) === a) return true;
    if (ids.rewriteNamedIds(e) === a) return true;
  }
  return false;
}

/**
 * A link inside a string (`"href": "/notes/5/attachments/x"` against `/notes/16777217/...`, or
 * `/uploads/item-5-kettle.svg` against `/uploads/item-16777217-kettle.svg`): equal word by word
 * except ids, each renamed consistently for the thing named by the word just before it (`notes`,
 * `item`). Such a link may also be the first place a renaming shows (`{"href", "id"}` is compared
 * in key order), so it learns as an id field would.
 */
function pathRenamed(ids: IdMap, e: string, a: string, learn: boolean): boolean {
  if (!e.includes('/')) return false;
  const es = e.split(WORD_SEPARATORS);
  const as = a.split(WORD_SEPARATORS);
  if (es.length !== as.length) return false;
  let differing = 0;
  let kind: string | null = null;
  for (let i = 0; i < es.length; i++) {
    // odd indexes are the separators, which must be equal
    if (es[i] !== as[i]) {
      if (i % 2 === 1 || !kind || !ids.acceptOrLearn(kind, es[i], as[i], learn)) return false;
      differing++;
    }
    if (i % 2 === 0 && es[i] !== '') kind = kindOfCollection(es[i]!) ?? kind;
  }
  return differing > 0;
}
