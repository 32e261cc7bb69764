import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildEntry, redactionFor, type CapturedBody, type Exchange } from '../../src/record/har-entry.js';

/**
 * buildEntry is tuned for speed (one pass over the headers, no URL parse without a query): these
 * cases pin its output byte for byte (key order included) against a golden file written by the
 * earlier, straightforward implementation. UPDATE_GOLDEN=1 rewrites the file.
 */
const golden = fileURLToPath(new URL('./har-entry.golden.json', import.meta.url));

const body = (s: string | Buffer, size?: number, truncated = false): CapturedBody => {
  const bytes = typeof s === 'string' ? Buffer.from(s) : s;
  return { bytes, size: size ?? bytes.length, truncated };
};
const none = body('');
const t = { send: 0.1234, wait: 1.5, receive: 0.0004 };
const base = (over: Partial<Exchange>): Exchange => ({
  seq: 7,
  startedAt: new Date(Date.UTC(2026, 10, 25, 12, 0, 0, 123)),
  method: 'GET',
  url: 'http://127.0.0.1:3000/',
  httpVersion: '1.1',
  requestHeaders: ['Host', '127.0.0.1:8080', 'Connection', 'keep-alive'],
  requestBody: none,
  status: 200,
  statusText: 'OK',
  responseHeaders: ['Content-Type', 'text/plain', 'Content-Length', '5'],
  responseBody: body('hello'),
  timings: t,
  serverIPAddress: '127.0.0.1',
  connection: '51234',
  ...over,
});

const cases: Record<string, Exchange> = {
  plain: base({}),
  query: base({ url: 'http://127.0.0.1:3000/a/b?x=1&y=%20z&x=2&e=&flag&plus=a+b&u=%C3%A9' }),
  'query with fragment-like and odd chars': base({ url: 'http://127.0.0.1:3000/p?q="a b"&r=<x>#frag&s=1' }),
  'no query but hash': base({ url: 'http://127.0.0.1:3000/p#x?y=1' }),
  'empty query': base({ url: 'http://127.0.0.1:3000/p?' }),
  'base path target': base({ url: 'http://127.0.0.1:3000/api/v1/items?id=3' }),
  'json post with mixed-case headers': base({
    method: 'POST',
    requestHeaders: ['HOST', 'x', 'Content-TYPE', 'application/json; charset=utf-8', 'content-length', '7', 'X-Dup', 'a', 'x-dup', 'b'],
    requestBody: body('{"a":1}'),
    status: 201,
    statusText: 'Created',
    responseHeaders: ['content-type', 'application/json', 'Location', '/things/1', 'LOCATION', '/ignored'],
    responseBody: body('{"id":1}'),
  }),
  form: base({
    method: 'POST',
    requestHeaders: ['Content-Type', 'application/x-www-form-urlencoded', 'Cookie', 'sid=abc; x=1;; y'],
    requestBody: body('a=1&b=two+words&c=%26'),
  }),
  'cookies and set-cookie': base({
    requestHeaders: ['cookie', 'sid=abc; theme=dark', 'Authorization', 'Bearer t', 'X-Api-Key', 'k'],
    responseHeaders: ['Set-Cookie', 'sid=xyz; Path=/; HttpOnly', 'set-cookie', ' theme = light ; Max-Age=3', 'SET-COOKIE', 'flag', 'Content-Type', 'text/html'],
    responseBody: body('<p>hi</p>'),
  }),
  'gzip text': base({ responseHeaders: ['Content-Type', 'application/json', 'Content-Encoding', ' GZIP '], responseBody: body(gzipSync('{"hello":"gzip"}')) }),
  'raw deflate': base({ responseHeaders: ['content-type', 'text/plain', 'content-encoding', 'deflate'], responseBody: body(deflateRawSync('raw deflate text')) }),
  'bad gzip': base({ responseHeaders: ['content-type', 'text/plain', 'content-encoding', 'gzip'], responseBody: body('not gzip') }),
  'gzip truncated': base({ responseHeaders: ['content-type', 'text/plain', 'content-encoding', 'gzip'], responseBody: body(gzipSync('abc'), 999, true) }),
  binary: base({ responseHeaders: ['Content-Type', 'image/png'], responseBody: body(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 255])) }),
  'text with NUL': base({ responseHeaders: ['Content-Type', 'text/plain'], responseBody: body(Buffer.from('a\0b')) }),
  'invalid utf8 text': base({ responseHeaders: ['Content-Type', 'text/plain'], responseBody: body(Buffer.from([0x61, 0xff, 0x62])) }),
  'no content-type': base({ responseHeaders: [], responseBody: body('{"x":1}') }),
  'binary upload, truncated': base({
    method: 'PUT',
    requestHeaders: ['Content-Type', 'application/octet-stream', 'Content-Encoding', 'identity'],
    requestBody: body(Buffer.from([1, 2, 3]), 10, true),
    responseHeaders: ['Content-Type', 'text/plain'],
    responseBody: body('abc', 100, true),
  }),
  'empty body with size': base({ method: 'POST', requestBody: body('', 0), responseBody: none, status: 204, statusText: 'No Content', responseHeaders: [] }),
  'target down': base({ status: 0, statusText: '', responseHeaders: [], responseBody: none, error: 'ECONNREFUSED: connect ECONNREFUSED 127.0.0.1:1' }),
  'http/1.0, no ip or connection': (() => {
    const x = base({ httpVersion: '1.0', timings: { send: -1, wait: 0, receive: 2 } });
    delete x.serverIPAddress;
    delete x.connection;
    return x;
  })(),
  'odd raw header array': base({ requestHeaders: ['A', '1', 'dangling'], responseHeaders: ['Content-Type', 'text/plain', 'x'] }),
};

function render(): Record<string, Record<string, string>> {
  // A fixed HMAC key makes the redaction tokens reproducible (a recording draws a random one).
  const key = Buffer.alloc(32, 7);
  const redactions = { default: redactionFor(true, [], key), extra: redactionFor(true, ['X-Api-Key'], key), none: redactionFor(false, [], key) };
  const out: Record<string, Record<string, string>> = {};
  for (const [name, x] of Object.entries(cases)) {
    out[name] = {};
    for (const [r, red] of Object.entries(redactions)) out[name]![r] = JSON.stringify(buildEntry(x, red));
  }
  return out;
}

describe('buildEntry', () => {
  it('produces exactly the recorded golden entries (fields, values and key order)', () => {
    const now = render();
    if (process.env.UPDATE_GOLDEN || !existsSync(golden)) writeFileSync(golden, `${JSON.stringify(now, null, 1)}\n`);
    const want = JSON.parse(readFileSync(golden, 'utf8')) as Record<string, Record<string, string>>;
    expect(Object.keys(now)).toEqual(Object.keys(want));
    for (const name of Object.keys(want)) {
      for (const r of Object.keys(want[name]!)) expect(now[name]![r], `${name} / ${r}`).toBe(want[name]![r]);
    }
  });
});
