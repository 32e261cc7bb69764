/**
 * Edges named by the operator, not by the generator (DESIGN.md §8, issue 13): the generated
 * tally project (`--edges 1`), its cloud and two edges started on one host with
 * EDGSTR_NODE_ID=pi-kitchen and pi-garage (no `--edge i`, so no generated edge file and no
 * claimed key range). 15 concurrent creates at each edge must keep all 30 rows everywhere and
 * the replicas converge; a third edge with a node id that is already live is refused by the
 * cloud with a clear log line, and does not generate keys. A redeploy (the deployed app's code
 * changed) restarts an edge on the new code with its replicated data.
 * Before the cloud granted ranges, both edges fell back to range 1 and handed out the same ids.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHealth } from '../../src/util/health-client.js';
import { GeneratedProcesses, generateTally, json } from './start-generated.js';

const scratch = mkdtempSync(join(tmpdir(), 'edgstr-operator-edges-'));
const out = join(scratch, 'out');
const procs = new GeneratedProcesses();
let cloudUrl = '';
const edges: Record<string, string> = {};
const PER_EDGE = 15;

type Note = { id: number; text: string };
const notesOf = async (base: string): Promise<Note[]> => (await json(`${base}/notes`)).body as Note[];

beforeAll(async () => {
  const tally = await generateTally(scratch, out, 'node', 1);
  const cloudPort = tally.cloudPort;
  cloudUrl = tally.cloudUrl;
  procs.start('cloud', join(out, 'cloud'), { PORT: String(cloudPort), TALLY_ROLE: 'cloud' });
  await procs.waitFor('the cloud', async () => ((await json(`${cloudUrl}/__edgstr/health`)).status === 200 ? true : undefined), 30_000);
  for (const name of ['pi-kitchen', 'pi-garage']) {
    edges[name] = await procs.startEdge(name, join(out, 'edge'), { EDGSTR_NODE_ID: name, EDGSTR_DATA_DIR: join(scratch, name), TALLY_ROLE: 'edge' });
  }
}, 480_000);

afterAll(() => {
  procs.stopAll();
  rmSync(scratch, { recursive: true, force: true });
});

describe('edges named by the operator on one host', () => {
  it('get distinct key ranges from the cloud, kept in their data dirs', async () => {
    const ranges = await Promise.all(Object.values(edges).map((url) => procs.waitFor('a granted range', async () => (await fetchHealth(url))?.rangeIndex ?? undefined, 10_000)));
    expect(new Set(ranges).size).toBe(2);
    // Slot 1 is reserved for the generated edge-1.
    expect(ranges).not.toContain(1);
    const saved = JSON.parse(readFileSync(join(scratch, 'pi-kitchen', 'key-range.json'), 'utf8')) as { nodeId: string; rangeIndex: number };
    expect(saved).toEqual({ nodeId: 'pi-kitchen', rangeIndex: ranges[0] });
  });

  it(`keep every row of ${PER_EDGE} concurrent creates at each edge, and converge`, async () => {
    const creates = Object.entries(edges).flatMap(([name, url]) =>
      Array.from({ length: PER_EDGE }, (_, i) => json(`${url}/notes`, { method: 'POST', body: { text: `${name} #${i}` } })),
    );
    const answers = await Promise.all(creates);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const ids = answers.map((a) => (a.body as Note).id);
    expect(new Set(ids).size).toBe(2 * PER_EDGE);
    const wanted = answers.map((a) => (a.body as Note).text).sort();
    const everywhere = [cloudUrl, ...Object.values(edges)];
    for (const base of everywhere) {
      await procs.waitFor(`all ${2 * PER_EDGE} notes at ${base}`, async () => {
        const texts = (await notesOf(base)).map((n) => n.text);
        return wanted.every((w) => texts.includes(w)) ? true : undefined;
      }, 5_000);
    }
    const tables = await Promise.all(everywhere.map(notesOf));
    for (const t of tables.slice(1)) expect(t).toEqual(tables[0]);
    // No create overwrote another: each id holds the text it was created with.
    for (const a of answers) expect(tables[0]!.find((n) => n.id === (a.body as Note).id)?.text).toBe((a.body as Note).text);
    const heads = await procs.waitFor('identical documents', async () => {
      const docs = await Promise.all(everywhere.map(async (u) => JSON.stringify((await fetchHealth(u, { docs: true }))?.docs)));
      return docs.every((d) => d === docs[0]) ? docs : undefined;
    }, 5_000);
    expect(heads).toHaveLength(3);
  });

  it('refuses a second live edge with a node id the cloud already serves, and it forwards inserts', async () => {
    const twin = await procs.startEdge('pi-kitchen-twin', join(out, 'edge'), { EDGSTR_NODE_ID: 'pi-kitchen', EDGSTR_DATA_DIR: join(scratch, 'twin'), TALLY_ROLE: 'edge' });
    await procs.waitFor('the refusal at the cloud', async () => (/refused a second sync peer pi-kitchen: node id "pi-kitchen" is already connected/.test(procs.log('cloud')) ? true : undefined), 10_000);
    await procs.waitFor('the refusal at the twin', async () => (/the cloud refused this edge: node id "pi-kitchen" is already connected/.test(procs.log('pi-kitchen-twin')) ? true : undefined), 10_000);
    expect((await fetchHealth(twin))?.rangeIndex).toBeNull();
    const created = await json(`${twin}/notes`, { method: 'POST', body: { text: 'at the twin' } });
    expect(created.status).toBe(201);
    // Served by the cloud (the twin has no range): the cloud's key range is slot 0.
    expect((created.body as Note).id % 2 ** 30).toBeLessThan(2 ** 24);
  });
});

describe('a redeploy', () => {
  it('restarts an edge on the changed app code, keeping its replicated data', async () => {
    const before = await notesOf(edges['pi-garage']!);
    expect(before.length).toBeGreaterThanOrEqual(2 * PER_EDGE);
    await procs.stopAndWait('pi-garage');
    // What rsync does to the deployed tree when the app's code changed.
    const server = join(out, 'edge', 'app', 'src', 'server.js');
    const code = readFileSync(server, 'utf8');
    const changed = code.replace("app.get('/notes', (req, res) => res.json(store.listNotes()));", "app.get('/notes', (req, res) => res.set('x-tally-version', '2').json(store.listNotes()));");
    expect(changed).not.toBe(code);
    writeFileSync(server, changed);
    const url = await procs.startEdge('pi-garage-2', join(out, 'edge'), { EDGSTR_NODE_ID: 'pi-garage', EDGSTR_DATA_DIR: join(scratch, 'pi-garage'), TALLY_ROLE: 'edge' });
    expect(procs.log('pi-garage-2')).toContain('the deployed app changed');
    const res = await fetch(`${url}/notes`);
    expect(res.headers.get('x-edgstr-served')).toBe('edge');
    expect(res.headers.get('x-tally-version')).toBe('2');
    const after = (await res.json()) as Note[];
    for (const n of before) expect(after).toContainEqual(n);
    // Same node id, same range: it kept its grant.
    expect(JSON.parse(readFileSync(join(scratch, 'pi-garage', 'key-range.json'), 'utf8'))).toMatchObject({ nodeId: 'pi-garage' });
  });
});
