/**
 * Partition of the generated ledger app: four edges, each dialling the cloud through its own
 * cuttable TCP link, and the cloud. During the partition every side writes, including
 * concurrent writes to the same row (UPDATE), the same file and the counter. After healing:
 * all replicas identical (table checksums, files, Automerge documents), the counter is the sum
 * of every increment, every concurrent insert is present (DESIGN.md §4: CRDT-Table/Files/JSON).
 * The cloud compacts its history during the partition, so the edges heal across an epoch.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildLedger, converged, makeScratch, removeScratch, startCluster, type Cluster } from './harness.js';
import { hits, items, request, waitUntil, type Item } from './http.js';

/** The epoch of the cloud's files document (history compaction; tables keep no history). */
async function filesEpoch(base: string): Promise<number> {
  const health = (await request(`${base}/__edgstr/health?memory`)).body as { memory: { docs: Record<string, { epoch: number }> } };
  return health.memory.docs['files']!.epoch;
}

const scratch = makeScratch();
let cluster: Cluster | null = null;

beforeAll(async () => {
  // Compaction at a low threshold: the cloud compacts during the partition (no edge is
  // connected), so every edge comes back on an older epoch with writes of its own.
  cluster = await startCluster(await buildLedger(), scratch, 4, { links: true, cloudEnv: { EDGSTR_COMPACT_AFTER_OPS: '50' } });
}, 300_000);

afterAll(async () => {
  await cluster?.destroy();
  removeScratch(scratch);
});

it('heals a partition of four edges from the cloud: identical replicas, counters add up, all inserts kept', async () => {
  const { cloud, edges, links } = cluster!;
  const all = [cloud, ...edges];
  // Every edge is connected before the cut, so the partition really separates live peers.
  for (const e of edges) await waitUntil(`${e.name} connected`, async () => ((await request(`${e.url}/__edgstr/health`)).body as { peers: string[] }).peers.includes('cloud'), 15_000);
  const hitsBefore = await hits(cloud.url);
  const epochBefore = await filesEpoch(cloud.url);
  links.forEach((l) => l.partition());

  const created: Item[] = [];
  let increments = 0;
  await Promise.all(
    all.map(async (n, i) => {
      for (let k = 0; k < 3; k++) {
        const answer = await request(`${n.url}/items`, 'POST', { name: `${n.name}-p${k}`, qty: i });
        expect(answer.status, `${n.name} POST /items during the partition`).toBe(201);
        created.push(answer.body as Item);
      }
      // The same row, the same file, the counter: concurrently on all five replicas.
      expect((await request(`${n.url}/items/1`, 'PUT', { name: `apple by ${n.name}`, qty: 100 + i })).status).toBe(200);
      expect((await request(`${n.url}/items/2`, 'PUT', { qty: 200 + i })).status).toBe(200);
      expect((await request(`${n.url}/files/shared`, 'PUT', { text: `shared by ${n.name}` })).status).toBe(200);
      expect((await request(`${n.url}/files/own-${n.name}`, 'PUT', { text: `own of ${n.name}` })).status).toBe(200);
      for (let k = 0; k <= i; k++) {
        expect((await request(`${n.url}/hits`, 'POST')).status).toBe(200);
        increments++;
      }
    }),
  );
  // Updates at the cloud, each its own capture (the cloud captures every 75 ms), so the files
  // document has history to drop and starts a new epoch while the edges are away.
  for (let k = 0; k < 40; k++) {
    expect((await request(`${cloud.url}/items/3`, 'PUT', { name: `cloud update ${k}`, qty: 300 + k })).status).toBe(200);
    expect((await request(`${cloud.url}/files/cloud-log`, 'PUT', { text: `cloud update ${k}` })).status).toBe(200);
    await new Promise((r) => setTimeout(r, 80));
  }
  await waitUntil('a compaction at the cloud during the partition', async () => (await filesEpoch(cloud.url)) > epochBefore ? true : 'same epoch', 15_000);
  // Inserts on five replicas at once never collide on the generated key.
  expect(new Set(created.map((c) => c.id)).size).toBe(created.length);
  // Partitioned: the cloud has seen none of the edges' inserts.
  const atCloud = new Set((await items(cloud.url)).map((i) => i.name));
  expect(created.filter((c) => c.name.startsWith('edge-') && atCloud.has(c.name))).toEqual([]);

  links.forEach((l) => l.heal());
  await waitUntil('all replicas converged', async () => {
    const same = await converged(all, hits);
    if (same !== true) return same;
    const names = new Set((await items(cloud.url)).map((i) => i.name));
    const missing = created.filter((c) => !names.has(c.name));
    return missing.length === 0 ? true : `${missing.length} inserts missing`;
  }, 30_000);

  expect(await hits(cloud.url)).toBe(hitsBefore + increments);
  const rows = await items(edges[3]!.url);
  for (const c of created) expect(rows).toContainEqual(c);
  const apple = rows.find((r) => r.id === 1)!;
  // Last-writer-wins per cell: one of the concurrent values, the same everywhere (checked above).
  expect(all.map((n) => `apple by ${n.name}`)).toContain(apple.name);
  expect([100, 101, 102, 103, 104]).toContain(apple.qty);
  const shared = (await request(`${edges[0]!.url}/files/shared`)).body;
  expect(all.map((n) => `shared by ${n.name}`)).toContain(shared);
  for (const n of all) expect((await request(`${cloud.url}/files/own-${n.name}`)).body).toBe(`own of ${n.name}`);
}, 120_000);
