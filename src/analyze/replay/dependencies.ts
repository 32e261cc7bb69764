/**
 * Which earlier recorded requests a request depends on: the ones that created what it touches and
 * the ones that logged its client in. Replaying those first (from init) brings the app to the
 * state the recorded request saw, as far as it matters to that request:
 *
 *     #3 POST /polls             -> {"id":"3b1f…"}
 *     #5 POST /login             -> Set-Cookie: sid=edgstr-redacted-9a…
 *     #8 POST /polls/3b1f…/votes    Cookie: sid=edgstr-redacted-9a…   depends on #3 and #5
 */
import { tokensIn, unresolvedCredentialMessage } from '../../model/credentials.js';
import { sentValues } from '../../model/echoed.js';
import { isSuccess, type Recorded } from './requests.js';
import { ID_KEY, isIdLike, jsonOf } from './value-map.js';

/** At most this many requests are replayed before one execution. */
export const MAX_PREFIX = 40;

const isWrite = (x: Recorded): boolean => x.method !== 'GET' && x.method !== 'HEAD' && x.method !== 'OPTIONS';

/** The id-like values a request refers to: path segments, query values, JSON body values. */
export function referencedValues(r: Recorded): string[] {
  const out = new Set<string>();
  for (const s of r.path.split('/')) {
    const v = safeDecode(s);
    if (isIdLike(v)) out.add(v);
  }
  for (const [, v] of r.query) if (isIdLike(v)) out.add(v);
  const visit = (x: unknown, depth: number): void => {
    if (depth > 4) return;
    if (isIdLike(x)) out.add(String(x));
    else if (Array.isArray(x)) x.slice(0, 100).forEach((y) => visit(y, depth + 1));
    else if (x !== null && typeof x === 'object') for (const y of Object.values(x)) visit(y, depth + 1);
  };
  if (r.body && /json/i.test(r.mimeType)) visit(jsonOf(r.body), 0);
  return [...out];
}

/** The redaction tokens (recorded credentials) a request sends. */
export function credentialsOf(r: Recorded): string[] {
  return tokensIn(Object.values(r.headers).join('\n'));
}

function mentions(text: string, value: string): boolean {
  let from = 0;
  for (;;) {
    const i = text.indexOf(value, from);
    if (i < 0) return false;
    const before = text[i - 1];
    const after = text[i + value.length];
    if ((before === undefined || !/[\w-]/.test(before)) && (after === undefined || !/[\w-]/.test(after))) return true;
    from = i + 1;
  }
}

/** Values a recorded answer gives under keys that name an id (`{"id": 16}`, `{"pollId": 16}`). */
function idsIn(x: Recorded): Set<string> {
  const out = new Set<string>();
  const visit = (v: unknown, key: string, depth: number): void => {
    if (depth > 4) return;
    if (isIdLike(v)) {
      if (ID_KEY.test(key)) out.add(String(v));
    } else if (Array.isArray(v)) v.slice(0, 200).forEach((y) => visit(y, key, depth + 1));
    else if (v !== null && typeof v === 'object') for (const [k, y] of Object.entries(v)) visit(y, k, depth + 1);
  };
  visit(jsonOf(x.response), '', 0);
  return out;
}

/** What a recorded answer issued, as text: its Set-Cookie values and its body. */
function issuedText(x: Recorded): string {
  return `${x.setCookies.join('\n')}\n${x.response && x.response.length < 2_000_000 ? x.response.toString('utf8') : ''}`;
}

/**
 * The thing a request acts on, as `collection/id` of the last id in its path (`cards/5` for
 * `DELETE /boards/1/cards/5`), or null.
 */
function lastThing(path: string): string | null {
  const segs = path.split('/').map(safeDecode);
  for (let i = segs.length - 1; i > 0; i--) {
    if (isIdLike(segs[i]) && segs[i - 1] !== '' && !isIdLike(segs[i - 1])) return `${segs[i - 1]}/${segs[i]}`;
  }
  return null;
}

/** True when `path` addresses `thing` (`collection/id`) as whole segments. */
function addresses(path: string, thing: string): boolean {
  return `${path.split('?')[0]!.split('/').map(safeDecode).join('/')}/`.includes(`/${thing}/`);
}

