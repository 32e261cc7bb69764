/**
 * Concurrent local requests on a generated edge (issue 14): services that write no state run
 * together without a transaction, services that write run alone in one (a readers-writer lock
 * in the generated server.js). The tally fixture's cloud and an edge under 4 reading clients
 * (GET /notes, /log, /visits) and 2 writing ones: POST /notes (committed at the edge) and
 * POST /imports with failOn=edge, which writes a note, a log line and a visit at the edge and
 * then throws, so the edge rolls it back and the cloud answers (it writes it there, under its id).
 * Checked: no read ever observed a rolled-back value (an import's note or log line under another
 * id than the cloud's, or the visit counter going down for one client), every committed note is
 * at the edge and at the cloud, and the visits add up on both.
 * Run in-process (the default) and with EDGSTR_DISPATCH=loopback; then, as a control that the
 * test can fail, with the writers' lock turned into a readers' lock in the generated server.js
 * and 5 ms between a local run's answer and its commit or rollback (so a rolled-back change is
 * there long enough to be read): reads must then see rolled-back values.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GeneratedProcesses, generateTally, json } from './start-generated.js';

const scratch = mkdtempSync(join(tmpdir(), 'edgstr-concurrent-isolation-'));
const out = join(scratch, 'out');
const procs = new GeneratedProcesses();
let cloudUrl = '';
const LOAD_MS = 2_500;
const READERS = 4;
const WRITERS = 2;
// Every request is pinned to the edge, so placement probes do not send some to the cloud.
const PIN = { 'x-edgstr-place': 'edge' };

type Note = { id: number; text: string };
interface Outcome {
  /** text -> id of every committed note (answered 201 by the edge or, for imports, the cloud). */
  committed: Map<string, number>;
  /** Import texts whose local run failed, with the id the cloud gave them. */
  imported: Map<string, number>;
  /** Every (text, id) a reader saw in a note list or in the log. */
  seen: { text: string; id: number; where: string }[];
  /** A client's reads of the visit counter went down (a rolled-back increment was seen). */
  visitDrops: string[];
  served: Record<string, number>;
}

