/**
 * Health's `caughtUp` (readiness for HAProxy and Kubernetes): an edge is caught up once it holds
 * every change the cloud has, and not while it has no connection to the cloud. The cloud is
 * always caught up.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type Cluster } from './cluster.js';
import { waitFor } from './helpers.js';

let cluster: Cluster;
beforeAll(async () => {
  cluster = await startCluster(1);
}, 60_000);
afterAll(async () => {
  await cluster?.close();
});

describe('health: caughtUp', () => {
  it('is true at the cloud, and at an edge that synced with it', async () => {
    expect(cluster.cloud.replica.health().caughtUp).toBe(true);
    await waitFor(() => cluster.edges[0]!.replica.health().caughtUp === true, 5000, 'edge caught up');
  });

  it('follows a write the cloud made: caught up again once it arrived', async () => {
    const edge = cluster.edges[0]!;
    cluster.cloud.app.prepare("INSERT INTO notes (title) VALUES ('from the cloud')").run();
    await cluster.cloud.replica.flush();
    await waitFor(() => edge.app.prepare("SELECT 1 FROM notes WHERE title = 'from the cloud'").get() !== undefined && edge.replica.health().caughtUp === true, 5000, 'the write at the edge');
  });

  it('is false at an edge that lost the cloud', async () => {
    const edge = cluster.edges[0]!;
    cluster.server.closeAllConnections();
    await cluster.cloud.replica.close();
    await waitFor(() => edge.replica.health().caughtUp === false, 5000, 'edge no longer caught up');
    expect(edge.replica.health().peers).toEqual([]);
  });
});
