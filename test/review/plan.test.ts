import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readAnalysis } from '../../src/model/analysis.js';
import { selectStatements, searchPatterns } from '../../src/review/frames.js';
import { loadReview } from '../../src/review/load.js';
import { buildReviewPlan } from '../../src/review/plan.js';
import type { ServicePlan } from '../../src/review/types.js';
import { seatsAnalysis, seatsInput, seatsWorkspace } from './helpers.js';

function service(id: string, plan = buildReviewPlan(seatsInput())): ServicePlan {
  const s = plan.services.find((x) => x.id === id);
  if (!s) throw new Error(`no ${id} in plan`);
  return s;
}

describe('buildReviewPlan', () => {
  it('keeps analysis order and every service', () => {
    const plan = buildReviewPlan(seatsInput());
    expect(plan.services.map((s) => s.id)).toEqual([
      'GET /seats', 'POST /seats/:id/book', 'GET /visits', 'POST /messages', 'GET /weather', 'GET /about', 'POST /login', 'GET /health',
    ]);
    expect(plan.warnings).toEqual([]);
  });

  it('read-then-write table: marks both SQL statements and warns about the last seat', () => {
    const s = service('POST /seats/:id/book');
    expect(s.items).toHaveLength(1);
    const seats = s.items[0]!;
    expect(seats).toMatchObject({ kind: 'table', name: 'seats', reads: true, writes: true, framesAreFallback: false });
    expect(seats.frames.flatMap((f) => f.lines)).toEqual([19, 21]);
    // Context line 20 is shown but not marked as a statement touching the table.
    expect(seats.frames[0]!.text).toMatch(/> 19 \|/);
    expect(seats.frames[0]!.text).toMatch(/^ {2}20 \|/m);
    expect(seats.note).toMatch(/both take the last seat/);
  });

  it('counter global: shows the increment and says increments add up', () => {
    const v = service('GET /visits').items[0]!;
    expect(v).toMatchObject({ kind: 'global', name: 'visits', reads: true, writes: true });
    expect(v.frames.flatMap((f) => f.lines)).toContain(26);
    expect(v.note).toMatch(/increments from all edges add up/);
  });

  it('read-only table: stale-data note and the whole table in the exposure list', () => {
    const s = service('GET /seats');
    expect(s.items[0]!.note).toMatch(/sync delay old/);
    expect(s.exposure).toEqual(['the whole table seats is copied to every edge, including rows other clients created']);
    const counted = service('GET /seats', buildReviewPlan(seatsInput({ snapshot: { tableRows: new Map([['seats', 3]]) } })));
    expect(counted.exposure[0]).toMatch(/the whole table seats \(3 rows at analysis time\) is copied to every edge/);
  });

  it('insert-only table: inserts survive, disjoint keys', () => {
    const m = service('POST /messages').items[0]!;
    expect(m).toMatchObject({ name: 'messages', reads: false, writes: true });
    expect(m.frames.flatMap((f) => f.lines)).toEqual([32]);
    expect(m.note).toMatch(/inserts from different edges all survive; keys are allocated in disjoint ranges/);
  });

  it('non-replicable service: reason shown, nothing listed as leaving the cloud', () => {
    const w = service('GET /weather');
    expect(w.replicable).toBe(false);
    expect(w.reason).toMatch(/another host/);
    expect(w.exposure).toEqual([]);
    expect(w.notes.join(' ')).toMatch(/cannot be replicated: .*always forwarded to the cloud/);
  });

  it('file read and map global: their own statements and notes', () => {
    const about = service('GET /about').items[0]!;
    expect(about).toMatchObject({ kind: 'file', name: 'data/about.txt' });
    expect(about.frames.flatMap((f) => f.lines)).toEqual([42]);
    const sessions = service('POST /login').items[0]!;
    expect(sessions.frames.flatMap((f) => f.lines)).toEqual([10, 48]);
    expect(sessions.note).toMatch(/entries added at different edges are all kept/);
  });

  it('stateless service: no items, says the edge answers as the cloud', () => {
    const h = service('GET /health');
    expect(h.items).toEqual([]);
    expect(h.notes).toEqual(['touches no state: an edge answers exactly as the cloud would.']);
  });

  it('falls back to the service statements when no line names the state', () => {
    const input = seatsInput();
    input.analysis.services[2]!.state.reads.globals = ['Counter#hits'];
    input.analysis.services[2]!.state.writes.globals = ['Counter#hits'];
    const item = buildReviewPlan(input).services[2]!.items[0]!;
    expect(item.framesAreFallback).toBe(true);
    expect(item.frames.flatMap((f) => f.lines)).toEqual([9, 26, 27]);
  });

  it('warns about missing source and carries previous decisions', () => {
    const plan = buildReviewPlan(seatsInput({ sources: new Map(), previous: new Map([['GET /seats', true]]) }));
    expect(plan.warnings).toEqual([expect.stringMatching(/^source src\/server\.js .* not found under app/)]);
    expect(plan.services[0]!.previous).toBe(true);
    expect(plan.services[1]!.previous).toBeNull();
    expect(plan.services[0]!.items[0]!.frames).toEqual([]);
  });
});

