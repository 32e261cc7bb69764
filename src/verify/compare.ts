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

/** Learns consistent renamings of generated ids (recorded value → value seen at the edge). */
export class IdMap {
  private readonly forward = new Map<string, string>();
  private readonly backward = new Map<string, string>();

  /**
   * True when `actual` is what `recorded` is called here. With `learn`, a renaming not seen before
   * is recorded (only responses of requests that create things should teach the map); a renaming
   * that contradicts what was learned is always false.
   */
  agrees(recorded: unknown, actual: unknown, learn: boolean): boolean {
    if (!isIdLike(recorded) || !isIdLike(actual)) return false;
    const r = String(recorded);
    const a = String(actual);
    const f = this.forward.get(r);
    const b = this.backward.get(a);
    if (f !== undefined || b !== undefined) return f === a && b === r;
    if (!learn) return false;
    this.forward.set(r, a);
    this.backward.set(a, r);
    return true;
  }

  get(recorded: string): string | undefined {
    return this.forward.get(recorded);
  }

  get size(): number {
    return this.forward.size;
  }

  /** Rewrites a request path ("/donuts/7?x=7") segment by segment and query value by value. */
  rewritePath(pathAndQuery: string): string {
    if (this.forward.size === 0) return pathAndQuery;
    const q = pathAndQuery.indexOf('?');
    const path = q >= 0 ? pathAndQuery.slice(0, q) : pathAndQuery;
    const query = q >= 0 ? pathAndQuery.slice(q + 1) : null;
    const segs = path.split('/').map((s) => this.forward.get(decodeURIComponent(s)) ?? s);
    let out = segs.join('/');
    if (query !== null) {
      const params = new URLSearchParams(query);
      for (const [k, v] of [...params]) {
        const m = this.forward.get(v);
        if (m !== undefined) params.set(k, m);
      }
      out += `?${params.toString()}`;
    }
    return out;
  }

  /** Rewrites id-like values of a JSON request body. */
  rewriteJson(value: unknown): unknown {
    if (this.forward.size === 0) return value;
    if (Array.isArray(value)) return value.map((v) => this.rewriteJson(v));
    if (value !== null && typeof value === 'object') {
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, this.rewriteJson(v)]));
    }
    if (isIdLike(value)) {
      const m = this.forward.get(String(value));
      if (m !== undefined) return typeof value === 'number' ? Number(m) : m;
    }
    return value;
  }
}

/** Integers and id-looking strings (digits, UUIDs, hex) can be generated ids. */
function isIdLike(v: unknown): boolean {
  if (typeof v === 'number') return Number.isSafeInteger(v);
  if (typeof v !== 'string') return false;
  return /^\d+$/.test(v) || /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v) || /^[0-9a-f]{12,}$/i.test(v);
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
      if (volatile.has(path) || ids.agrees(e, a, learnIds)) {
        masked++;
        continue;
      }
      differences.push({ path, expected: e, actual: a });
    }
  }
  const ok = recorded.status === actual.status && differences.length === 0;
  return { ok, statusExpected: recorded.status, statusActual: actual.status, differences, masked };
}
