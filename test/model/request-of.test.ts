import { describe, expect, it } from 'vitest';
import type { HarEntry } from '../../src/model/traffic.js';
import { requestOf, responseBytesOf } from '../../src/model/traffic.js';

function entry(method: string, url: string, headers: [string, string][], postData?: Record<string, string>): HarEntry {
  return {
    startedDateTime: '2026-01-01T00:00:00.000Z',
    time: 1,
    request: { method, url, httpVersion: 'HTTP/1.1', headers: headers.map(([name, value]) => ({ name, value })), queryString: [], cookies: [], headersSize: -1, bodySize: -1, ...(postData ? { postData: postData as unknown as NonNullable<HarEntry['request']['postData']> } : {}) },
    response: { status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [], cookies: [], content: { size: 3, mimeType: 'application/octet-stream', text: 'AAEC', encoding: 'base64' }, redirectURL: '', headersSize: -1, bodySize: 3 },
    cache: {},
    timings: { send: 0, wait: 0, receive: 0 },
  };
}

describe('requestOf: the one HAR entry -> request', () => {
  it('keeps end-to-end headers and drops hop-by-hop, computed, conditional and old redacted ones', () => {
    const r = requestOf(entry('post', 'http://127.0.0.1:3000/notes?x=1&y=%20', [
      ['Host', 'a'], ['Content-Length', '9'], ['Connection', 'keep-alive'], ['Accept-Encoding', 'gzip'], ['Content-Encoding', 'gzip'],
      ['If-None-Match', 'W/"1"'], ['Expect', '100-continue'], ['Authorization', '[redacted]'], ['Content-Type', 'application/json'],
      ['Cookie', 'a=1'], ['cookie', 'b=2'], ['X-Thing', 'p'], ['x-thing', 'q'],
    ], { mimeType: 'application/json', text: '{"a":1}' }));
    expect(r.method).toBe('POST');
    expect(r.path).toBe('/notes?x=1&y=%20');
    expect(r.headers).toEqual({ 'content-type': 'application/json', cookie: 'a=1; b=2', 'x-thing': 'p, q' });
    expect(r.mimeType).toBe('application/json');
    expect(r.body?.toString()).toBe('{"a":1}');
  });

  it('decodes base64 bodies (HAR `encoding` and browsers\' `_encoding`) and sends no body with GET', () => {
    expect(requestOf(entry('PUT', 'http://h/b', [], { mimeType: 'application/octet-stream', text: 'AAEC', encoding: 'base64' })).body).toEqual(Buffer.from([0, 1, 2]));
    expect(requestOf(entry('PUT', 'http://h/b', [], { mimeType: 'application/octet-stream', text: 'AAEC', _encoding: 'base64' })).body).toEqual(Buffer.from([0, 1, 2]));
    expect(requestOf(entry('GET', 'http://h/b', [], { mimeType: 'text/plain', text: 'x' })).body).toBeUndefined();
    expect(responseBytesOf(entry('GET', 'http://h/b', []))).toEqual(Buffer.from([0, 1, 2]));
  });
});
