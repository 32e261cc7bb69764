/**
 * Response equivalence for `edgstr verify` (pure). Two responses are equivalent when their status
 * is the same and their bodies are equal structurally (JSON) or byte for byte (anything else),
 * except at volatile places and where a generated id was consistently renamed:
 *  - volatile paths (timestamps, random tokens) are found by running the same request more than
 *    once against the original and seeing where the answers differ (Keploy does the same);
 *  - generated ids: an edge allocates new keys in its own range, so `7` at the cloud is
 *    `1099511627783` at an edge. An {@link IdMap} learns such renamings from responses and applies
 *    them to later requests; a difference that agrees with the map is not a failure.
 */

import { SLOT_SIZE, WINDOW_SIZE } from '../runtime/table-schema.js';
import { singular } from '../services/segments.js';

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

/**
 * Learns consistent renamings of generated ids (recorded value → value seen at the edge), per
 * kind of thing: REST apps name a thing's id `id` inside its collection's answers (`POST /shops`
 * → `{"id": 4}`) and `shopId`/`shop_id` elsewhere, and address it as `/shops/4`. The kind is the
 * singular of that collection or field name, so shop 4 and employee 4 are renamed independently.
 */
export class IdMap {
  private readonly forward = new Map<string, Map<string, string>>();
  private readonly backward = new Map<string, Map<string, string>>();

  /**
   * @param allocatedHere true for an id only a replica other than the original could have
   *   generated (an edge's key range): such an id may teach a renaming from any answer, also
   *   one to a read, because ids generated without being returned (child rows) show up there.
   */
  constructor(private readonly allocatedHere: (id: string) => boolean = () => false) {}

  /**
   * True when `actual` is what `recorded` is called here, for things of `kind`. With `learn`, a
   * renaming not seen before is recorded (only answers to requests that create things should
   * teach the map); a renaming that contradicts what was learned is always false.
   */
  agrees(kind: string, recorded: unknown, actual: unknown, learn: boolean): boolean {
    if (!isIdLike(recorded) || !isIdLike(actual)) return false;
    const r = String(recorded);
    const a = String(actual);
    const fwd = this.forward.get(kind) ?? new Map<string, string>();
    const bwd = this.backward.get(kind) ?? new Map<string, string>();
    const f = fwd.get(r) ?? this.get(kind, r);
    const b = bwd.get(a);
    if (f !== undefined || b !== undefined) return f === a && (b === undefined || b === r);
    if (!learn && !(this.allocatedHere(a) && !this.allocatedHere(r))) return false;
    fwd.set(r, a);
    bwd.set(a, r);
    this.forward.set(kind, fwd);
    this.backward.set(kind, bwd);
    return true;
  }

  /**
   * True when some kind already maps `recorded` to `actual`: the same thing reached under
   * another name (`POST /detect` answers `{id}`, `GET /detections` lists it). Never learns.
   */
  knownPair(recorded: unknown, actual: unknown): boolean {
    if (!isIdLike(recorded) || !isIdLike(actual)) return false;
    for (const m of this.forward.values()) if (m.get(String(recorded)) === String(actual)) return true;
    return false;
  }

  /**
   * The renaming of `recorded` for things of `kind`; else from a related kind, one name being a
   * prefix of the other (`POST /detect` created it, `/detections/5` reads it).
   */
  get(kind: string, recorded: string): string | undefined {
    const exact = this.forward.get(kind)?.get(recorded);
    if (exact !== undefined) return exact;
    for (const [k, m] of this.forward) {
      if (Math.min(k.length, kind.length) >= 4 && (k.startsWith(kind) || kind.startsWith(k))) {
        const v = m.get(recorded);
        if (v !== undefined) return v;
      }
    }
    return undefined;
  }

  get size(): number {
    let n = 0;
    for (const m of this.forward.values()) n += m.size;
    return n;
  }

  /** Rewrites a request path ("/shops/4/staff?shopId=4") segment by segment and query value by value. */
  rewritePath(pathAndQuery: string): string {
    if (this.size === 0) return pathAndQuery;
    const q = pathAndQuery.indexOf('?');
    const path = q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery;
    const query = q >= 0 ? pathAndQuery.slice(q + 1) : null;
    const segs = path.split('/');
    let out = segs
      .map((s, i) => {
        const kind = i > 0 ? kindOfCollection(segs[i - 1]!) : null;
        return (kind && this.get(kind, safeDecode(s))) ?? this.rewriteInSegment(s);
      })
      .join('/');
    if (query !== null) {
      // Pair by pair, leaving untouched pairs byte for byte as they were sent.
      const pairs = query.split('&').map((pair) => {
        const eq = pair.indexOf('=');
        if (eq < 0) return pair;
        const key = safeDecode(pair.slice(0, eq).replace(/\+/g, ' '));
        // `shopId=4`, and also `recipes=5,4`: a key naming a collection, with a comma list.
        const kind = kindOfField(key, path) ?? kindOfCollection(key);
        if (!kind) return pair;
        const parts = safeDecode(pair.slice(eq + 1).replace(/\+/g, ' ')).split(',');
        const mapped = parts.map((part) => this.get(kind, part) ?? part);
        if (mapped.every((m, i) => m === parts[i])) return pair;
        return `${pair.slice(0, eq)}=${mapped.map(encodeURIComponent).join(',')}`;
      });
      out += `?${pairs.join('&')}`;
    }
    return out;
  }

