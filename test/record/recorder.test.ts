import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTraffic } from '../../src/model/traffic.js';
import { redactionFor, type EdgstrEntry } from '../../src/record/har-entry.js';
import { startRecorder, type Recorder } from '../../src/record/recorder.js';
import { startTestServer, type TestServer } from './test-server.js';
import { freePort } from '../helpers/index.js';

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = mkdtempSync(join(tmpdir(), 'edgstr-rec-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

let n = 0;
async function withRecorder<T>(fn: (rec: Recorder, out: string) => Promise<T>, opts: { redact?: ReturnType<typeof redactionFor>; target?: string } = {}): Promise<{ value: T; entries: EdgstrEntry[]; out: string }> {
  const out = join(dir, `t${++n}.har`);
  const rec = await startRecorder({ target: opts.target ?? server.url, port: 0, out, ...(opts.redact ? { redact: opts.redact } : {}) });
  try {
    const value = await fn(rec, out);
    await rec.close();
    return { value, entries: readTraffic(out).log.entries as EdgstrEntry[], out };
  } finally {
    await rec.close();
  }
}

async function until(cond: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Raw GET that returns the bytes exactly as they came over the wire (no decompression). */
function rawGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe('recording proxy', () => {
  it('records requests and responses as HAR 1.2 entries, valid after every exchange', async () => {
    const { entries } = await withRecorder(async (rec, out) => {
      let before = '';
      for (let i = 0; i < 3; i++) {
        const r = await fetch(`${rec.url}/echo/${i}?q=v${i}`);
        expect(await r.json()).toEqual({ path: `/echo/${i}`, q: `v${i}`, auth: null });
        // Written in place: the file is valid and what was there before is unchanged.
        // The entry is written once the response is delivered: wait for it.
        await until(() => rec.count === i + 1);
        const text = readFileSync(out, 'utf8');
        expect(readTraffic(out).log.entries).toHaveLength(i + 1);
        expect(text.startsWith(before.slice(0, -3))).toBe(true);
        before = text;
      }
      const post = await fetch(`${rec.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
      expect(post.status).toBe(201);
    });
    expect(entries).toHaveLength(4);
    const [first, , , post] = entries;
    expect(first!.request.method).toBe('GET');
    expect(first!.request.url).toBe(`${server.url}/echo/0?q=v0`);
    expect(first!.request.queryString).toEqual([{ name: 'q', value: 'v0' }]);
    expect(first!.response.status).toBe(200);
    expect(JSON.parse(first!.response.content.text!)).toEqual({ path: '/echo/0', q: 'v0', auth: null });
    expect(first!.serverIPAddress).toBe('127.0.0.1');
    expect(first!.timings.wait).toBeGreaterThanOrEqual(0);
    expect(post!.request.postData).toMatchObject({ mimeType: 'application/json', text: '{"a":1}' });
    expect(post!.response.status).toBe(201);
  });

  it('decodes gzip into text while the client gets the raw bytes; binary bodies are base64', async () => {
    const { entries, value } = await withRecorder(async (rec) => {
      const gz = await rawGet(`${rec.url}/gzip`);
      const bin = await rawGet(`${rec.url}/bin`);
      return { gz, bin };
    });
    expect(value.gz.headers['content-encoding']).toBe('gzip');
    expect(value.gz.body[0]).toBe(0x1f); // gzip magic: the client saw the encoded bytes
    const gz = entries[0]!.response.content;
    expect(JSON.parse(gz.text!)).toEqual({ hello: 'gzip world' });
    expect(gz.encoding).toBeUndefined();
    expect(gz.compression).toBe(value.gz.body.length - gz.size);
    const bin = entries[1]!.response.content;
    expect(bin.encoding).toBe('base64');
    expect(Buffer.from(bin.text!, 'base64')).toEqual(value.bin.body);
  });

  it('redacts Authorization, Cookie and Set-Cookie by default into stable tokens, extra names on request, none with --no-redact', async () => {
    const call = async (rec: Recorder): Promise<void> => {
      await fetch(`${rec.url}/cookie`, { headers: { authorization: 'Bearer top', cookie: 'sid=abc; x=1', 'x-api-key': 'k1' } });
      // the session the first answer set, sent back: the same secret must give the same token
      await fetch(`${rec.url}/cookie`, { headers: { authorization: 'Bearer top', cookie: 'sid=secret123' } });
    };
    const value = (e: EdgstrEntry, where: 'request' | 'response', name: string): string | undefined =>
      e[where].headers.find((h) => h.name.toLowerCase() === name)?.value;
    const token = /^edgstr-redacted-[0-9a-f]{12}$/;
    const [def, again] = (await withRecorder(call)).entries as [EdgstrEntry, EdgstrEntry];
    expect(value(def, 'request', 'authorization')).toMatch(/^Bearer edgstr-redacted-[0-9a-f]{12}$/);
    expect(value(again, 'request', 'authorization')).toBe(value(def, 'request', 'authorization'));
    expect(value(def, 'request', 'cookie')).toMatch(/^sid=edgstr-redacted-[0-9a-f]{12}; x=edgstr-redacted-[0-9a-f]{12}$/);
    expect(def.request.cookies.map((c) => c.name)).toEqual(['sid', 'x']);
    for (const c of def.request.cookies) expect(c.value).toMatch(token);
    expect(value(def, 'response', 'set-cookie')).toMatch(/^sid=edgstr-redacted-[0-9a-f]{12}; HttpOnly$/);
    const issued = def.response.cookies.find((c) => c.name === 'sid')!.value;
    expect(again.request.cookies[0]!.value).toBe(issued);
    expect(value(again, 'request', 'cookie')).toBe(`sid=${issued}`);
    expect(def.response.cookies.map((c) => c.name)).toEqual(['sid', 'theme']);
    expect(value(def, 'request', 'x-api-key')).toBe('k1');
    expect(JSON.stringify(def)).not.toContain('secret123');
    expect(JSON.stringify(def)).not.toContain('top');
    // a new recording draws a new key: tokens do not carry over
    const other = (await withRecorder(call)).entries[0]!;
    expect(value(other, 'request', 'authorization')).not.toBe(value(def, 'request', 'authorization'));
    const extra = (await withRecorder(call, { redact: redactionFor(true, ['X-Api-Key']) })).entries[0]!;
    expect(value(extra, 'request', 'x-api-key')).toMatch(token);
    const none = (await withRecorder(call, { redact: redactionFor(false) })).entries[0]!;
    expect(value(none, 'request', 'authorization')).toBe('Bearer top');
    expect(JSON.stringify(none)).toContain('secret123');
  });

  it('keeps 100 concurrent exchanges complete and unmixed', async () => {
    const { entries } = await withRecorder(async (rec) => {
      await Promise.all(
        Array.from({ length: 100 }, async (_, i) => {
          const body = JSON.stringify({ client: i, pad: 'p'.repeat(i * 7) });
          const r = await fetch(`${rec.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-client': String(i) }, body });
          const j = (await r.json()) as { body: string };
          expect(j.body).toBe(body);
        }),
      );
    });
    expect(entries).toHaveLength(100);
    const seen = new Set<number>();
    for (const e of entries) {
      const client = Number(e.request.headers.find((h) => h.name === 'x-client')!.value);
      seen.add(client);
      expect(JSON.parse(e.request.postData!.text!).client).toBe(client);
      expect(JSON.parse(JSON.parse(e.response.content.text!).body).client).toBe(client);
    }
    expect(seen.size).toBe(100);
  });

  it('answers 502 JSON naming the target when it is down, records the failure and continues', async () => {
    const deadPort = await freePort();
    const target = `http://127.0.0.1:${deadPort}`;
    const { entries, value } = await withRecorder(
      async (rec) => {
        const r1 = await fetch(`${rec.url}/a`);
        const b1 = (await r1.json()) as { error: string; target: string };
        const r2 = await fetch(`${rec.url}/b`);
        await r2.text();
        return { status: r1.status, body: b1, count: rec.count };
      },
      { target },
    );
    expect(value.status).toBe(502);
    expect(value.body.target).toBe(`${target}/`);
    expect(value.body.error).toMatch(/ECONNREFUSED/);
    expect(entries).toHaveLength(2);
    expect(entries[0]!.response.status).toBe(0);
    expect(entries[0]!._edgstrError).toMatch(/ECONNREFUSED/);
  });

  it('streams a 20 MB upload through and records its size and content', async () => {
    const big = randomBytes(20 * 1024 * 1024);
    const { entries, value } = await withRecorder(async (rec) => {
      const r = await fetch(`${rec.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: big });
      return (await r.json()) as { len: number; sha256: string };
    });
    expect(value.len).toBe(big.length);
    expect(value.sha256).toBe(createHash('sha256').update(big).digest('hex'));
    const post = entries[0]!.request.postData as { text: string; encoding?: string };
    expect(entries[0]!.request.bodySize).toBe(big.length);
    expect(post.encoding).toBe('base64');
    expect(Buffer.from(post.text, 'base64').equals(big)).toBe(true);
  });

  it('appends to an existing valid HAR and refuses an invalid one', async () => {
    const out = join(dir, 'append.har');
    writeFileSync(out, JSON.stringify({ log: { version: '1.2', creator: { name: 'x', version: '1' }, entries: [] } }, null, 2));
    for (const round of [1, 2]) {
      const rec = await startRecorder({ target: server.url, port: 0, out });
      await (await fetch(`${rec.url}/echo/${round}`)).text();
      const s = await rec.close();
      expect(s.totalEntries).toBe(round);
    }
    expect(readTraffic(out).log.entries.map((e) => e.request.url)).toEqual([`${server.url}/echo/1`, `${server.url}/echo/2`]);
    const bad = join(dir, 'bad.har');
    writeFileSync(bad, 'not json');
    await expect(startRecorder({ target: server.url, port: 0, out: bad })).rejects.toThrow(/bad\.har: exists but is not valid HAR/);
    expect(readFileSync(bad, 'utf8')).toBe('not json');
  });

  it('stops by itself after --max-requests and finishes in-flight exchanges on close', async () => {
    const out = join(dir, 'max.har');
    const rec = await startRecorder({ target: server.url, port: 0, out, maxRequests: 2 });
    await Promise.all([fetch(`${rec.url}/slow?ms=150`).then((r) => r.text()), fetch(`${rec.url}/echo/x`).then((r) => r.text())]);
    const s = await rec.done;
    expect(s.recorded).toBe(2);
    const rec2 = await startRecorder({ target: server.url, port: 0, out });
    const before = server.received;
    const slow = fetch(`${rec2.url}/slow?ms=300`).then((r) => r.text());
    await until(() => server.received > before); // in flight through the recorder, not just sent
    const closed = rec2.close();
    expect(await slow).toBe('slow done');
    expect((await closed).totalEntries).toBe(3);
  });

  it('refuses a port in use and a bad target with a clear message', async () => {
    const rec = await startRecorder({ target: server.url, port: 0, out: join(dir, 'p.har') });
    try {
      await expect(startRecorder({ target: server.url, port: rec.port, out: join(dir, 'p2.har') })).rejects.toThrow(/already in use; pick another --port/);
    } finally {
      await rec.close();
    }
    await expect(startRecorder({ target: 'not a url', port: 0, out: join(dir, 'p3.har') })).rejects.toThrow(/is not a URL/);
  });
});

describe('HAR file handling', () => {
  it('refuses a JSON file with entries that readers would reject, and starts an empty file afresh', async () => {
    const bad = join(dir, 'half.har');
    writeFileSync(bad, JSON.stringify({ log: { entries: [{ request: {} }] } }));
    await expect(startRecorder({ target: server.url, port: 0, out: bad })).rejects.toThrow(/half\.har: exists but is not valid HAR \(invalid at log\./);
    const empty = join(dir, 'empty.har');
    writeFileSync(empty, '');
    const rec = await startRecorder({ target: server.url, port: 0, out: empty });
    await (await fetch(`${rec.url}/echo/1`)).text();
    expect((await rec.close()).totalEntries).toBe(1);
    expect(readTraffic(empty).log.entries).toHaveLength(1);
  });
});

describe('upstream keep-alive reset', () => {
  it('sends an idempotent request once more when the target resets a reused socket', async () => {
    const perSocket = new WeakMap<object, number>();
    const flaky = http.createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      if (n === 2) return req.socket.destroy(); // as if the target closed the idle socket
      req.resume();
      req.on('end', () => res.end(`ok ${req.method}`));
    });
    await new Promise<void>((r) => flaky.listen(0, '127.0.0.1', r));
    const out = join(dir, 'retry.har');
    const rec = await startRecorder({ target: `http://127.0.0.1:${(flaky.address() as { port: number }).port}`, port: 0, out });
    try {
      const a = await fetch(`${rec.url}/a`);
      expect(await a.text()).toBe('ok GET');
      const b = await fetch(`${rec.url}/b`, { method: 'PUT', body: 'payload' });
      expect(b.status).toBe(200);
      expect(await b.text()).toBe('ok PUT');
    } finally {
      await rec.close();
      flaky.closeAllConnections();
      flaky.close();
    }
    const entries = readTraffic(out).log.entries;
    expect(entries.map((e) => e.response.status)).toEqual([200, 200]);
    expect(entries[1]!.request.postData?.text).toBe('payload');
  });
});
