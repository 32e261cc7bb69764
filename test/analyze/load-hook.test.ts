/**
 * Issue #11 item 1: analyze instruments only the modules the server loads, when it loads them.
 * A front-end beside the server (ES modules and JSX in a CommonJS package, a bundle) is never
 * parsed; a loaded file that does not parse still gives the located "fix the syntax error"
 * message; a symlinked node_modules is linked, not copied into (it crashed with EEXIST).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { writeHar, writeTree } from '../helpers/app-fixture.js';
import { readFragments } from '../../src/analyze/tracer/load-instrument.js';
import { UserError } from '../../src/model/errors.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-load-hook-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const FRONT_END = {
  // ES modules and JSX in a CommonJS package: not parseable as the server's scripts
  'client/src/main.js': "import { createRoot } from 'react-dom/client';\ncreateRoot(document.body).render(<App />);\n",
  'client/dist/app.js': `${'function a(e){return e}'.repeat(2000)}export{a};\n`,
};

async function analyze(name: string, files: Record<string, string>, link?: (dir: string) => void) {
  const dir = path.join(tmp, name);
  writeTree(dir, files);
  link?.(dir);
  const traffic = path.join(tmp, `${name}.har`);
  writeHar(traffic, [{ method: 'GET', url: 'http://127.0.0.1:3000/count', body: { count: 1 } }]);
  return analyzeApp({ appDir: dir, traffic, workdir: path.join(tmp, `${name}-work`), fuzz: 1, startTimeoutMs: 20_000 });
}

const SERVER_CJS = `const http = require('http');
const { bump } = require('./lib/counter');
http.createServer((req, res) => {
  const n = bump();
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ count: n }));
}).listen(process.env.PORT || 3000);
`;

describe('load-time instrumentation', () => {
  it('analyzes a CommonJS server beside a front-end it never loads, with a symlinked node_modules', { timeout: 60_000 }, async () => {
    const shared = path.join(tmp, 'shared-node-modules');
    writeTree(shared, { 'left-pad/package.json': '{"name":"left-pad","main":"index.js"}', 'left-pad/index.js': 'module.exports = (s) => s;\n' });
    const result = await analyze(
      'cjs',
      {
        // a script run before the server: its own process, its own probe ids
        'package.json': '{"name":"cjs","scripts":{"start":"node scripts/prepare.js && node server.js"}}',
        'scripts/prepare.js': "let prepared = 0;\nfunction prepare() { prepared++; return prepared; }\nprepare();\n",
        'server.js': SERVER_CJS,
        'lib/counter.js': "require('left-pad');\nlet count = 0;\nexports.bump = () => ++count;\n",
        ...FRONT_END,
      },
      (dir) => fs.symlinkSync(shared, path.join(dir, 'node_modules')),
    );
    const analysis = JSON.parse(fs.readFileSync(result.analysisFile, 'utf8')) as { services: { state: { writes: { globals: string[] } }; statements: { file: string }[] }[] };
    expect(analysis.services).toHaveLength(1);
    expect(analysis.services[0]!.state.writes.globals).toEqual(['count']);
    const files = new Set(analysis.services[0]!.statements.map((s) => s.file));
    expect([...files].every((f) => f === 'server.js' || f === 'lib/counter.js')).toBe(true);
  });

  it('points at a file the server loads that does not parse', { timeout: 60_000 }, async () => {
    const err = await analyze('broken', {
      'package.json': '{"name":"broken","scripts":{"start":"node server.js"}}',
      'server.js': SERVER_CJS,
      'lib/counter.js': 'exports.bump = () => { return 1 +; };\n',
      ...FRONT_END,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^lib\/counter\.js: .* — fix the syntax error in the app/);
    expect((err as UserError).details).toContain('return 1 +');
  });

  it('instruments ES modules through the load hook and points at one that does not parse', { timeout: 60_000 }, async () => {
    const server = SERVER_CJS.replace("const http = require('http');\nconst { bump } = require('./lib/counter');", "import http from 'node:http';\nimport { bump } from './lib/counter.js';");
    const ok = await analyze('esm', {
      'package.json': '{"name":"esm","type":"module","scripts":{"start":"node server.js"}}',
      'server.js': server,
      'lib/counter.js': 'let count = 0;\nexport const bump = () => ++count;\n',
      'client/src/main.jsx': FRONT_END['client/src/main.js'],
    });
    const analysis = JSON.parse(fs.readFileSync(ok.analysisFile, 'utf8')) as { services: { state: { writes: { globals: string[] } } }[] };
    expect(analysis.services[0]!.state.writes.globals).toEqual(['count']);
    const err = await analyze('esm-broken', {
      'package.json': '{"name":"esm-broken","type":"module","scripts":{"start":"node server.js"}}',
      'server.js': server,
      'lib/counter.js': 'export const bump = () => { return 1 +; };\n',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toMatch(/^lib\/counter\.js: .* — fix the syntax error in the app/);
  });

  it('merges only the probe table of the server process (a prestart script counts its own ids from 0)', () => {
    const control = path.join(tmp, 'control-pids');
    fs.mkdirSync(path.join(control, 'table'), { recursive: true });
    const fragment = (file: string) => ({ file, base: { stmts: 0, globals: 0, fields: 0 }, stmts: [], globals: [{ file, name: 'x', kind: 'let' }], fields: [] });
    fs.writeFileSync(path.join(control, 'table', '100-000000.json'), JSON.stringify(fragment('scripts/prepare.js')));
    fs.writeFileSync(path.join(control, 'table', '200-000000.json'), JSON.stringify(fragment('server.js')));
    expect(readFragments(control, 200).map((f) => f.file)).toEqual(['server.js']);
  });
});
