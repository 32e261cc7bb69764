// Subject apps medchem, mnist, objdetect: each runs from a fresh temporary copy (so tests that
// use the checked-out subjects are not disturbed), `npm run reset` returns it to its initial
// state, its regression client passes twice in a row against one running server, the client's
// requests cover every expected.json service (with a success among them), and every handler
// range in expected.json lies inside its file.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runClient, startSubject } from '../helpers/index.js';
import { repoRoot } from '../helpers/subjects.js';
const APPS = ['medchem', 'mnist', 'objdetect'] as const;

interface StateSets {
  tables: string[];
  files: Array<string | { path: string; glob?: string }>;
  globals: string[];
}
interface ExpectedService {
  service: string;
  method: string;
  route: string;
  handler: { file: string; lines: [number, number] };
  reads: StateSets;
  writes: StateSets;
  stateful: boolean;
}
interface Expected {
  app: string;
  not_state: Array<{ name: string; file: string; line: number }>;
  services: ExpectedService[];
}

function readExpected(app: string): Expected {
  return JSON.parse(readFileSync(join(repoRoot, 'subjects', app, 'expected.json'), 'utf8')) as Expected;
}

/** Route template -> RegExp over a path; static segments make a template more specific. */
function compileTemplate(route: string): { re: RegExp; statics: number } {
  const segs = route.split('/').filter(Boolean);
  const re = segs.map((s) => (s.startsWith(':') ? '[^/]+' : s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))).join('/');
  return { re: new RegExp(`^/${re}$`), statics: segs.filter((s) => !s.startsWith(':')).length };
}

interface Coverage {
  requests: Map<string, number>;
  successes: Map<string, number>;
  unmatched: string[];
}

/** Assigns each `METHOD /path?query -> STATUS` line to its most specific expected service. */
function coverage(lines: string[], services: ExpectedService[]): Coverage {
  const compiled = services.map((s) => ({ s, ...compileTemplate(s.route) }));
  const requests = new Map<string, number>(services.map((s) => [s.service, 0]));
  const successes = new Map<string, number>(services.map((s) => [s.service, 0]));
  const unmatched: string[] = [];
  for (const line of lines) {
    const m = /^([A-Z]+) (\/\S*) -> (\d{3})$/.exec(line);
    const path = m?.[2]?.split('?')[0];
    const best = m && path !== undefined
      ? compiled.filter((c) => c.s.method === m[1] && c.re.test(path)).sort((a, b) => b.statics - a.statics)[0]
      : undefined;
    if (!m || !best) {
      unmatched.push(line);
      continue;
    }
    requests.set(best.s.service, (requests.get(best.s.service) ?? 0) + 1);
    if (m[3]!.startsWith('2')) successes.set(best.s.service, (successes.get(best.s.service) ?? 0) + 1);
  }
  return { requests, successes, unmatched };
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

describe.each(APPS)('subject %s', (app) => {
  it('has a well-formed expected.json whose handler ranges exist', () => {
    const expected = readExpected(app);
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'subjects', app, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node src/server.js');
    expect(expected.app).toBe(app);
    expect(expected.services.length).toBeGreaterThanOrEqual(7);
    expect(new Set(expected.services.map((s) => s.service)).size).toBe(expected.services.length);
    for (const s of expected.services) {
      expect(s.service).toBe(`${s.method} ${s.route}`);
      const writes = s.writes.tables.length + s.writes.files.length + s.writes.globals.length;
      expect(s.stateful, `${s.service}: stateful iff it writes`).toBe(writes > 0);
      const lines = readFileSync(join(repoRoot, 'subjects', app, s.handler.file), 'utf8').split('\n');
      const [start, end] = s.handler.lines;
      expect(start, s.service).toBeGreaterThanOrEqual(1);
      expect(end, s.service).toBeGreaterThanOrEqual(start);
      expect(end, s.service).toBeLessThanOrEqual(lines.length);
      expect(lines[start - 1], `${s.service} starts at a function`).toMatch(/function |=>/);
      if (end > start) expect(lines[end - 1]!.trim(), `${s.service} ends where the handler closes`).toMatch(/^}\)?;?$/);
    }
    for (const ns of expected.not_state) {
      const lines = readFileSync(join(repoRoot, 'subjects', app, ns.file), 'utf8').split('\n');
      expect(ns.line, ns.name).toBeLessThanOrEqual(lines.length);
    }
  });

  it('resets, and its client passes twice against one server, covering every service', async () => {
    const expected = readExpected(app);
    const root = mkdtempSync(join(tmpdir(), `edgstr-${app}-`));
    cleanups.push(async () => rmSync(root, { recursive: true, force: true }));
    // A private copy: startSubject runs `npm run reset` in it, then `npm start`.
    const server = await startSubject(app, { copyTo: root, timeoutMs: 20_000 });
    cleanups.push(() => server.stop());
    expect(existsSync(join(server.dir, 'data')), 'state is created at start-up').toBe(true);

    for (const round of [1, 2]) {
      const client = await runClient(app, server.url, 40_000);
      expect(client.code, `client round ${round} failed: ${client.stderr}\nserver: ${server.output()}`).toBe(0);
      const lines = client.stdout.split('\n').filter((l) => l !== '');
      const { requests, successes, unmatched } = coverage(lines, expected.services);
      expect(unmatched, 'every stdout line is a request of an expected service').toEqual([]);
      expect([...requests].filter(([, n]) => n < 2).map(([id]) => id), 'each service requested twice per run').toEqual([]);
      expect([...successes].filter(([, n]) => n < 1).map(([id]) => id), 'each service answered 2xx per run').toEqual([]);
    }

    // stop() runs `npm run reset` again (and throws if it fails).
    await server.stop();
    expect(existsSync(join(server.dir, 'data')), 'reset removes the runtime state').toBe(false);
  });
});
