/**
 * A fresh edge catching up on a large table over the real transport: it pulls pages after the
 * position it persisted, so a catch-up interrupted by a restart resumes where it stopped.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TABLES, startCluster, type Cluster } from './cluster.js';
import { tableChecksum, waitFor } from './helpers.js';
import { PAGE_ROWS } from '../../src/runtime/table-store.js';

let cluster: Cluster;
beforeAll(async () => {
  // No wait for the cloud's copy at start-up: the catch-up runs in the background.
  cluster = await startCluster(0, { initialSyncTimeoutMs: 0 });
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

it('resumes an interrupted catch-up of 40,000 rows where it stopped', async () => {
  const { cloud } = cluster;
  const insert = cloud.app.prepare('INSERT INTO kv (k, v) VALUES (?, ?)');
  cloud.app.transaction(() => {
    for (let i = 0; i < 40_000; i++) insert.run(`key ${i}`, `a value of about forty bytes, number ${i}`);
  })();
  await cloud.replica.flush();
  const store = cloud.replica.tableSync.stores.get('db-app')!;
  const head = store.head();
  const pagesBefore = cloud.replica.tableSync.pagesSent;
  let edge = await cluster.startEdge(1);
  const edgeStore = () => edge.replica.tableSync.stores.get('db-app')!;
  await waitFor(() => edgeStore().position('cloud') > 0, 20_000, 'the first pages');
  await edge.replica.close();
  edge.app.close();
  const pagesFirst = cloud.replica.tableSync.pagesSent - pagesBefore;
  edge = await cluster.startEdge(1, edge.dir);
  const resumedFrom = edgeStore().position('cloud');
  expect(resumedFrom).toBeGreaterThan(0);
  expect(resumedFrom).toBeLessThan(head);
  await waitFor(() => edge.replica.health({ docs: true }).docs!['db-app'] === cloud.replica.health({ docs: true }).docs!['db-app'], 30_000, 'the catch-up');
  expect(tableChecksum(edge.dbFile, TABLES)).toBe(tableChecksum(cloud.dbFile, TABLES));
  // Pages of at most PAGE_ROWS rows; after the restart only what was missing was sent again.
  const pagesAll = cloud.replica.tableSync.pagesSent - pagesBefore;
  expect(pagesAll).toBeLessThanOrEqual(pagesFirst + Math.ceil((head - resumedFrom) / PAGE_ROWS) + 1);
  expect(pagesAll).toBeLessThan(Math.ceil(head / PAGE_ROWS) + 3);
  expect(edge.replica.health().caughtUp).toBe(true);
}, 90_000);
