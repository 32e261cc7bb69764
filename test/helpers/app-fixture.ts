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

export function writeHar(file: string, entries: { method: string; url: string; body: unknown }[]): void {
  const log = entries.map(({ method, url, body }) => {
    const text = JSON.stringify(body);
    return {
      startedDateTime: new Date(0).toISOString(),
      time: 1,
      request: { method, url, httpVersion: 'HTTP/1.1', headers: [], cookies: [], queryString: [], headersSize: -1, bodySize: 0 },
      response: {
        status: 200, statusText: 'OK', httpVersion: 'HTTP/1.1', headers: [{ name: 'content-type', value: 'application/json' }], cookies: [],
        content: { size: text.length, mimeType: 'application/json', text }, redirectURL: '', headersSize: -1, bodySize: text.length,
      },
      cache: {},
      timings: { send: 0, wait: 1, receive: 0 },
    };
  });
  fs.writeFileSync(file, JSON.stringify({ log: { version: '1.2', creator: { name: 't', version: '1' }, entries: log } }));
}
