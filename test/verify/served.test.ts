import { describe, expect, it } from 'vitest';
import type { Health } from '../../src/runtime/api.js';
import { summarizeServed } from '../../src/verify/served.js';

const health = (served: Health['served']): Health => ({ nodeId: 'e', role: 'edge', peers: [], lastSyncAt: null, pendingChanges: 0, ...(served ? { served } : {}) });

describe('summarizeServed', () => {
  it('sums the edges and passes when accepted services were answered at the edge', () => {
    const r = summarizeServed([
      { name: 'edge-1', health: health({ 'GET /notes': { local: true, edge: 2, cloud: 0, fallback: 0 }, 'GET /whoami': { local: false, edge: 0, cloud: 3, fallback: 0 } }) },
      { name: 'edge-2', health: health({ 'GET /notes': { local: true, edge: 1, cloud: 0, fallback: 0 }, 'GET /whoami': { local: false, edge: 0, cloud: 1, fallback: 0 } }) },
    ]);
    expect(r.ok).toBe(true);
    expect(r.services).toEqual([
      { id: 'GET /notes', local: true, edge: 3, cloud: 0, fallback: 0 },
      { id: 'GET /whoami', local: false, edge: 0, cloud: 4, fallback: 0 },
    ]);
  });

  it('fails when an accepted service fell back to the cloud, or an edge does not say', () => {
    const r = summarizeServed([
      { name: 'edge-1', health: health({ 'POST /notes': { local: true, edge: 1, cloud: 0, fallback: 2 } }) },
      { name: 'edge-2', health: health(undefined) },
    ]);
    expect(r.ok).toBe(false);
    expect(r.problems).toEqual([
      'edge-2 did not report where it served its answers (GET /__edgstr/health has no "served"): regenerate the project with this edgstr',
      'POST /notes is accepted, but 2 of its 3 answer(s) came from the cloud after the local run failed (see the edges\' warnings)',
    ]);
  });
});
