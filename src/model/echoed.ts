/**
 * Values a server issues in an answer's body and a client sends back later: the anti-forgery
 * token of a form (`<input type="hidden" name="_csrf" value="4hGt…">` posted as `_csrf=4hGt…`),
 * a token in a `<meta>` tag sent as `X-CSRF-Token`, a nonce or one-time code in a JSON answer.
 * A replay gets fresh ones from the server, so a recorded request must send the replay's value,
 * not the recorded one, or the server refuses it (csurf answers 403).
 *
 * {@link EchoMap} learns, for each recorded value a later request sends, the replay's value at
 * the same place of the replayed answer: after the same text (`name="_csrf" value="`), up to the
 * same delimiter. Any content type: HTML, JSON, text. Redaction tokens (credentials.ts) and
 * plain ids (value-map.ts) have their own maps.
 */
import { isRedactionToken } from './credentials.js';

/** Characters of an issued token; a candidate at the replay's place must be made of them too. */
const TOKEN_CHARS = /^[A-Za-z0-9_\-.~+/=:]+$/;
/** Headers that never carry an issued value (or have their own handling: cookie, authorization). */
const NOT_ECHO_HEADERS = /^(host|user-agent|accept.*|content-.*|connection|cookie|authorization|proxy-authorization|referer|origin|if-.*|cache-control|pragma|sec-.*|upgrade.*|te|trailer|transfer-encoding|keep-alive|x-edgstr-.*|x-forwarded-.*|via|dnt|priority)$/;

/**
 * True for a value that can only have been issued: long, of token characters, with letters and
 * digits mixed (a UUID, a csurf token, a hex nonce), and not a redaction token.
 */
export function looksIssued(value: string): boolean {
  return value.length >= 16 && value.length <= 512 && TOKEN_CHARS.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value) && !isRedactionToken(value) && !/^\d+([.:]\d+)*$/.test(value) && !/^\d{4}-\d{2}-\d{2}/.test(value);
}

/** The parts of a request an issued value may come back in. */
export interface EchoRequest {
  query: readonly (readonly [string, string])[];
  headers: Readonly<Record<string, string>>;
  body: Buffer | undefined;
  mimeType: string;
}

/** Every issued-looking value some request of a recording sends (what a whole replay must learn). */
export function sentInRecording(requests: Iterable<{ path: string; headers: Record<string, string>; body: Buffer | undefined; mimeType: string }>): string[] {
  const out = new Set<string>();
  for (const r of requests) for (const v of sentValues({ query: queryOf(r.path), headers: r.headers, body: r.body, mimeType: r.mimeType })) out.add(v);
  return [...out];
}

/** The issued-looking values a request sends: query and form values, JSON strings, header values. */
export function sentValues(r: EchoRequest): string[] {
  const out = new Set<string>();
  const add = (v: string): void => {
    if (looksIssued(v)) out.add(v);
  };
  for (const [, v] of r.query) add(v);
  for (const [name, v] of Object.entries(r.headers)) if (!NOT_ECHO_HEADERS.test(name.toLowerCase())) add(v.trim());
  if (r.body && r.body.length <= 1_000_000) {
    const text = r.body.toString('utf8');
    if (/x-www-form-urlencoded/i.test(r.mimeType)) for (const [, v] of new URLSearchParams(text)) add(v);
    else if (/json/i.test(r.mimeType)) visitJson(parseJson(text), (s) => add(s));
    else if (/multipart\/form-data/i.test(r.mimeType)) for (const m of text.matchAll(/\r\n\r\n([^\r\n]{16,512})\r\n--/g)) add(m[1]!);
  }
  return [...out];
}

/** Where `value` stands in `text`: the text before it and the character after it. */
interface Place {
  before: string;
  ordinal: number;
  delimiter: string | undefined;
}

export class EchoMap {
  private readonly fresh = new Map<string, string>();

  get size(): number {
    return this.fresh.size;
  }

  /** The replay's value for a recorded one, when they differ. */
  get(recorded: string): string | undefined {
    return this.fresh.get(recorded);
  }

  /**
   * Learns, for each of `wanted` that the recorded answer holds, the value the replayed answer
   * holds at the same place. A value whose place the replayed answer lacks is not learnt.
   */
  learn(recordedText: string, actualText: string, wanted: Iterable<string>): void {
    for (const value of wanted) {
      if (this.fresh.has(value)) continue;
      const at = recordedText.indexOf(value);
      if (at < 0) continue;
      const found = findAtPlace(actualText, recordedText, at, value);
      if (found !== null && found !== value) this.fresh.set(value, found);
    }
  }

