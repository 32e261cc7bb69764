import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchHealth, parseHealth } from '../../src/util/health-client.js';

const base = { nodeId: 'pi-kitchen', role: 'edge', peers: ['cloud'], lastSyncAt: null, pendingChanges: 0 };

describe('parseHealth', () => {
  it('keeps the fields of the Health type', () => {
    const served = { 'GET /notes/:id': { local: true, edge: 3, cloud: 0, fallback: 1 } };
    expect(parseHealth({ ...base, docs: { globals: 'ab' }, served, rangeIndex: 4, extra: 1 })).toEqual({ ...base, docs: { globals: 'ab' }, served, rangeIndex: 4 });
  });
  it('refuses answers of another shape', () => {
    expect(parseHealth(null)).toBeNull();
    expect(parseHealth({ ...base, role: 'proxy' })).toBeNull();
    expect(parseHealth({ ...base, peers: [1] })).toBeNull();
    expect(parseHealth({ ...base, pendingChanges: '0' })).toBeNull();
    expect(parseHealth({ ...base, served: { 'GET /': { local: true, edge: 1 } } })).toBeNull();
  });
});

describe('fetchHealth', () => {
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url === '/__edgstr/health?docs') res.end(JSON.stringify({ ...base, docs: { d: 'h' } }));
      else if (req.url === '/__edgstr/health') res.end(JSON.stringify(base));
      else res.writeHead(404).end('{}');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('fetches and validates, with ?docs on request', async () => {
    expect(await fetchHealth(url)).toEqual(base);
    expect((await fetchHealth(url, { docs: true }))?.docs).toEqual({ d: 'h' });
  });
  it('is null when nothing answers', async () => {
    server.closeAllConnections();
    expect(await fetchHealth('http://127.0.0.1:1', { timeoutMs: 500 })).toBeNull();
  });
});
