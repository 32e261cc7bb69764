/**
 * State an app keeps in a library object that no variable of the app holds: express-session
 * without a `store` creates a MemoryStore inside its own module and hangs it on every request
 * (`req.sessionStore`); the app only reads `req.session`. The tracer's probes never see it, so
 * a login looked stateless and an edge would have answered with sessions the cloud and the
 * other edges never see. Found on an unseen Express + Sequelize app with the default session
 * store. Here the library is a tiny stand-in for express-session under node_modules (analyze
 * instruments only the app's own modules), used unmodified the way the app uses express-session.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { hiddenStateWritten } from '../../src/analyze/report.js';
import type { ExecTrace } from '../../src/analyze/tracer/protocol.js';
import { writeHar, writeTree } from '../helpers/app-fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-hidden-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Like express-session: the store is created inside the library, never exported to the app.
const LIBRARY = `const crypto = require('crypto');
const EventEmitter = require('events');
class MemoryStore extends EventEmitter {
  constructor() { super(); this.sessions = Object.create(null); }
  get(sid, cb) { cb(null, this.sessions[sid] ? JSON.parse(this.sessions[sid]) : undefined); }
  set(sid, sess, cb) { this.sessions[sid] = JSON.stringify(sess); cb(null); }
}
module.exports = function session(opts) {
  const store = (opts && opts.store) || new MemoryStore();
  return function (req, res, next) {
    req.sessionStore = store;
    const m = /(?:^|; )sid=([^;]+)/.exec(req.headers.cookie || '');
    store.get(m && m[1], (err, data) => {
      req.session = data || {};
      const writeHead = res.writeHead;
      res.writeHead = function (...args) {
        if (req.session.user && !data) {
          const sid = crypto.randomBytes(12).toString('hex');
          store.set(sid, req.session, () => {});
          res.setHeader('set-cookie', 'sid=' + sid + '; Path=/; HttpOnly');
        }
        return writeHead.apply(this, args);
      };
      next();
    });
  };
};
`;

const SERVER = `const http = require('http');
const session = require('tiny-session');
const sessions = session();
const notes = [];
function json(res, status, body) { res.writeHead(status, { 'content-type': 'application/json' }); res.end(JSON.stringify(body)); }
http.createServer((req, res) => sessions(req, res, () => {
  if (req.method === 'POST' && req.url === '/login') { req.session.user = 'ada'; return json(res, 200, { user: 'ada' }); }
  if (req.method === 'GET' && req.url === '/me') return req.session.user ? json(res, 200, { user: req.session.user }) : json(res, 401, { error: 'log in' });
  if (req.method === 'GET' && req.url === '/notes') return json(res, 200, notes);
  json(res, 404, {});
})).listen(Number(process.env.PORT || 3000));
`;

type Analysis = { services: { id: string; replicable: boolean; stateful: boolean; reason: string | null }[] };

describe('state in a library object the app does not hold', () => {
  it('makes the services that depend on a request-borne session store not replicable, with the reason', { timeout: 120_000 }, async () => {
    const app = path.join(tmp, 'app');
    writeTree(app, {
      'package.json': JSON.stringify({ name: 'hiddenstore', scripts: { start: 'node server.js' } }),
      'server.js': SERVER,
      'node_modules/tiny-session/package.json': JSON.stringify({ name: 'tiny-session', version: '1.0.0', main: 'index.js' }),
      'node_modules/tiny-session/index.js': LIBRARY,
    });
    const cookie = 'edgstr-redacted-0123456789ab';
    const traffic = path.join(tmp, 'traffic.har');
    writeHar(traffic, [
      { method: 'GET', url: 'http://127.0.0.1:3000/notes', body: [] },
      { method: 'POST', url: 'http://127.0.0.1:3000/login', body: { user: 'ada' }, setCookies: [`sid=${cookie}; Path=/; HttpOnly`] },
      { method: 'GET', url: 'http://127.0.0.1:3000/me', requestHeaders: { cookie: `sid=${cookie}` }, body: { user: 'ada' } },
    ]);
    const r = await analyzeApp({ appDir: app, traffic, workdir: path.join(tmp, 'work'), fuzz: 2, startTimeoutMs: 30_000 });
    const analysis = JSON.parse(fs.readFileSync(r.analysisFile, 'utf8')) as Analysis;
    const byId = new Map(analysis.services.map((s) => [s.id, s]));
    for (const id of ['POST /login', 'GET /me']) {
      expect(byId.get(id)!.replicable, id).toBe(false);
      expect(byId.get(id)!.stateful, id).toBe(true);
      expect(byId.get(id)!.reason).toMatch(/req\.sessionStore, a MemoryStore changed by POST \/login/);
    }
  });

  it('counts only an object seen in several executions and changed in one', () => {
    const t = (hidden: ExecTrace['hidden']): ExecTrace => ({ id: 'x', stmts: [], values: [], globalReads: [], globalWrites: [], fieldReads: [], fieldWrites: [], sql: [], files: [], outbound: [], endFrames: [], errors: [], hidden });
    const store = (changed: boolean) => ({ name: 'req.sessionStore', kind: 'MemoryStore', obj: '7:1', changed });
    const perRequest = (obj: string) => ({ name: 'req.session', kind: 'Session', obj, changed: true });
    const written = hiddenStateWritten(new Map([
      ['GET /notes', [t([store(false), perRequest('7:2')])]],
      ['POST /login', [t([store(true), perRequest('7:3')])]],
      ['GET /config', [t([{ name: 'req.config', kind: 'Config', obj: '7:4', changed: false }]), t([{ name: 'req.config', kind: 'Config', obj: '7:4', changed: false }])]],
    ]));
    expect([...written.keys()]).toEqual(['7:1']);
    expect(written.get('7:1')).toEqual({ name: 'req.sessionStore', kind: 'MemoryStore', writers: ['POST /login'] });
  });
});