  /** The request with the recorded issued values it sends replaced by the replay's. */
  rewrite<T extends EchoRequest>(r: T): T {
    if (this.fresh.size === 0) return r;
    const swap = (v: string): string => this.fresh.get(v) ?? v;
    const query = r.query.map(([n, v]) => [n, swap(v)] as [string, string]);
    const headers = Object.fromEntries(Object.entries(r.headers).map(([n, v]) => [n, NOT_ECHO_HEADERS.test(n.toLowerCase()) ? v : this.replaceIn(v)]));
    let body = r.body;
    if (body && body.length <= 1_000_000) {
      const text = body.toString('utf8');
      let out = text;
      if (/x-www-form-urlencoded/i.test(r.mimeType)) {
        const form = new URLSearchParams(text);
        let changed = false;
        for (const [k, v] of [...form]) {
          const f = this.fresh.get(v);
          if (f !== undefined) {
            form.set(k, f);
            changed = true;
          }
        }
        if (changed) out = form.toString();
      } else if (/json/i.test(r.mimeType)) {
        const doc = parseJson(text);
        if (doc !== undefined) {
          const next = mapJson(doc, swap);
          if (JSON.stringify(next) !== JSON.stringify(doc)) out = JSON.stringify(next);
        }
      } else out = this.replaceIn(text);
      if (out !== text) body = Buffer.from(out);
    }
    return { ...r, query, headers, body };
  }

  /**
   * Learns from one replayed answer, compared with the recorded one, the values of `wanted` it
   * holds (see learn): for replays that go through a whole recording in order (verify, bench).
   */
  learnAnswer(recorded: Buffer | string | undefined, actual: Buffer | string, wanted: readonly string[]): void {
    if (wanted.length === 0 || recorded === undefined || recorded.length > 2_000_000 || actual.length > 2_000_000) return;
    this.learn(recorded.toString(), actual.toString(), wanted);
  }

  /** A recorded request (path with its query, headers, body) with the replay's values. */
  rewritePathRequest<T extends { path: string; headers: Record<string, string>; body: Buffer | undefined; mimeType: string }>(r: T): T {
    if (this.fresh.size === 0) return r;
    const query = queryOf(r.path);
    const out = this.rewrite({ query, headers: r.headers, body: r.body, mimeType: r.mimeType });
    const changedQuery = out.query.some(([, v], i) => v !== query[i]![1]);
    const path = changedQuery ? `${r.path.slice(0, r.path.indexOf('?'))}?${new URLSearchParams(out.query.map(([n, v]): [string, string] => [n, v])).toString()}` : r.path;
    return { ...r, path, headers: out.headers, body: out.body };
  }

  private replaceIn(text: string): string {
    let out = text;
    for (const [from, to] of this.fresh) if (out.includes(from)) out = out.split(from).join(to);
    return out;
  }
}

/**
 * The value in `actual` at the place `value` has in `recorded` (at index `at`): after the same
 * preceding text (the longest of 64/32/16/8 characters that locates it, taking the same
 * occurrence when the text repeats), up to the same delimiter.
 */
function findAtPlace(actual: string, recorded: string, at: number, value: string): string | null {
  const delimiter = recorded[at + value.length];
  for (const n of [64, 32, 16, 8]) {
    const place = placeOf(recorded, at, n, delimiter);
    if (place === null) continue;
    const hits = occurrences(actual, place.before, place.ordinal + 1);
    const hit = hits[place.ordinal];
    if (hit === undefined) continue;
    const start = hit + place.before.length;
    let end = start;
    const limit = Math.min(actual.length, start + value.length * 4 + 16);
    if (place.delimiter !== undefined) {
      const d = actual.indexOf(place.delimiter, start);
      end = d < 0 || d > limit ? -1 : d;
    } else {
      while (end < limit && /[A-Za-z0-9_\-.~+/=:]/.test(actual[end]!)) end++;
    }
    if (end <= start) continue;
    const candidate = actual.slice(start, end);
    if (candidate.length >= Math.min(4, value.length) && TOKEN_CHARS.test(candidate)) return candidate;
  }
  return null;
}

function placeOf(text: string, at: number, n: number, delimiter: string | undefined): Place | null {
  const before = text.slice(Math.max(0, at - n), at);
  if (before.length === 0 || (before.length < n && at >= n)) return null;
  // The text before `at` ends with `before`: that last occurrence is this one.
  return { before, ordinal: occurrences(text.slice(0, at), before, Number.MAX_SAFE_INTEGER).length - 1, delimiter };
}

/** Start indexes of `needle` in `hay`, at most `max` of them. */
function occurrences(hay: string, needle: string, max: number): number[] {
  const out: number[] = [];
  for (let i = hay.indexOf(needle); i >= 0 && out.length < max; i = hay.indexOf(needle, i + 1)) out.push(i);
  return out;
}

/** The query of a recorded path (`/cb?state=x`) as name/value pairs. */
function queryOf(path: string): [string, string][] {
  const q = path.indexOf('?');
  return q < 0 ? [] : [...new URLSearchParams(path.slice(q + 1))];
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function visitJson(v: unknown, onString: (s: string) => void, depth = 0): void {
  if (depth > 6) return;
  if (typeof v === 'string') onString(v);
  else if (Array.isArray(v)) v.slice(0, 200).forEach((x) => visitJson(x, onString, depth + 1));
  else if (v !== null && typeof v === 'object') Object.values(v).forEach((x) => visitJson(x, onString, depth + 1));
}

function mapJson(v: unknown, swap: (s: string) => string): unknown {
  if (typeof v === 'string') return swap(v);
  if (Array.isArray(v)) return v.map((x) => mapJson(x, swap));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mapJson(x, swap)]));
  return v;
}
