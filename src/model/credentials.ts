/**
 * Credentials in recorded traffic: how `record` redacts them without losing correlation, and how
 * replays (analyze, verify, bench) re-establish the sessions they stood for.
 *
 * Redaction: every secret becomes `edgstr-redacted-<hmac>`, an HMAC of the secret under a key
 * drawn at random for one recording and kept only in memory. Equal secrets give equal tokens, so
 * the recording still shows that the cookie `sid` a request sends is the one `POST /login` set:
 *
 *     Set-Cookie: sid=s%3AqX2…; Path=/; HttpOnly   ->  Set-Cookie: sid=edgstr-redacted-3f9a0c1b2d4e; Path=/; HttpOnly
 *     Cookie: sid=s%3AqX2…; theme=dark             ->  Cookie: sid=edgstr-redacted-3f9a0c1b2d4e; theme=edgstr-redacted-…
 *     Authorization: Bearer eyJhbGci…              ->  Authorization: Bearer edgstr-redacted-77c2…
 *     {"token":"eyJhbGci…"} (a login's answer)     ->  {"token":"edgstr-redacted-77c2…"}
 *
 * Replay: a {@link SessionMap} learns, from each replayed answer, the fresh value that stands where
 * the recorded answer had a token (the same cookie name in Set-Cookie, the same place in a JSON
 * body), and puts it in later requests in place of that token. With `--no-redact` recordings the
 * same works on the clear values (a recorded session id is replaced by the replay's own).
 */
import { createHmac, randomBytes } from 'node:crypto';

/** Prefix of every redaction token. */
export const TOKEN_PREFIX = 'edgstr-redacted-';
const TOKEN = /edgstr-redacted-[0-9a-f]{12}/g;
const IS_TOKEN = /^edgstr-redacted-[0-9a-f]{12}$/;

/** True for a whole value that is a redaction token. */
export function isRedactionToken(value: unknown): boolean {
  return typeof value === 'string' && IS_TOKEN.test(value);
}

/** The redaction tokens in a text. */
export function tokensIn(text: string): string[] {
  return [...new Set(text.match(TOKEN) ?? [])];
}

/** Turns secrets into stable tokens with a key that lives only as long as this object. */
export class Redactor {
  private readonly key: Buffer;
  constructor(key: Buffer = randomBytes(32)) {
    this.key = key;
  }

  /** The token of one secret (the empty value stays empty: nothing to hide). */
  token(secret: string): string {
    if (secret === '' || IS_TOKEN.test(secret)) return secret;
    return TOKEN_PREFIX + createHmac('sha256', this.key).update(secret).digest('hex').slice(0, 12);
  }

  /** `a=1; b=2` -> `a=<token>; b=<token>`: cookie names stay, each value is redacted. */
  cookieHeader(value: string): string {
    return value
      .split(';')
      .map((part) => {
        const eq = part.indexOf('=');
        return eq < 0 ? part : `${part.slice(0, eq)}=${this.token(part.slice(eq + 1).trim())}`;
      })
      .join(';');
  }

  /** `sid=abc; Path=/; HttpOnly` -> `sid=<token>; Path=/; HttpOnly`: only the value is secret. */
  setCookie(value: string): string {
    const semi = value.indexOf(';');
    const first = semi < 0 ? value : value.slice(0, semi);
    const eq = first.indexOf('=');
    if (eq < 0) return value;
    return `${first.slice(0, eq)}=${this.token(first.slice(eq + 1).trim())}${semi < 0 ? '' : value.slice(semi)}`;
  }

  /** `Bearer abc` -> `Bearer <token>`: the scheme stays, the credentials go. */
  authorization(value: string): string {
    const m = /^([A-Za-z][\w.-]*)\s+(\S.*)$/.exec(value.trim());
    return m ? `${m[1]} ${this.token(m[2]!)}` : this.token(value);
  }

  /** A header value by its (lower-case) name. */
  header(name: string, value: string): string {
    if (name === 'cookie') return this.cookieHeader(value);
    if (name === 'set-cookie') return this.setCookie(value);
    if (name === 'authorization' || name === 'proxy-authorization') return this.authorization(value);
    return this.token(value);
  }

  /**
   * A JSON answer with the secrets it issues redacted: string values of keys that name a token or
   * a session (`token`, `accessToken`, `refresh_token`, `jwt`, `sessionId`, `apiKey`). Returns
   * undefined when nothing changed (or the text is not JSON), so the recorded text stays byte for byte.
   */
  jsonSecrets(text: string): string | undefined {
    let doc: unknown;
    try {
      doc = JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
    let changed = false;
    const walk = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(walk);
      if (v === null || typeof v !== 'object') return v;
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) {
        if (typeof x === 'string' && SECRET_KEY.test(k) && x.length >= 8) {
          out[k] = this.token(x);
          changed = true;
        } else out[k] = walk(x);
      }
      return out;
    };
    const redacted = walk(doc);
    return changed ? JSON.stringify(redacted) : undefined;
  }
}

