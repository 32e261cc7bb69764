/**
 * An app started the way real ones are (`node --env-file=.env -r ./boot.cjs server`: its
 * database path and a setting come from the env file, a preloaded module sets something up, the
 * entry has no extension) runs the same way in the generated cloud and edge: the edge answers
 * from its own copy of the database named in the env file, and its write reaches the cloud.
 * Before, generate refused such an app ("cannot find the app's entry module"), and a cloud or
 * edge started without the env file had no database path.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { generate } from '../../src/generate/index.js';
import { installGenerated } from '../../src/verify/install.js';
import { writeHar, writeTree } from '../helpers/app-fixture.js';
import { freePort } from '../helpers/index.js';
import { GeneratedProcesses, json } from './start-generated.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-start-'));
const procs = new GeneratedProcesses();
afterAll(() => {
  procs.stopAll();
  fs.rmSync(tmp, { recursive: true, force: true });
});

const SERVER = `const http = require('http');
const Database = require('better-sqlite3');

if (!process.env.NOTES_DB) throw new Error('NOTES_DB is not set: start with --env-file=.env');
const db = new Database(process.env.NOTES_DB);
db.exec('CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, likes INTEGER NOT NULL DEFAULT 0)');
if (db.prepare('SELECT COUNT(*) AS n FROM notes').get().n === 0) db.prepare("INSERT INTO notes (text) VALUES ('first')").run();

http.createServer((req, res) => {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  let m = /^\\/notes\\/(\\d+)$/.exec(req.url);
  if (req.method === 'GET' && m) {
    const note = db.prepare('SELECT * FROM notes WHERE id = ?').get(Number(m[1]));
    if (!note) return send(404, { error: 'no such note' });
    return send(200, { ...note, greeting: process.env.GREETING, booted: globalThis.bootedBy });
  }
  m = /^\\/notes\\/(\\d+)\\/like$/.exec(req.url);
  if (req.method === 'POST' && m) {
    db.prepare('UPDATE notes SET likes = likes + 1 WHERE id = ?').run(Number(m[1]));
    const note = db.prepare('SELECT id, likes FROM notes WHERE id = ?').get(Number(m[1]));
    return send(200, note);
  }
  send(404, { error: 'not found' });
}).listen(Number(process.env.PORT || 3000));
`;

describe('the app\'s start command in the generated projects', () => {
  it('env file, preloaded module and an extensionless entry: the edge serves from the database the env file names', { timeout: 300_000 }, async () => {
    const app = path.join(tmp, 'app');
    writeTree(app, {
      'package.json': JSON.stringify({ name: 'envnotes', version: '1.0.0', scripts: { start: 'node --env-file=.env -r ./boot.cjs server' }, dependencies: { 'better-sqlite3': '^12.0.0' } }),
      '.env': 'NOTES_DB=./var/notes.db\nGREETING=hello-from-env\nPORT=3999\n',
      'boot.cjs': "globalThis.bootedBy = 'boot.cjs';\nrequire('fs').mkdirSync('var', { recursive: true });\n",
      'server.js': SERVER,
    });
    fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(app, 'node_modules'));
    const note = { id: 1, text: 'first', likes: 0, greeting: 'hello-from-env', booted: 'boot.cjs' };
    const traffic = path.join(tmp, 'traffic.har');
    writeHar(traffic, [
      { method: 'GET', url: 'http://127.0.0.1:3999/notes/1', body: note },
      { method: 'POST', url: 'http://127.0.0.1:3999/notes/1/like', body: { id: 1, likes: 1 } },
    ]);
    const workdir = path.join(tmp, 'work');
    const analyzed = await analyzeApp({ appDir: app, traffic, workdir, fuzz: 1, startTimeoutMs: 30_000 });
    const analysis = JSON.parse(fs.readFileSync(analyzed.analysisFile, 'utf8')) as { services: { id: string; state: { reads: { tables: string[] } } }[] };
    // The routes are regular expressions in the app: their parameter names are edgstr's.
    expect(analysis.services.map((s) => s.id.replace(/:\w+/g, ':p')).sort()).toEqual(['GET /notes/:p', 'POST /notes/:p/like']);
    expect(analysis.services.find((s) => s.id.startsWith('GET'))!.state.reads.tables).toEqual(['notes']);

    execFileSync(process.execPath, [path.join(REPO, 'bin', 'edgstr'), 'review', '--accept', 'all', '--workdir', workdir], { stdio: 'pipe' });
    const out = path.join(tmp, 'out');
    const cloudPort = await freePort();
    const cloudUrl = `http://127.0.0.1:${cloudPort}`;
    await generate({ workdir, out, target: 'node', edges: 1, cloudUrl });
    const config = JSON.parse(fs.readFileSync(path.join(out, 'cloud', 'config.json'), 'utf8')) as { app: unknown };
    expect(config.app).toEqual({ dir: 'app', entry: 'server.js', envFiles: ['.env'], preload: [{ kind: 'require', specifier: './boot.cjs' }] });
    await Promise.all([installGenerated(path.join(out, 'edge')), installGenerated(path.join(out, 'cloud'))]);

    procs.start('cloud', path.join(out, 'cloud'), { PORT: String(cloudPort) });
    await procs.waitFor('the cloud', async () => ((await json(`${cloudUrl}/__edgstr/health`)).status === 200 ? true : undefined), 30_000);
    const edge = await procs.startEdge('edge', path.join(out, 'edge'), { EDGSTR_CLOUD_URL: cloudUrl }, ['--edge', '1']);

    const read = await json(`${edge}/notes/1`);
    expect(read.body).toEqual(note);
    expect(read.headers.get('x-edgstr-served')).toBe('edge');
    const like = await json(`${edge}/notes/1/like`, { method: 'POST' });
    expect(like.body).toEqual({ id: 1, likes: 1 });
    expect(like.headers.get('x-edgstr-served')).toBe('edge');
    // The edge's copy of the database is the one the env file names, and its write reaches the cloud.
    await procs.waitFor('the like at the cloud', async () => {
      const atCloud = await json(`${cloudUrl}/notes/1`);
      return (atCloud.body as { likes: number }).likes === 1 ? true : undefined;
    }, 15_000);
    expect(fs.existsSync(path.join(out, 'edge', 'data', 'edge-1', 'app', 'var', 'notes.db'))).toBe(true);
  });
});
