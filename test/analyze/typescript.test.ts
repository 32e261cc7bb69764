/**
 * Issue #12 item 3: TypeScript servers. analyze instruments what actually runs — the JS tsx
 * produced (CommonJS through its require hook, ES modules through its load hook, which asks the
 * tracer's hook for the still-TypeScript file), or a dist/ compiled with .js.map files — and
 * analysis.json points at the .ts sources and lines.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeApp } from '../../src/analyze/analyze.js';
import { writeHar, writeTree } from '../helpers/app-fixture.js';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-ts-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

// Types on purpose on the lines that matter: a .js line number would differ from these.
const COUNTER_TS = `interface Hit {
  at: number;
}

export const hits: Hit[] = [];

export function record(at: number): number {
  hits.push({ at });
  return hits.length;
}
`;
const server = (importPath: string) => `import http, { type IncomingMessage, type ServerResponse } from 'http';
import { record } from '${importPath}';

type Reply = { n: number };

http.createServer((req: IncomingMessage, res: ServerResponse) => {
  const n: number = record(Date.now());
  const reply: Reply = { n };
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify(reply));
}).listen(Number(process.env.PORT ?? 3000));
`;

async function analyze(name: string, files: Record<string, string>) {
  const dir = path.join(tmp, name);
  writeTree(dir, files);
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  const traffic = path.join(tmp, `${name}.har`);
  writeHar(traffic, [{ method: 'POST', url: 'http://127.0.0.1:3000/hit', body: { n: 1 } }]);
  return analyzeApp({ appDir: dir, traffic, workdir: path.join(tmp, `${name}-work`), fuzz: 1, startTimeoutMs: 30_000 });
}

interface ServiceOut {
  exit: { file: string; line: number }[];
  statements: { file: string; line: number }[];
  state: { writes: { globals: string[] } };
}

function expectTsLocations(r: Awaited<ReturnType<typeof analyze>>): void {
  const analysis = JSON.parse(fs.readFileSync(r.analysisFile, 'utf8')) as { services: ServiceOut[] };
  const s = analysis.services[0]!;
  expect(s.state.writes.globals).toEqual(['hits']);
  expect(s.exit).toContainEqual({ file: 'src/server.ts', line: 10 });
  expect(s.statements).toContainEqual({ file: 'src/server.ts', line: 7 });
}

describe('TypeScript servers', () => {
  it('tsx, CommonJS package: instrumented after tsx transpiled, located in the .ts sources', { timeout: 120_000 }, async () => {
    const r = await analyze('cjs', {
      'package.json': JSON.stringify({ name: 'cjs', scripts: { start: 'tsx src/server.ts' } }),
      'src/counter.ts': COUNTER_TS,
      'src/server.ts': server('./counter'),
    });
    // tsx wraps each CommonJS module in an arrow function: its bindings are still the module's globals
    expectTsLocations(r);
  });

  it('tsx, ES module package: the still-TypeScript file is transpiled, then instrumented', { timeout: 120_000 }, async () => {
    const r = await analyze('esm', {
      'package.json': JSON.stringify({ name: 'esm', type: 'module', scripts: { start: 'tsx src/server.ts' } }),
      'src/counter.ts': COUNTER_TS,
      'src/server.ts': server('./counter.js'),
    });
    expectTsLocations(r);
  });

  it('compiled dist/ with .js.map files: locations in the .ts sources', { timeout: 120_000 }, async () => {
    const files: Record<string, string> = {
      'package.json': JSON.stringify({ name: 'dist', scripts: { start: 'node dist/server.js' } }),
      'src/counter.ts': COUNTER_TS,
      'src/server.ts': server('./counter'),
    };
    for (const name of ['counter', 'server']) {
      const out = transformSync(files[`src/${name}.ts`]!, { loader: 'ts', format: 'cjs', sourcemap: 'external', sourcefile: `../src/${name}.ts` });
      files[`dist/${name}.js`] = `${out.code}//# sourceMappingURL=${name}.js.map\n`;
      files[`dist/${name}.js.map`] = out.map;
    }
    const r = await analyze('dist', files);
    expectTsLocations(r);
  });
});