async function call(url: string, method: string, body?: unknown): Promise<{ status: number; body: unknown; served: string }> {
  const res = await fetch(url, { method, headers: { ...PIN, ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  const text = await res.text();
  return { status: res.status, body: text.startsWith('{') || text.startsWith('[') ? JSON.parse(text) : text, served: res.headers.get('x-edgstr-served') ?? '?' };
}

async function load(edge: string, tag: string): Promise<Outcome> {
  const o: Outcome = { committed: new Map(), imported: new Map(), seen: [], visitDrops: [], served: {} };
  const until = Date.now() + LOAD_MS;
  const writer = async (w: number): Promise<void> => {
    for (let i = 0; Date.now() < until; i++) {
      const failing = i % 2 === 1;
      const text = `${tag}-${failing ? 'import' : 'note'}-${w}-${i}`;
      const a = failing ? await call(`${edge}/imports`, 'POST', { text, failOn: 'edge' }) : await call(`${edge}/notes`, 'POST', { text });
      expect(a.status, `${text}: ${JSON.stringify(a.body)}`).toBe(201);
      const key = `${failing ? 'import' : 'note'} ${a.served}`;
      o.served[key] = (o.served[key] ?? 0) + 1;
      const id = (a.body as Note).id;
      o.committed.set(text, id);
      if (failing && a.served === 'fallback') o.imported.set(text, id);
    }
  };
  const reader = async (r: number): Promise<void> => {
    let visits = -1;
    for (let i = 0; Date.now() < until; i++) {
      const kind = i % 3;
      if (kind === 0) {
        for (const n of (await call(`${edge}/notes`, 'GET')).body as Note[]) o.seen.push({ text: n.text, id: n.id, where: 'GET /notes' });
      } else if (kind === 1) {
        const log = String((await call(`${edge}/log`, 'GET')).body);
        for (const line of log.split('\n')) {
          const m = /^(\d+) (.*)$/.exec(line);
          if (m) o.seen.push({ text: m[2]!, id: Number(m[1]), where: 'GET /log' });
        }
      } else {
        const v = ((await call(`${edge}/visits`, 'GET')).body as { visits: number }).visits;
        if (v < visits) o.visitDrops.push(`reader ${r}: ${visits} -> ${v}`);
        visits = v;
      }
    }
  };
  await Promise.all([...Array.from({ length: WRITERS }, (_, w) => writer(w)), ...Array.from({ length: READERS }, (_, r) => reader(r))]);
  return o;
}

/** Reads that showed an import's note or log line under an id that is not the cloud's. */
function rolledBackSeen(o: Outcome): string[] {
  return o.seen.filter((s) => o.imported.has(s.text) && o.imported.get(s.text) !== s.id).map((s) => `${s.where}: ${s.id} ${s.text}`);
}

const visitsOf = async (base: string): Promise<number> => ((await json(`${base}/visits`)).body as { visits: number }).visits;
const notesOf = async (base: string): Promise<Note[]> => (await json(`${base}/notes`)).body as Note[];

/** Starts a fresh edge, runs the load, and waits until the cloud holds every committed note. */
async function phase(name: string, env: Record<string, string>): Promise<{ o: Outcome; edge: string; visitsBefore: number }> {
  const visitsBefore = await visitsOf(cloudUrl);
  const edge = await procs.startEdge(name, join(out, 'edge'), { EDGSTR_NODE_ID: name, EDGSTR_DATA_DIR: join(scratch, name), TALLY_ROLE: 'edge', ...env });
  await procs.waitFor(`${name} ready`, async () => ((await fetch(`${edge}/__edgstr/health?ready`)).status === 200 ? true : undefined), 15_000);
  const o = await load(edge, name);
  for (const base of [edge, cloudUrl]) {
    await procs.waitFor(`every committed note at ${base}`, async () => {
      const have = new Map((await notesOf(base)).map((n) => [n.text, n.id]));
      return [...o.committed].every(([text, id]) => have.get(text) === id) ? true : undefined;
    }, 10_000);
  }
  return { o, edge, visitsBefore };
}

beforeAll(async () => {
  const tally = await generateTally(scratch, out, 'node', 1);
  cloudUrl = tally.cloudUrl;
  procs.start('cloud', join(out, 'cloud'), { PORT: String(tally.cloudPort), TALLY_ROLE: 'cloud' });
  await procs.waitFor('the cloud', async () => ((await json(`${cloudUrl}/__edgstr/health`)).status === 200 ? true : undefined), 30_000);
}, 480_000);

afterAll(() => {
  procs.stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

describe('concurrent reads and writes on a generated edge', () => {
  for (const [name, env] of [['in-process', {}], ['loopback', { EDGSTR_DISPATCH: 'loopback' }]] as const) {
    it(`never show a rolled-back value and keep every committed write (${name} dispatch)`, async () => {
      const { o, edge, visitsBefore } = await phase(`iso-${name}`, env);
      expect(o.imported.size, JSON.stringify(o.served)).toBeGreaterThan(5);
      expect(o.committed.size - o.imported.size).toBeGreaterThan(5);
      expect(o.served['note edge'], JSON.stringify(o.served)).toBe(o.committed.size - o.imported.size);
      expect(rolledBackSeen(o)).toEqual([]);
      expect(o.visitDrops).toEqual([]);
      for (const base of [edge, cloudUrl]) {
        const notes = await notesOf(base);
        // Each import is there once, under the cloud's id: the edge's attempt left nothing.
        for (const [text, id] of o.imported) expect(notes.filter((n) => n.text === text).map((n) => n.id), `${base} ${text}`).toEqual([id]);
        const log = String((await json(`${base}/log`)).body);
        for (const text of o.imported.keys()) expect(log.split('\n').filter((l) => l.endsWith(` ${text}`)), `${base} log ${text}`).toHaveLength(1);
      }
      // One visit per committed request (the rolled-back attempts' increments are gone), on both.
      await procs.waitFor('visits to converge', async () => ((await visitsOf(edge)) === (await visitsOf(cloudUrl)) ? true : undefined), 10_000);
      expect(await visitsOf(cloudUrl)).toBe(visitsBefore + o.committed.size);
      await procs.stopAndWait(`iso-${name}`);
    }, 120_000);
  }

  it('control: with writers holding a readers lock, reads do see rolled-back values', async () => {
    const server = join(out, 'edge', 'server.js');
    const source = readFileSync(server, 'utf8');
    const broken = source
      .replace('localLock.write(() => serveLocally(', 'localLock.read(() => serveLocally(')
      .replace('const result = await route.run(params, app);', 'const result = await route.run(params, app);\n    await new Promise((r) => setTimeout(r, 5));');
    // the readers' path, the replaced writers' path, and the placement's shadow local run
    expect(broken.match(/localLock\.read\(/g)).toHaveLength(3);
    expect(broken).toContain('setTimeout(r, 5)');
    writeFileSync(server, broken);
    try {
      const { o } = await phase('iso-control', {});
      expect(o.imported.size).toBeGreaterThan(5);
      expect(rolledBackSeen(o).length + o.visitDrops.length, `${o.imported.size} failed imports, ${o.seen.length} values read`).toBeGreaterThan(0);
    } finally {
      writeFileSync(server, source);
      await procs.stopAndWait('iso-control');
    }
  }, 120_000);
});
