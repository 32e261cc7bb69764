/**
 * Small apps written by a test, and the traffic to analyze them with: writeTree puts files under
 * a root, writeHar a HAR 1.2 file of JSON exchanges (status 200) as `edgstr record` would.
 */
import fs from 'node:fs';
import path from 'node:path';

export function writeTree(root: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
}

/**
 * One exchange: `body` is the JSON answer; or `html` an HTML one. Optional: the request's headers
 * and body (`form`: urlencoded), the answer's status and Set-Cookie values.
 */
export interface HarExchange {
  method: string;
  url: string;
  body?: unknown;
  html?: string;
  status?: number;
  requestHeaders?: Record<string, string>;
  form?: string;
  setCookies?: string[];
}

export function writeHar(file: string, entries: HarExchange[]): void {
  const log = entries.map(({ method, url, body, html, status = 200, requestHeaders = {}, form, setCookies = [] }) => {
    const text = html ?? JSON.stringify(body);
    const mimeType = html !== undefined ? 'text/html; charset=utf-8' : 'application/json';
    const headers = Object.entries({ ...requestHeaders, ...(form !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }).map(([name, value]) => ({ name, value }));
    return {
      startedDateTime: new Date(0).toISOString(),
      time: 1,
      request: {
        method, url, httpVersion: 'HTTP/1.1', headers, cookies: [], queryString: [], headersSize: -1, bodySize: form?.length ?? 0,
        ...(form !== undefined ? { postData: { mimeType: 'application/x-www-form-urlencoded', text: form } } : {}),
      },
      response: {
        status, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [{ name: 'content-type', value: mimeType }, ...setCookies.map((value) => ({ name: 'set-cookie', value }))], cookies: [],
        content: { size: text.length, mimeType, text }, redirectURL: '', headersSize: -1, bodySize: text.length,
      },
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
    };
  });
  fs.writeFileSync(file, JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: log } }));
}