  /** `item-5-kettle.svg` -> `item-16777217-kettle.svg`: an id named by the word before it. */
  private rewriteInSegment(segment: string): string {
    const parts = segment.split(WORD_SEPARATORS);
    if (parts.length < 3) return segment;
    let kind: string | null = null;
    return parts
      .map((part, i) => {
        if (i % 2 === 1) return part;
        const renamed = kind ? this.get(kind, part) : undefined;
        kind = kindOfCollection(part) ?? kind;
        return renamed ?? part;
      })
      .join('');
  }

  /** Rewrites the ids of a JSON request body sent to `path`. */
  rewriteJson(value: unknown, path: string, key = ''): unknown {
    if (this.size === 0) return value;
    if (Array.isArray(value)) return value.map((v) => this.rewriteJson(v, path, key));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.rewriteJson(v, path, k)]));
    }
    const kind = kindOfField(key, path);
    if (kind && isIdLike(value)) {
      const m = this.get(kind, String(value));
      if (m !== undefined) return typeof value === 'number' ? Number(m) : m;
    }
    return value;
  }

  /** Replaces the ids of `kind` (or a related kind) that stand as words in a text ("donut 9 not found"). */
  rewriteText(kind: string, text: string): string {
    if (this.size === 0) return text;
    return text.replace(/\b[0-9A-Za-z-]+\b/g, (w) => this.get(kind, w) ?? w);
  }
}

/** The kind of thing a collection segment holds, or null for a segment that is itself an id. */
function kindOfCollection(segment: string): string | null {
  if (segment === '' || isIdLike(segment) || !/^[A-Za-z][\w-]*$/.test(segment)) return null;
  return singular(segment.toLowerCase());
}

/** The last collection named in a path ("/recipes/5/ingredients" → "ingredient"). */
export function kindOfPath(path: string): string | null {
  const segs = path.split('?')[0]!.split('/').filter(Boolean);
  for (let i = segs.length - 1; i >= 0; i--) {
    const k = kindOfCollection(segs[i]!);
    if (k) return k;
  }
  return null;
}

/**
 * The kind of thing a field holds an id of: `shopId`/`shop_id`/`shop` style names → "shop";
 * `id`/`_id`/`uuid` → the collection of `path`; anything else → null (not an id field).
 */
export function kindOfField(key: string, path: string): string | null {
  if (/^(id|_id|uuid|key)$/i.test(key)) return kindOfPath(path);
  const m = /^(.+?)(?:_id|Id|ID|_uuid|Uuid)$/.exec(key);
  return m ? singular(m[1]!.toLowerCase()) : null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Integers and id-looking strings (digits, UUIDs, hex) can be generated ids. */
function isIdLike(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v !== 'string') return false;
  return /^\d+$/.test(v) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) || /^[0-9a-f]{12,}$/i.test(v);
}

/**
 * An integer key in an edge's key slot (the runtime's key layout, src/runtime/README.md):
 * only an edge generates those, the original app and the cloud never do.
 */
export function edgeAllocated(id: string): boolean {
  if (!/^\d+$/.test(id)) return false;
  const n = Number(id);
  return Number.isSafeInteger(n) && Math.floor((n % WINDOW_SIZE) / SLOT_SIZE) !== 0;
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
  if (kind && ids.agrees(kind, e, a, learn)) return true;
  // Under any key (`{"deleted": 6}`), the exact renaming already learned for 6 is that id.
  if (ids.knownPair(e, a)) return true;
  if (typeof e === 'string' && typeof a === 'string') {
    if (pathRenamed(ids, e, a, learn)) return true;
    const k = kindOfPath(requestPath);
    if (k && ids.rewriteText(k, e) === a) return true;
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
      if (i % 2 === 1 || !kind || !ids.agrees(kind, es[i], as[i], learn)) return false;
      differing++;
    }
    if (i % 2 === 0 && es[i] !== '') kind = kindOfCollection(es[i]!) ?? kind;
  }
  return differing > 0;
}

/** Splits a text into words (letters and digits) and what is between them, kept. */
const WORD_SEPARATORS = /([^A-Za-z0-9]+)/;
