import { describe, expect, it } from 'vitest';
import { EchoMap, looksIssued, sentInRecording, sentValues } from '../../src/model/echoed.js';

const form = (token: string, n = 1): string => Array.from({ length: n }, () => `<input type="hidden" name="_csrf" value="${token}">`).join('\n');

describe('looksIssued', () => {
  it('takes long mixed tokens, not words, numbers, dates or redaction tokens', () => {
    expect(looksIssued('Pg48fvKd-cu_kqGChNwt8GMm0XCdVjbjGK4Y')).toBe(true);
    expect(looksIssued('3b1f2c9e-8d7a-4e2b-9c1d-0a5e6f7b8c9d')).toBe(true);
    expect(looksIssued('walkthedogtonight')).toBe(false);
    expect(looksIssued('12345678901234567890')).toBe(false);
    expect(looksIssued('2026-12-07T23:05:50.026Z')).toBe(false);
    expect(looksIssued('edgstr-redacted-0123456789ab')).toBe(false);
  });
});

describe('sentValues', () => {
  it('finds tokens in form fields, JSON strings, query values and custom headers, not in standard headers', () => {
    const t = 'Pg48fvKd-cu_kqGChNwt8GMm0XCdVjbjGK4Y';
    expect(sentValues({ query: [], headers: {}, body: Buffer.from(`title=a&_csrf=${t}`), mimeType: 'application/x-www-form-urlencoded' })).toEqual([t]);
    expect(sentValues({ query: [], headers: {}, body: Buffer.from(JSON.stringify({ a: { nonce: t } })), mimeType: 'application/json' })).toEqual([t]);
    expect(sentValues({ query: [['state', t]], headers: { 'x-csrf-token': t, 'user-agent': 'Mozilla5.0abcdefghijk123', accept: t }, body: undefined, mimeType: '' })).toEqual([t]);
  });

  it('collects them over a recording', () => {
    expect(sentInRecording([{ path: '/cb?state=ZZ48fvKd-cu_kqGChNwt8GMm0X', headers: {}, body: undefined, mimeType: '' }])).toEqual(['ZZ48fvKd-cu_kqGChNwt8GMm0X']);
  });
});

describe('EchoMap', () => {
  const old = 'Pg48fvKd-cu_kqGChNwt8GMm0XCdVjbjGK4Y';
  const fresh = 'kkQhKZPI-ZJFruyFgPNVFgOM9fkJ6YNBRLqY';

  it('learns the replay\'s token at the same place of an HTML answer and rewrites a form post', () => {
    const m = new EchoMap();
    m.learn(`<p>Sign in</p>\n${form(old)}`, `<p>Sign in</p>\n${form(fresh)}`, [old]);
    expect(m.get(old)).toBe(fresh);
    const r = m.rewrite({ query: [], headers: { cookie: 'sid=1' }, body: Buffer.from(`_csrf=${old}&username=alice`), mimeType: 'application/x-www-form-urlencoded' });
    expect(r.body!.toString()).toBe(`_csrf=${fresh}&username=alice`);
  });

  it('takes the same occurrence when the text around it repeats, and a JSON field or a meta tag', () => {
    const m = new EchoMap();
    const other = 'Aa11Bb22Cc33Dd44Ee55';
    m.learn(`${form('Zz99Yy88Xx77Ww66Vv55')}\n${form(old)}`, `${form(other)}\n${form(fresh)}`, [old]);
    expect(m.get(old)).toBe(fresh);
    const j = new EchoMap();
    j.learn(JSON.stringify({ user: 'a', csrfToken: old }), JSON.stringify({ user: 'a', csrfToken: fresh }), [old]);
    expect(j.rewrite({ query: [], headers: { 'x-csrf-token': old }, body: undefined, mimeType: '' }).headers['x-csrf-token']).toBe(fresh);
  });

  it('learns nothing when the replayed answer lacks the place (a different page) or holds no token there', () => {
    const m = new EchoMap();
    m.learn(form(old), '<p>Forbidden</p>', [old]);
    m.learn(form(old), '<input type="hidden" name="_csrf" value="">', [old]);
    expect(m.size).toBe(0);
  });

  it('rewrites the query of a recorded path', () => {
    const m = new EchoMap();
    m.learn(`state=${old}&x=1`, `state=${fresh}&x=1`, [old]);
    expect(m.rewritePathRequest({ path: `/cb?state=${old}&code=1`, headers: {}, body: undefined, mimeType: '' }).path).toBe(`/cb?state=${fresh}&code=1`);
  });
});