/**
 * The earlier successful requests `r` depends on directly: writes whose answer mentions a value
 * `r` refers to, earlier writes to the same thing (the attachment added to the card a DELETE
 * removes, the votes on the poll it closes), any request whose answer issued a credential `r`
 * sends, and the latest answer that issued a token `r` sends back (the form page whose
 * anti-forgery token a POST carries: model/echoed.ts).
 */
function directDependencies(r: Recorded, before: readonly Recorded[]): Recorded[] {
  const values = referencedValues(r);
  const creds = credentialsOf(r);
  const echoed = sentValues(r);
  const thing = lastThing(r.path);
  if (values.length === 0 && creds.length === 0 && echoed.length === 0) return [];
  const issuers = new Set<number>();
  for (const v of echoed) {
    const issuer = before.filter((x) => isSuccess(x.status) && x.response !== undefined && x.response.length < 2_000_000 && x.response.includes(v)).at(-1);
    if (issuer) issuers.add(issuer.index);
  }
  return before.filter((x) => {
    if (!isSuccess(x.status)) return false;
    if (issuers.has(x.index)) return true;
    const text = issuedText(x);
    if (creds.some((c) => text.includes(c))) return true;
    if (!isWrite(x)) return false;
    if (thing !== null && addresses(x.path, thing)) return true;
    // A generated string (a UUID) anywhere in the answer; a number only where it is an id.
    if (values.some((v) => !/^\d+$/.test(v) && mentions(text, v))) return true;
    const ids = values.some((v) => /^\d+$/.test(v)) ? idsIn(x) : undefined;
    return ids !== undefined && values.some((v) => ids.has(v));
  });
}

/**
 * Everything `r` depends on, transitively (the login of the client that created the poll the
 * vote goes to), in recorded order, at most MAX_PREFIX requests (the latest ones).
 */
export function dependenciesOf(r: Recorded, all: readonly Recorded[]): Recorded[] {
  const picked = new Map<number, Recorded>();
  const queue: Recorded[] = [r];
  while (queue.length > 0 && picked.size < MAX_PREFIX * 2) {
    const x = queue.shift()!;
    for (const d of directDependencies(x, all.filter((y) => y.index < x.index))) {
      if (picked.has(d.index)) continue;
      picked.set(d.index, d);
      queue.push(d);
    }
  }
  return [...picked.values()].sort((a, b) => a.index - b.index).slice(-MAX_PREFIX);
}

/** Credentials `r` sends that no earlier recorded answer issued (the login was not recorded). */
export function unissuedCredentials(r: Recorded, all: readonly Recorded[]): string[] {
  const creds = credentialsOf(r);
  if (creds.length === 0) return [];
  const issued = all.filter((x) => x.index < r.index).map(issuedText).join('\n');
  return creds.filter((c) => !issued.includes(c));
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Where a request carries a credential: `cookie sid`, `header authorization`. */
function whereSent(r: Recorded, token: string): string {
  for (const [name, value] of Object.entries(r.headers)) {
    if (!value.includes(token)) continue;
    if (name !== 'cookie') return `header ${name}`;
    const pair = value.split(';').find((p) => p.includes(token));
    return `cookie ${pair?.split('=')[0]?.trim() ?? '?'}`;
  }
  return 'a header';
}

/**
 * One warning per recorded credential that no earlier recorded answer issued (the login happened
 * before recording started, or the client set the cookie itself): such requests replay without it.
 */
export function unissuedWarnings(all: readonly Recorded[]): string[] {
  const seen = new Map<string, Recorded[]>();
  for (const r of all) for (const t of unissuedCredentials(r, all)) seen.set(t, [...(seen.get(t) ?? []), r]);
  return [...seen].map(([t, rs]) => {
    const first = rs[0]!;
    return unresolvedCredentialMessage(`${rs.length} recorded request(s) (first #${first.index + 1} ${first.method} ${first.path}, in its ${whereSent(first, t)})`, [t]).replace(' sends ', ' send ');
  });
}