describe('state matching', () => {
  it('finds concrete file names built by code', () => {
    const sources = new Map([['a.js', "const p = path.join(dir, 'log', id + '.txt');\nfs.writeFileSync(p, body);\nother();"]]);
    const lines = [1, 2, 3].map((line) => ({ file: 'a.js', line }));
    expect(selectStatements('file', 'data/log/12.txt', lines, sources).lines.map((l) => l.line)).toEqual([1]);
    expect(searchPatterns('table', 'main."notes"')[0]!.test('SELECT * FROM notes')).toBe(true);
    expect(searchPatterns('global', 'BookService#cache')[0]!.test('this.cache.set(k, v)')).toBe(true);
    expect(searchPatterns('global', 'visits')[0]!.test('const visitsTotal = 1')).toBe(false);
  });
});

describe('loadReview', () => {
  it('reads sources via app.dir relative to the work directory and counts snapshot rows', () => {
    const ws = seatsWorkspace();
    try {
      const loaded = loadReview(ws.workdir);
      expect(loaded.input.sources.has('src/server.js')).toBe(true);
      expect(loaded.input.snapshot.tableRows.get('seats')).toBe(3);
      expect(loaded.input.snapshot.tableRows.get('messages')).toBe(0);
      expect(loaded.previousDecisions).toBeNull();
    } finally {
      rmSync(ws.root, { recursive: true, force: true });
    }
  });
});

describe('directories replicated as a whole', () => {
  it('says when generate will replicate a whole directory rather than the entries the recording touched', () => {
    const analysis = seatsAnalysis();
    const about = analysis.services.find((x) => x.id === 'GET /about')!;
    about.state.reads.files = ['uploads/1', 'uploads/5', 'uploads/5/spec.md', 'data/about.txt'];
    const plan = buildReviewPlan(seatsInput({ analysis }));
    const exposure = service('GET /about', plan).exposure.join('\n');
    expect(exposure).toContain('the whole directory uploads/ is replicated, not only what the recording touched (uploads/1, uploads/5, uploads/5/spec.md)');
    expect(exposure).not.toContain('directory data/');
    // One entry of a kind is not a collection: nothing is widened.
    about.state.reads.files = ['uploads/1', 'uploads/1/a.txt', 'data/about.txt'];
    expect(service('GET /about', buildReviewPlan(seatsInput({ analysis }))).exposure.join('\n')).not.toContain('whole directory');
  });
});

describe('statements in helpers the service calls', () => {
  const dir = fileURLToPath(new URL('../fixtures/review/helpers/', import.meta.url));
  const plan = buildReviewPlan({
    analysis: readAnalysis(join(dir, 'workdir', 'analysis.json')),
    sources: new Map(['src/server.js', 'src/db.js', 'src/catalog.js'].map((f) => [f, readFileSync(join(dir, 'app', f), 'utf8')])),
    snapshot: { tableRows: new Map() },
    previous: null,
  });
  const at = (id: string, name: string): string[] => {
    const item = plan.services.find((s) => s.id === id)!.items.find((i) => i.name === name)!;
    expect(item.framesAreFallback).toBe(false);
    return item.frames.flatMap((f) => f.lines.map((l) => `${f.file}:${l} via ${f.via ?? '-'}`));
  };

  it('follows a call and a constant two levels deep, not object keys that share a helper name', () => {
    // `{ count: books.length }` must not lead to db.js's count(), whose query also reads books.
    expect(at('GET /books', 'books')).toEqual(['src/db.js:8 via LIST_SQL']);
    expect(at('GET /books', 'authors')).toEqual(['src/db.js:8 via LIST_SQL']);
  });

  it('finds a prepared statement inside an object of queries, not the whole object', () => {
    expect(at('GET /books/:id', 'books')).toEqual(['src/db.js:12 via bookById']);
    expect(at('POST /books/:id/reviews', 'reviews')).toEqual(['src/db.js:13 via insertReview']);
    expect(plan.services[2]!.items.find((i) => i.name === 'reviews')!.note).toMatch(/^inserts from different edges all survive/);
  });

  it('finds Class#field state in the methods the service calls, and tells a cache invalidation apart', () => {
    expect(at('GET /books/:id', 'Catalog#cache')).toEqual(['src/catalog.js:10 via find', 'src/catalog.js:12 via find']);
    expect(at('POST /books/:id/reviews', 'Catalog#cache')).toEqual(['src/catalog.js:17 via forget']);
    expect(plan.services[2]!.items.find((i) => i.name === 'Catalog#cache')!.note).toMatch(/^an entry removed at one edge is removed at the others only after they sync.*stale cache entry/);
  });
});
