/**
 * Values a replay generates anew. A recorded `POST /polls` answered `{"id":"3b1f…"}`; replayed,
 * it answers `{"id":"9c0d…"}` (a fresh UUID, or the next autoincrement). A later recorded
 * `POST /polls/3b1f…/votes` must go to `/polls/9c0d…/votes` to act on what the replay created.
 * {@link ValueMap} learns recorded → replayed values from the answers of the replayed prefix
 * (same place in the JSON, id-like values that differ) and rewrites path segments, query values
 * and JSON body values of the requests that follow.
 */
import { idForm } from '../../model/ids.js';
import type { Recorded } from './requests.js';

/**
 * A value a replay may have generated anew or a later request may refer to: any id form
 * (model/ids.ts), codes like "builder42" included (a user name or a slug names what an earlier
 * request created).
 */
export function isIdLike(v: unknown): v is string | number {
  return idForm(v) !== null;
}

/** The body as JSON, or undefined. */
export function jsonOf(bytes: Buffer | undefined): unknown {
  if (!bytes || bytes.length === 0 || bytes.length > 2_000_000) return undefined;
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

/** Keys that name an id. */
export const ID_KEY = /^(id|_id|uuid|guid|key|slug|code)$|Id$|_id$|Uuid$|_uuid$|Key$|_key$/;

export class ValueMap {
  private readonly map = new Map<string, string | number>();

  get size(): number {
    return this.map.size;
  }

  /**
   * Learns from one replayed answer, compared with the recorded one at the same JSON places: a
   * value under a key that names an id (`id`, `pollId`, `user_id`, `uuid`, `key`, `slug`), or a
   * string that can only be generated (a UUID, a long token). A count that moved (`votes: 3`
   * recorded, 2 replayed) is not an id and teaches nothing.
   */
  learn(recorded: unknown, actual: unknown, key = ''): void {
    if (isIdLike(recorded)) {
      const generated = typeof recorded === 'string' && recorded.length >= 8 && /[a-z]/i.test(recorded);
      if ((ID_KEY.test(key) || generated) && isIdLike(actual) && String(actual) !== String(recorded) && !this.map.has(String(recorded))) this.map.set(String(recorded), actual);
      return;
    }
    if (recorded === null || typeof recorded !== 'object' || actual === null || typeof actual !== 'object') return;
    if (Array.isArray(recorded)) {
      if (Array.isArray(actual) && actual.length === recorded.length) recorded.forEach((r, i) => this.learn(r, actual[i], key));
      return;
    }
    for (const [k, r] of Object.entries(recorded)) this.learn(r, (actual as Record<string, unknown>)[k], k);
  }

  /** The replayed value for a recorded one, when they differ. */
  get(recorded: string): string | number | undefined {
    return this.map.get(recorded);
  }

  /** The request with recorded generated values replaced by the replay's. */
  rewrite(r: Recorded): Recorded {
    if (this.map.size === 0) return r;
    const path = r.path
      .split('/')
      .map((s) => {
        const v = s === '' ? undefined : this.map.get(safeDecode(s));
        return v === undefined ? s : encodeURIComponent(String(v));
      })
      .join('/');
    const query = r.query.map(([n, v]): [string, string] => [n, String(this.map.get(v) ?? v)]);
    let body = r.body;
    if (body && /json/i.test(r.mimeType)) {
      const doc = jsonOf(body);
      if (doc !== undefined) {
        const out = this.rewriteJson(doc);
        const text = JSON.stringify(out);
        if (text !== JSON.stringify(doc)) body = Buffer.from(text);
      }
    }
    return { ...r, path, query, body };
  }

  private rewriteJson(v: unknown): unknown {
    if (Array.isArray(v)) return v.map((x) => this.rewriteJson(x));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, this.rewriteJson(x)]));
    if (!isIdLike(v)) return v;
    const m = this.map.get(String(v));
    if (m === undefined) return v;
    return typeof v === 'number' && typeof m === 'string' && /^\d+$/.test(m) ? Number(m) : typeof v === 'string' ? String(m) : m;
  }
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
