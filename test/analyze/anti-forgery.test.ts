/**
 * A server-rendered form with an anti-forgery token (csurf, lusca and hand-written ones work
 * alike): GET /form sets a session cookie and puts a fresh token in a hidden input; POST /notes
 * is refused (403) unless it carries that session's token. Replayed from init, the recorded
 * token is stale, so analyze must replay the form first and post the replay's own token
 * (model/echoed.ts). Found on an unseen Express + passport + csurf app, whose every POST was
 * "failed when replayed" and not replicable.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { writeHar, writeTree } from '../helpers/app-fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-csrf-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const SERVER = `const http = require('http');
const crypto = require('crypto');

const sessions = new Map();
const notes = [];

function sessionOf(req) {
  const m = /(?:^|; )sid=([^;]+)/.exec(req.headers.cookie || '');
  return m ? sessions.get(m[1]) : undefined;
}

http.createServer((req, res) => {
  if (req.method === 'GET' && req.url === '/form') {
    const sid = crypto.randomBytes(12).toString('hex');
    const csrf = crypto.randomBytes(18).toString('base64url');
    sessions.set(sid, { csrf });
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'set-cookie': 'sid=' + sid + '; Path=/; HttpOnly' });
    return res.end('<form method="post" action="/notes"><input name="text"><input type="hidden" name="_csrf" value="' + csrf + '"></form>');
  }
  if (req.method === 'POST' && req.url === '/notes') {
    let body = '';
    req.on('data', (c) => (body += c));
    return req.on('end', () => {
      const form = new URLSearchParams(body);
      const session = sessionOf(req);
      if (!session || form.get('_csrf') !== session.csrf) {
        res.writeHead(403, { 'content-type': 'application/json' });
        return res.end(JSON.stringify({ error: 'invalid csrf token' }));
      }
      notes.push(form.get('text'));
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ count: notes.length }));
    });
  }
  res.writeHead(404);
  res.end();
}).listen(Number(process.env.PORT || 3000));
`;

describe('anti-forgery tokens', () => {
  it('replays a form POST with the token the replayed form page issued', { timeout: 120_000 }, async () => {
    const app = path.join(tmp, 'app');
    writeTree(app, { 'package.json': JSON.stringify({ name: 'csrfnotes', scripts: { start: 'node server.js' } }), 'server.js': SERVER });
    const token = 'Xq3vR8tLw0pZk2YbN5cJ7hD1fG4sA9eQ';
    const cookie = 'edgstr-redacted-0123456789ab';
    const traffic = path.join(tmp, 'traffic.har');
    writeHar(traffic, [
      { method: 'GET', url: 'http://127.0.0.1:3000/form', html: `<form method="post" action="/notes"><input name="text"><input type="hidden" name="_csrf" value="${token}"></form>`, setCookies: [`sid=${cookie}; Path=/; HttpOnly`] },
      { method: 'POST', url: 'http://127.0.0.1:3000/notes', status: 201, requestHeaders: { cookie: `sid=${cookie}` }, form: `text=hello&_csrf=${token}`, body: { count: 1 } },
    ]);
    const r = await analyzeApp({ appDir: app, traffic, workdir: path.join(tmp, 'work'), fuzz: 2, startTimeoutMs: 30_000 });
    const analysis = JSON.parse(fs.readFileSync(r.analysisFile, 'utf8')) as { services: { id: string; replicable: boolean; state: { writes: { globals: string[] } } }[] };
    const post = analysis.services.find((s) => s.id === 'POST /notes')!;
    expect(post.replicable).toBe(true);
    expect(post.state.writes.globals).toContain('notes');
  });
});
