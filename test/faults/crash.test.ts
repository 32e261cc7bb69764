/**
 * Faults of single replicas of the generated ledger app (test/fixtures/faults/ledger): the cloud
 * down for a while, kill -9 of an edge under write load, kill -9 of the cloud under write load.
 * DESIGN.md §1 (Failure, Synchronization) and §4 (Sync): an edge keeps serving accepted services
 * offline, every acknowledged write survives a crash and reaches every replica, non-replicated
 * routes answer 502 naming the cloud while it is unreachable.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLedger, converged, makeScratch, removeScratch, startCluster, type Cluster } from './harness.js';
import { hits, items, request, sleep, waitUntil, type Item } from './http.js';
import { fileTextsAllowed, writeLoad } from './load.js';

let out = '';
const scratch = makeScratch();
let cluster: Cluster | null = null;

// One cluster for the three cases, in order (each restarts what it broke): starting a fresh
// cloud + 2 edges costs ~20 s on a loaded 2-core machine.
beforeAll(async () => {
  out = await buildLedger();
  // Compaction at a low threshold: the faults below also hit documents changing epoch under them.
  cluster = await startCluster(out, scratch, 2, { cloudEnv: { EDGSTR_COMPACT_AFTER_OPS: '200' } });
}, 300_000);

afterAll(async () => {
  await cluster?.destroy();
  removeScratch(scratch);
});

/** Every (id, name) pair is in the replica's table. */
async function holds(base: string, wanted: Item[]): Promise<true | string> {
  const have = new Map((await items(base)).map((i) => [i.id, i.name]));
  const missing = wanted.filter((w) => have.get(w.id) !== w.name);
  return missing.length === 0 ? true : `${missing.length} of ${wanted.length} missing at ${base}, e.g. ${JSON.stringify(missing[0])}`;
}

describe('faults of one replica', () => {
  it('cloud down: edges keep serving and acknowledging; 502 naming the cloud for forwarded routes; all catches up after the restart', async () => {
    const { cloud, edges } = cluster!;
    const [e1, e2] = edges as [typeof edges[0], typeof edges[0]];
    await cloud.stop();
    await waitUntil('the cloud to be gone', async () => request(`${cloud.url}/__edgstr/health`, 'GET', undefined, 500).then(() => 'still up', () => true), 10_000);

    const created: Item[] = [];
    for (const [edge, name] of [[e1, 'offline-a'], [e1, 'offline-b'], [e2, 'offline-c']] as const) {
      const answer = await request(`${edge.url}/items`, 'POST', { name, qty: 1 });
      expect(answer.status, `${edge.name} POST /items while the cloud is down`).toBe(201);
      created.push(answer.body as Item);
    }
    expect((await request(`${e1.url}/items/2`, 'PUT', { qty: 42 })).status).toBe(200);
    for (const edge of [e1, e1, e2]) expect((await request(`${edge.url}/hits`, 'POST')).status).toBe(200);
    expect((await request(`${e1.url}/files/offline-1`, 'PUT', { text: 'written at edge 1 offline' })).status).toBe(200);
    expect((await request(`${e2.url}/files/offline-2`, 'PUT', { text: 'written at edge 2 offline' })).status).toBe(200);
    // Reads of accepted services answer from local state.
    expect(await holds(e1.url, created.slice(0, 2))).toBe(true);
    expect((await request(`${e2.url}/files/offline-2`)).body).toBe('written at edge 2 offline');

    const forwarded = await request(`${e1.url}/origin`);
    expect(forwarded.status).toBe(502);
    expect(forwarded.body).toMatchObject({ cloud: expect.stringContaining(`127.0.0.1:${cloud.port}`) as unknown });
    expect(JSON.stringify(forwarded.body)).toMatch(/unreachable/);

    await cloud.start(); // same app copy, same data dir, same port
    const all = [cloud, e1, e2];
    for (const n of all) await waitUntil(`offline inserts at ${n.name}`, () => holds(n.url, created), 15_000);
    await waitUntil('all replicas converged', () => converged(all, hits), 15_000);
    expect(await hits(cloud.url)).toBe(3);
    expect((await request(`${cloud.url}/items/2`)).body).toMatchObject({ qty: 42 });
    expect((await request(`${e2.url}/files/offline-1`)).body).toBe('written at edge 1 offline');
    expect((await request(`${cloud.url}/files/offline-2`)).body).toBe('written at edge 2 offline');
  }, 90_000);

  it('kill -9 of an edge under write load: every acknowledged write survives the restart and reaches the cloud and the other edge', async () => {
    const { cloud, edges } = cluster!;
    const [e1, e2] = edges as [typeof edges[0], typeof edges[0]];
    const before = await hits(e1.url);
    const load = writeLoad(e1.url, 'e1');
    await sleep(2_500);
    await e1.kill();
    const acked = await load.stop();
    expect(acked.items.length, 'writes acknowledged before the kill').toBeGreaterThan(3);

    await e1.start();
    expect(await holds(e1.url, acked.items)).toBe(true);
    expect(await hits(e1.url)).toBeGreaterThanOrEqual(before + acked.hits);
    expect(await hits(e1.url)).toBeLessThanOrEqual(before + acked.hitsSent);
    for (const name of acked.files.keys()) expect(fileTextsAllowed(acked, name)).toContain((await request(`${e1.url}/files/${name}`)).body);
    for (const n of [cloud, e2]) await waitUntil(`edge 1's acknowledged inserts at ${n.name}`, () => holds(n.url, acked.items), 15_000);
    await waitUntil('all replicas converged', () => converged([cloud, e1, e2], hits), 15_000);
  }, 90_000);

  it("kill -9 of the cloud under write load: its acknowledged writes and the edges' changes it had received survive", async () => {
    const { cloud, edges } = cluster!;
    const [e1, e2] = edges as [typeof edges[0], typeof edges[0]];
    // Edge 1 writes, the cloud receives them all, then edge 1 goes away: after the cloud's crash
    // only the cloud itself can bring these to edge 2.
    const fromEdge = await writeLoad(e1.url, 'e1b', { hits: false }).stopAfter(1_000);
    await waitUntil("edge 1's writes at the cloud", () => holds(cloud.url, fromEdge.items), 15_000);
    await e1.stop();

    const before = await hits(cloud.url);
    const load = writeLoad(cloud.url, 'cloud');
    await sleep(2_500);
    await cloud.kill();
    const acked = await load.stop();
    expect(acked.items.length, 'cloud writes acknowledged before the kill').toBeGreaterThan(3);

    await cloud.start();
    expect(await holds(cloud.url, acked.items)).toBe(true);
    expect(await holds(cloud.url, fromEdge.items)).toBe(true);
    for (const name of acked.files.keys()) expect(fileTextsAllowed(acked, name)).toContain((await request(`${cloud.url}/files/${name}`)).body);
    await waitUntil('all of it at edge 2', () => holds(e2.url, [...fromEdge.items, ...acked.items]), 15_000);
    await e1.start();
    await waitUntil('all replicas converged', () => converged([cloud, e1, e2], hits), 15_000);
    expect(await hits(cloud.url)).toBeGreaterThanOrEqual(before + acked.hits);
    expect(await hits(cloud.url)).toBeLessThanOrEqual(before + acked.hitsSent);
  }, 90_000);
});
