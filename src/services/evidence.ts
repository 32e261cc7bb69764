/**
 * Values the traffic hands out: every scalar in a JSON request or response body, with the keys it
 * appeared under. A path segment equal to such a value is evidence that the position is a
 * parameter (clients build URLs from ids they were given).
 */
import type { Entry } from 'har-format';

export interface Evidence {
  has(value: string): boolean;
  /** Keys the value appeared under, with counts. */
  keysOf(value: string): Map<string, number>;
}

const MAX_BODY = 2_000_000;
const MAX_VALUE_LEN = 200;

export function buildEvidence(entries: Entry[]): Evidence {
  const index = new Map<string, Map<string, number>>();
  const add = (value: string, key: string): void => {
    if (value.length === 0 || value.length > MAX_VALUE_LEN) return;
    let keys = index.get(value);
    if (!keys) index.set(value, (keys = new Map()));
    keys.set(key, (keys.get(key) ?? 0) + 1);
  };
  const walk = (v: unknown, key: string, depth: number): void => {
    if (depth > 20) return;
    if (typeof v === 'string') add(v, key);
    else if (typeof v === 'number' && Number.isFinite(v)) add(String(v), key);
    else if (Array.isArray(v)) for (const x of v) walk(x, key, depth + 1);
    else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) walk(x, k, depth + 1);
  };
  for (const e of entries) {
    for (const body of [e.request.postData, e.response.content]) {
      const text = body?.text;
      if (!text || text.length > MAX_BODY || (body as { encoding?: string }).encoding || !/json/i.test(body.mimeType)) continue;
      try {
        walk(JSON.parse(text), '', 0);
      } catch {
        // not JSON after all
      }
    }
  }
  return {
    has: (value) => index.has(value),
    keysOf: (value) => index.get(value) ?? new Map(),
  };
}
