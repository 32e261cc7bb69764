import { describe, expect, it } from 'vitest';
import { isRedactionToken, legacyRedactionWarning, Redactor, SessionMap, tokensIn } from '../../src/model/credentials.js';

describe('Redactor: equal secrets give equal stable tokens, never the secret', () => {
  const r = new Redactor(Buffer.alloc(32, 1));
  it('keeps names and schemes, redacts values', () => {
    const t = r.token('s%3Aabc');
    expect(isRedactionToken(t)).toBe(true);
    expect(r.token('s%3Aabc')).toBe(t);
    expect(r.token('other')).not.toBe(t);
    expect(new Redactor(Buffer.alloc(32, 2)).token('s%3Aabc')).not.toBe(t);
    expect(r.setCookie('sid=s%3Aabc; Path=/; HttpOnly')).toBe(`sid=${t}; Path=/; HttpOnly`);
    expect(r.cookieHeader('sid=s%3Aabc; theme=dark')).toBe(`sid=${t}; theme=${r.token('dark')}`);
    expect(r.authorization('Bearer eyJ.x.y')).toBe(`Bearer ${r.token('eyJ.x.y')}`);
    expect(r.header('x-api-key', 'k')).toBe(r.token('k'));
  });
  it('redacts the secrets a JSON answer issues, and leaves other answers byte for byte', () => {
    const out = r.jsonSecrets('{"user":{"name":"ann"},"accessToken":"eyJhbGciOi.abc.def","expires":3600}')!;
    expect(JSON.parse(out)).toEqual({ user: { name: 'ann' }, accessToken: r.token('eyJhbGciOi.abc.def'), expires: 3600 });
    expect(r.jsonSecrets('{"name":"ann"}')).toBeUndefined();
    expect(r.jsonSecrets('not json')).toBeUndefined();
  });
});

describe('SessionMap: recorded credentials -> the fresh ones the replay was issued', () => {
  const r = new Redactor(Buffer.alloc(32, 1));
  const sid = r.token('s1');
  const jwt = r.token('eyJ.old');
  it('maps a Set-Cookie token and a JSON token, and reports credentials nobody issued', () => {
    const s = new SessionMap();
    expect(s.apply({ cookie: `sid=${sid}; theme=dark`, authorization: `Bearer ${jwt}` })).toEqual({ headers: { cookie: 'theme=dark' }, unresolved: [sid, jwt] });
    s.learn({ setCookies: [`sid=${sid}; Path=/`], body: { token: jwt } }, { setCookies: ['sid=s2; Path=/; HttpOnly'], body: { token: 'eyJ.new' } });
    expect(s.apply({ cookie: `sid=${sid}; theme=dark`, authorization: `Bearer ${jwt}`, accept: 'x' })).toEqual({
      headers: { cookie: 'sid=s2; theme=dark', authorization: 'Bearer eyJ.new', accept: 'x' },
      unresolved: [],
    });
  });
  it('maps clear session values too (recordings made with --no-redact)', () => {
    const s = new SessionMap();
    s.learn({ setCookies: ['sid=old1'], body: { accessToken: 'aaaaaaaaaa' } }, { setCookies: ['sid=new1'], body: { accessToken: 'bbbbbbbbbb' } });
    expect(s.apply({ cookie: 'sid=old1', authorization: 'Bearer aaaaaaaaaa' }).headers).toEqual({ cookie: 'sid=new1', authorization: 'Bearer bbbbbbbbbb' });
    expect(tokensIn(`a ${sid} b ${sid}`)).toEqual([sid]);
  });
});

describe('recordings from before correlation-keeping redaction', () => {
  it('are named in one line', () => {
    const e = (value: string) => ({ request: { headers: [{ name: 'cookie', value }] } });
    expect(legacyRedactionWarning([e('sid=edgstr-redacted-0123456789ab')])).toBeNull();
    expect(legacyRedactionWarning([e('[redacted]'), e('[redacted]'), e('a=1')])).toMatch(/^2 recorded request\(s\) carry credentials redacted as \[redacted\].*record again.*--no-redact$/);
  });
});
