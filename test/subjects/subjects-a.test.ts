// Subject apps donutshop, recipebook, realty, booktext: each runs from a fresh temporary copy,
// its regression client passes twice in a row, the client's requests cover every service of
// expected.json, and every expected handler range points at a route handler in the source.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runClient, startSubject } from '../helpers/index.js';
import { repoRoot } from '../helpers/subjects.js';
const APPS = ['donutshop', 'recipebook', 'realty', 'booktext'] as const;

interface ExpectedService {
  service: string;
  method: string;
  route: string;
  handler: { file: string; lines: [number, number] };
}
interface Expected {
  app: string;
  services: ExpectedService[];
}

function readExpected(app: string): Expected {
  return JSON.parse(readFileSync(join(repoRoot, 'subjects', app, 'expected.json'), 'utf8')) as Expected;
}

/** The route template as a RegExp over a request path; static segments count for specificity. */
function compileTemplate(route: string): { re: RegExp; statics: number } {
  const segs = route.split('/').filter(Boolean);
  const re = segs.map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return { re: new RegExp(`^/${re}/?$`), statics: segs.filter((s) => !s.startsWith(':')).length };
}

/** Assigns each `METHOD /path?query -> STATUS` line to its most specific expected service. */
function countByService(lines: string[], services: ExpectedService[]): { counts: Map<string, number>; unmatched: string[] } {
  const compiled = services.map((s) => ({ s, ...compileTemplate(s.route) }));
  const counts = new Map<string, number>(services.map((s) => [s.service, 0]));
  const unmatched: string[] = [];
  for (const line of lines) {
    const m = /^([A-Z]+) (\S+) -> (\d{3})$/.exec(line);
    if (!m) {
      unmatched.push(line);
      continue;
    }
    const path = m[2]!.split('?')[0]!;
    const hits = compiled.filter((c) => c.s.method === m[1] && c.re.test(path)).sort((a, b) => b.statics - a.statics);
    const best = hits[0];
    if (best) counts.set(best.s.service, (counts.get(best.s.service) ?? 0) + 1);
    else unmatched.push(line);
  }
  return { counts, unmatched };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe.each(APPS)('subject %s', (app) => {
  it('expected.json handler ranges point at route handlers', () => {
    const expected = readExpected(app);
    expect(expected.app).toBe(app);
    expect(expected.services.length).toBeGreaterThan(5);
    for (const s of expected.services) {
      expect(s.service).toBe(`${s.method} ${s.route}`);
      const lines = readFileSync(join(repoRoot, 'subjects', app, s.handler.file), 'utf8').split('\n');
      const [start, end] = s.handler.lines;
      expect(start, s.service).toBeGreaterThanOrEqual(1);
      expect(end, s.service).toBeGreaterThan(start);
      expect(end, s.service).toBeLessThanOrEqual(lines.length);
      expect(lines[start - 1], `${s.service} starts at its route declaration`).toContain(`.${s.method.toLowerCase()}(`);
      expect(lines[end - 1]!.trim(), `${s.service} ends where the handler closes`).toMatch(/^}\)?;?$/);
    }
  });

  it('starts from a reset copy and its client passes twice, covering every service', async () => {
    const expected = readExpected(app);
    const root = mkdtempSync(join(tmpdir(), `edgstr-${app}-`));
    cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
    // A private copy, reset before it starts (scripts/reset.js through `npm run reset`).
    const server = await startSubject(app, { copyTo: root, timeoutMs: 20_000 });
    cleanups.push(() => server.stop());

    const lines: string[] = [];
    for (const round of [1, 2]) {
      const run = await runClient(app, server.url, 30_000);
      expect(run.code, `client round ${round} failed: ${run.stderr}\nserver: ${server.output()}`).toBe(0);
      lines.push(...run.stdout.split('\n').filter((l) => l !== ''));
    }

    const { counts, unmatched } = countByService(lines, expected.services);
    expect(unmatched, 'every printed line is a request of an expected service').toEqual([]);
    const underTwice = [...counts].filter(([, n]) => n < 4).map(([id, n]) => `${id} (${n})`);
    expect(underTwice, 'each service is requested at least twice per client run').toEqual([]);
  });
});