/** Keys of JSON fields that hold an issued secret. */
const SECRET_KEY = /^(.*[-_]?token|jwt|session[-_]?id|sid|api[-_]?key|secret)$/i;

/** One cookie pair `name=value` of a Set-Cookie value. */
function setCookiePair(value: string): [string, string] | null {
  const first = value.split(';')[0]!;
  const eq = first.indexOf('=');
  return eq < 0 ? null : [first.slice(0, eq).trim(), first.slice(eq + 1).trim()];
}

/** Recorded value -> fresh value of the credentials a replay has been issued so far. */
export class SessionMap {
  private readonly fresh = new Map<string, string>();

  /**
   * Learns from one replayed answer, given the recorded one: Set-Cookie by cookie name, and the
   * JSON leaves where the recorded answer holds a token (or, for clear recordings, a string that
   * differs in the replay under a secret's key).
   */
  learn(recorded: { setCookies: readonly string[]; body: unknown }, actual: { setCookies: readonly string[]; body: unknown }): void {
    const now = new Map<string, string>();
    for (const c of actual.setCookies) {
      const p = setCookiePair(c);
      if (p) now.set(p[0], p[1]);
    }
    for (const c of recorded.setCookies) {
      const p = setCookiePair(c);
      if (!p) continue;
      const value = now.get(p[0]);
      if (value !== undefined && p[1] !== '') this.fresh.set(p[1], value);
    }
    this.learnJson(recorded.body, actual.body, '');
  }

  private learnJson(recorded: unknown, actual: unknown, key: string): void {
    if (typeof recorded === 'string') {
      if (typeof actual === 'string' && (isRedactionToken(recorded) || (SECRET_KEY.test(key) && recorded !== actual && recorded.length >= 8))) this.fresh.set(recorded, actual);
      return;
    }
    if (recorded === null || typeof recorded !== 'object' || actual === null || typeof actual !== 'object') return;
    if (Array.isArray(recorded)) {
      if (Array.isArray(actual)) recorded.forEach((r, i) => this.learnJson(r, actual[i], key));
      return;
    }
    for (const [k, r] of Object.entries(recorded)) this.learnJson(r, (actual as Record<string, unknown>)[k], k);
  }

  /** The fresh value for a recorded credential, when one was issued. */
  get(recorded: string): string | undefined {
    return this.fresh.get(recorded);
  }

  /**
   * The request's headers with recorded credentials replaced by fresh ones. A redaction token no
   * replayed answer issued is left out (the request goes without it) and reported in `unresolved`.
   */
  apply(headers: Readonly<Record<string, string>>): { headers: Record<string, string>; unresolved: string[] } {
    const out: Record<string, string> = {};
    const unresolved: string[] = [];
    for (const [name, value] of Object.entries(headers)) {
      if (name === 'cookie') {
        const pairs = value
          .split(';')
          .map((part) => part.trim())
          .filter((part) => part.length > 0)
          .flatMap((part) => {
            const eq = part.indexOf('=');
            if (eq < 0) return [part];
            const v = part.slice(eq + 1);
            const f = this.fresh.get(v);
            if (f !== undefined) return [`${part.slice(0, eq)}=${f}`];
            if (isRedactionToken(v)) {
              unresolved.push(v);
              return [];
            }
            return [part];
          });
        if (pairs.length > 0) out[name] = pairs.join('; ');
        continue;
      }
      const tokens = tokensIn(value);
      const missing = tokens.filter((t) => !this.fresh.has(t));
      if (missing.length > 0) {
        unresolved.push(...missing);
        continue;
      }
      let v = tokens.length > 0 ? value.replace(TOKEN, (t) => this.fresh.get(t)!) : value;
      if (name === 'authorization') {
        const m = /^(\S+)\s+(.+)$/.exec(v);
        const f = m ? this.fresh.get(m[2]!) : this.fresh.get(v);
        if (f !== undefined) v = m ? `${m[1]} ${f}` : f;
      }
      out[name] = v;
    }
    return { headers: out, unresolved };
  }
}

/** The one-line explanation for a request whose credential no recorded request issued. */
export function unresolvedCredentialMessage(what: string, tokens: readonly string[]): string {
  return `${what} sends a credential (${tokens.join(', ')}) that no recorded answer issued, so it is replayed without it: record the login too (start recording before the client logs in), or record with --no-redact`;
}

/**
 * Recordings made before redaction kept correlation hold `[redacted]`: nothing maps such a value
 * to a fresh session, so those requests replay anonymous. One line saying so, or null.
 */
export function legacyRedactionWarning(requests: ReadonlyArray<{ request: { headers: ReadonlyArray<{ name: string; value: string }> } }>): string | null {
  const n = requests.filter((e) => e.request.headers.some((h) => h.value === '[redacted]')).length;
  if (n === 0) return null;
  return `${n} recorded request(s) carry credentials redacted as [redacted], which keeps no trace of the session they belonged to, so they replay without them: record again with this edgstr (its tokens keep sessions apart) or with --no-redact`;
}
