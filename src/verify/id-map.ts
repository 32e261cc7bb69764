/**
 * The id map of `edgstr verify`: generated ids an edge allocates in its own key range (`7` at the
 * cloud is `1099511627783` at an edge) are learned from responses, per kind of thing, and applied
 * to later requests. Pure; compare.ts uses it to accept a difference that is only a renaming.
 */
import { SLOT_SIZE, WINDOW_SIZE } from '../runtime/table-schema.js';
import { idForm } from '../model/ids.js';
import { singular } from '../services/segments.js';

/** Splits a text into words (letters and digits) and what is between them, kept. */
export const WORD_SEPARATORS = /([^A-Za-z0-9]+)/;

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
   * True when `actual` is what `recorded` is called here, for things of `kind`; records the
   * renaming when it is new and may be learned: with `learnNew` (only answers to requests that
   * create things should teach the map), or when `actual` could only have been allocated here.
   * A renaming that contradicts what was learned is always false. This mutates the map: use
   * {@link knownPair} or {@link get} to ask without learning.
   */
  acceptOrLearn(kind: string, recorded: unknown, actual: unknown, learnNew: boolean): boolean {
    if (!isIdLike(recorded) || !isIdLike(actual)) return false;
    const r = String(recorded);
    const a = String(actual);
    const fwd = this.forward.get(kind) ?? new Map<string, string>();
    const bwd = this.backward.get(kind) ?? new Map<string, string>();
    const f = fwd.get(r) ?? this.get(kind, r);
    const b = bwd.get(a);
    if (f !== undefined || b !== undefined) return f === a && (b === undefined || b === r);
    if (!learnNew && !(this.allocatedHere(a) && !this.allocatedHere(r))) return false;
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

  /**
   * A sentence naming things by kind and id (`"task 4 added: Buy milk"`, an activity log line the
   * app wrote when task 4 was created): each id renamed for the word just before it.
   */
  rewriteNamedIds(text: string): string {
    if (this.size === 0) return text;
    return this.rewriteInSegment(text);
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
export function kindOfCollection(segment: string): string | null {
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

/**
 * Ids a system allocates (model/ids.ts: integers, UUIDs, hex ids) can differ between the recording
 * and the generated system. Not tokens nor codes: a changed token or text is a real difference.
 */
function isIdLike(v: unknown): boolean {
  const form = idForm(v);
  return form === 'integer' || form === 'uuid' || form === 'hex';
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
