import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { dispatchInProcess } from '../../src/runtime/in-process-dispatch.js';

type Handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
interface ExpressReq { params: Record<string, string>; query: Record<string, string>; body: unknown; ip: string; get(h: string): string | undefined }
interface ExpressRes { status(n: number): ExpressRes; json(v: unknown): void; set(h: string, v: string): ExpressRes; send(v: string): void; end(): void }
interface ExpressApp extends Handler {
  use(h: unknown): void;
  get(path: string, h: (req: ExpressReq, res: ExpressRes) => void): void;
  post(path: string, h: (req: ExpressReq, res: ExpressRes) => void): void;
}
// express has no types installed here; the subjects depend on it (hoisted to the root).
const ROOT = join(import.meta.dirname, '..', '..');
const express = createRequire(import.meta.url)('express') as (() => ExpressApp) & { json(): unknown };

describe('dispatchInProcess', () => {
  it('runs an Express app without a socket: params, query, JSON body, client address, status and headers', async () => {
    const app = express();
    app.use(express.json());
    app.get('/notes/:id', (req, res) => res.set('x-seen', req.get('x-client') ?? '').json({ id: req.params.id, q: req.query.q, ip: req.ip }));
    app.post('/notes', (req, res) => res.status(201).json({ got: req.body }));
    const server = createServer(app);
    const one = await dispatchInProcess(server, { method: 'GET', path: '/notes/7?q=x', headers: { 'x-client': 'c1', host: 'edge' } }, { remoteAddress: '10.0.0.9' });
    expect(one.status).toBe(200);
    expect(one.headers['x-seen']).toBe('c1');
    expect(String(one.headers['content-type'])).toMatch(/json/);
    expect(JSON.parse(one.body.toString())).toEqual({ id: '7', q: 'x', ip: '10.0.0.9' });
    const two = await dispatchInProcess(server, { method: 'POST', path: '/notes', headers: {}, body: { text: 'hi' } });
    expect(two.status).toBe(201);
    expect(JSON.parse(two.body.toString())).toEqual({ got: { text: 'hi' } });
    const raw = await dispatchInProcess(server, { method: 'POST', path: '/notes', headers: { 'content-type': 'application/json' }, body: Buffer.from('{"a":1}') });
    expect(JSON.parse(raw.body.toString())).toEqual({ got: { a: 1 } });
    const missing = await dispatchInProcess(server, { method: 'GET', path: '/nowhere' });
    expect(missing.status).toBe(404);
  });

  it('gives Express 5 (body-parser 2) the JSON body of a POST', async () => {
    // body-parser 2 skips a request whose socket is not readable; realty's Express 5 is here.
    const express5 = createRequire(join(ROOT, 'subjects', 'realty', 'package.json'))('express') as (() => ExpressApp) & { json(): unknown };
    const app = express5();
    app.use(express5.json());
    app.post('/things', (req, res) => res.status(201).json({ got: req.body }));
    const answer = await dispatchInProcess(createServer(app), { method: 'POST', path: '/things', headers: { 'content-type': 'application/json' }, body: '{"title":"t"}' });
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body.toString())).toEqual({ got: { title: 't' } });
  });

  it('collects a streamed answer written in pieces, and an error answer', async () => {
    const server = createServer((req, res) => {
      if (req.url === '/fail') {
        res.statusCode = 500;
        res.end('broken');
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('a');
      res.write(Buffer.from('b'));
      setTimeout(() => res.end('c'), 2);
    });
    const streamed = await dispatchInProcess(server, { method: 'GET', path: '/' });
    expect(streamed.status).toBe(200);
    expect(streamed.body.toString()).toBe('abc');
    const failed = await dispatchInProcess(server, { method: 'GET', path: '/fail' });
    expect(failed.status).toBe(500);
    expect(failed.body.toString()).toBe('broken');
  });

  it('collects a large answer piped from a stream (res.sendFile), which waits for drain on backpressure', async () => {
    const big = Buffer.alloc(1_400_000, 'x');
    const server = createServer((req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      Readable.from((function* chunks() {
        for (let i = 0; i < big.length; i += 65_536) yield big.subarray(i, i + 65_536);
      })()).pipe(res);
    });
    const answer = await dispatchInProcess(server, { method: 'GET', path: '/text' });
    expect(answer.body.length).toBe(big.length);
  });

  it('rejects when the app throws in its request listener', async () => {
    const server = createServer(() => {
      throw new Error('app exploded');
    });
    await expect(dispatchInProcess(server, { method: 'GET', path: '/' })).rejects.toThrow('app exploded');
  });
});
