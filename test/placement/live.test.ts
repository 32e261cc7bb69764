/**
 * Issue 17, live on loopback with the real generated projects of the ledger fixture
 * (test/fixtures/faults/ledger, generated and installed once by the fault harness): a cloud and
 * one edge that dials the cloud through the user-space WAN emulator, whose delay the test
 * changes at run time. The edge is made the slower side for its own runs with the test-only knob
 * EDGSTR_TEST_LOCAL_DELAY_MS (every local run takes 60 ms longer; both processes share one
 * machine, so nothing else makes the edge slower than the cloud here).
 *   - placement API: 401 without / with a wrong bearer token; GET lists the accepted services;
 *     PUT pins to the cloud and back to auto; x-edgstr-place pins one request; x-edgstr-served
 *     says where each answer came from; health carries the placement.
 *   - adaptive: GET /items/:id, one client in a loop. WAN 2 ms one way: the cloud (a few ms
 *     away) beats the 60 ms edge -> the service moves to the cloud. 100 ms one way: the round
 *     trip alone is 200 ms -> back to the edge. 2 ms again: the sync pings and the edge's
 *     background probes of the cloud see it -> to the cloud. Exactly 3 switches (no flapping),
 *     every answer correct, and once a switch is done every client answer comes from the chosen
 *     side (the other side is measured off the client's path: the estimates stay fresh); then
 *     each write (PUT /items/:id) is seen by the next read, wherever each was answered.
 */
import { cpSync, symlinkSync } from 'node:fs';
import { join, sep } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startWanProxy, type WanProxy } from '../../src/bench/wan-proxy.js';
import { freePort } from '../../src/verify/processes.js';
import { Node, buildLedger, makeScratch, removeScratch } from '../faults/harness.js';
import { request, waitUntil } from '../faults/http.js';

const SECRET = 'placement-test-secret';
const SERVICE = 'GET /items/:id';
const LOCAL_DELAY_MS = 60;
const FAST_MS = 2;
const SLOW_MS = 100;

const scratch = makeScratch();
let cloud: Node | null = null;
let edge: Node | null = null;
let wan: WanProxy | null = null;
let itemId = 0;

interface ServiceView {
  mode: 'edge' | 'cloud';
  pinned: boolean;
  switches: number;
  estimates: Record<string, unknown>;
}

beforeAll(async () => {
  const out = await buildLedger();
  const cloudDir = join(scratch, 'cloud');
  const skip = [join(out, 'cloud', 'node_modules'), join(out, 'cloud', 'data')];
  cpSync(join(out, 'cloud'), cloudDir, { recursive: true, filter: (src) => !skip.some((x) => src === x || src.startsWith(x + sep)) });
  symlinkSync(join(out, 'cloud', 'node_modules'), join(cloudDir, 'node_modules'), 'junction');
  cloud = new Node('cloud', await freePort(), cloudDir, join(scratch, 'cloud-data'), join(cloudDir, 'app'), { EDGSTR_SECRET: SECRET });
  await cloud.start();
  wan = await startWanProxy({ targetHost: '127.0.0.1', targetPort: cloud.port, delayMs: FAST_MS, bytesPerSecond: 0 });
  const dataDir = join(scratch, 'edge-1');
  edge = new Node('edge-1', await freePort(), join(out, 'edge'), dataDir, join(dataDir, 'app'), {
    EDGSTR_CLOUD_URL: `http://127.0.0.1:${wan.port}`,
    EDGSTR_NODE_ID: 'edge-1',
    EDGSTR_SECRET: SECRET,
    EDGSTR_PLACEMENT: 'adaptive',
    EDGSTR_TEST_LOCAL_DELAY_MS: String(LOCAL_DELAY_MS),
    EDGSTR_PLACEMENT_MIN_STAY_MS: '1500',
    EDGSTR_PLACEMENT_PROBE_MS: '300',
    EDGSTR_PLACEMENT_PING_MS: '250',
  });
  await edge.start();
  await waitUntil('edge-1 connected', async () => ((await request(`${edge!.url}/__edgstr/health`)).body as { peers: string[] }).peers.includes('cloud'), 15_000);
  const created = await request(`${edge.url}/items`, 'POST', { name: 'placed', qty: 7 });
  expect(created.status).toBe(201);
  itemId = (created.body as { id: number }).id;
}, 300_000);

afterAll(async () => {
  await Promise.all([cloud, edge].map((n) => n?.kill().catch(() => undefined)));
  await wan?.close();
  removeScratch(scratch);
});

async function call(method: string, path: string, headers: Record<string, string> = {}, body?: unknown): Promise<{ status: number; served: string | null; body: unknown }> {
  const res = await fetch(`${edge!.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    /* text */
  }
  return { status: res.status, served: res.headers.get('x-edgstr-served'), body: parsed };
}

const auth = { authorization: `Bearer ${SECRET}` };
async function placementOf(service = SERVICE): Promise<ServiceView> {
  const answer = await call('GET', '/__edgstr/placement', auth);
  expect(answer.status).toBe(200);
  return (answer.body as { services: Record<string, ServiceView> }).services[service]!;
}

it('placement API: bearer token, pin and unpin, per-request header, x-edgstr-served', async () => {
  expect((await call('GET', '/__edgstr/placement')).status).toBe(401);
  expect((await call('GET', '/__edgstr/placement', { authorization: 'Bearer wrong' })).status).toBe(401);
  expect((await call('PUT', '/__edgstr/placement', {}, { service: SERVICE, mode: 'cloud' })).status).toBe(401);
  const listed = await call('GET', '/__edgstr/placement', auth);
  expect(listed.status).toBe(200);
  const services = (listed.body as { services: Record<string, ServiceView> }).services;
  expect(Object.keys(services)).toEqual(expect.arrayContaining(['GET /items', SERVICE, 'POST /items']));
  expect(services[SERVICE]).toMatchObject({ pinned: false, estimates: { localMs: expect.any(Object), cloudMs: expect.any(Object), rttMs: expect.any(Object) } });

  expect((await call('PUT', '/__edgstr/placement', auth, { service: SERVICE, mode: 'sideways' })).status).toBe(400);
  expect((await call('PUT', '/__edgstr/placement', auth, { service: 'GET /nowhere', mode: 'edge' })).status).toBe(404);

  const pinned = await call('PUT', '/__edgstr/placement', auth, { service: SERVICE, mode: 'cloud' });
  expect(pinned.status).toBe(200);
  expect((pinned.body as { services: Record<string, ServiceView> }).services[SERVICE]).toMatchObject({ mode: 'cloud', pinned: true });
  for (let i = 0; i < 5; i++) {
    const a = await call('GET', `/items/${itemId}`);
    expect(a).toMatchObject({ status: 200, served: 'cloud', body: { id: itemId, qty: 7 } });
  }
  // The header pins one request against the service's pin, both ways.
  expect(await call('GET', `/items/${itemId}`, { 'x-edgstr-place': 'edge' })).toMatchObject({ status: 200, served: 'edge', body: { id: itemId } });
  await call('PUT', '/__edgstr/placement', auth, { service: SERVICE, mode: 'edge' });
  expect(await call('GET', `/items/${itemId}`)).toMatchObject({ status: 200, served: 'edge' });
  expect(await call('GET', `/items/${itemId}`, { 'x-edgstr-place': 'cloud' })).toMatchObject({ status: 200, served: 'cloud', body: { id: itemId } });
  const health = (await call('GET', '/__edgstr/health')).body as { placement: Record<string, ServiceView>; served: Record<string, { edge: number; cloud: number }> };
  expect(health.placement[SERVICE]).toMatchObject({ mode: 'edge', pinned: true });
  expect(health.served[SERVICE]!.cloud).toBeGreaterThanOrEqual(6);
  expect(health.served[SERVICE]!.edge).toBeGreaterThanOrEqual(2);
  const unpinned = await call('PUT', '/__edgstr/placement', auth, { service: SERVICE, mode: 'auto' });
  expect((unpinned.body as { services: Record<string, ServiceView> }).services[SERVICE]).toMatchObject({ pinned: false });
}, 60_000);

it('a changing WAN delay moves the service to the cloud and back, without flapping', async () => {
  const start = await placementOf();
  const log: string[] = [];
  /** Requests in a loop until `until` holds (checked every request) or `limitMs`, then `holdMs` more; returns where answers were served after the switch. */
  const phase = async (name: string, want: 'edge' | 'cloud', limitMs: number, holdMs: number): Promise<{ switchedAfterMs: number; served: Record<string, number> }> => {
    const t0 = performance.now();
    let switchedAt: number | null = null;
    const served: Record<string, number> = {};
    for (;;) {
      const a = await call('GET', `/items/${itemId}`);
      expect(a.status, `${name}: ${JSON.stringify(a.body)}\n${edge!.tail()}`).toBe(200);
      expect(a.body).toMatchObject({ id: itemId, qty: 7 });
      const now = performance.now();
      // Counted from the first request sent after the switch was seen.
      if (switchedAt !== null) served[a.served ?? 'none'] = (served[a.served ?? 'none'] ?? 0) + 1;
      if (switchedAt === null && (await placementOf()).mode === want) switchedAt = now;
      if (switchedAt === null && now - t0 > limitMs) throw new Error(`${name}: ${SERVICE} not at the ${want} after ${limitMs} ms: ${JSON.stringify(await placementOf())}\n${edge!.tail()}`);
      if (switchedAt !== null && now - switchedAt > holdMs) break;
    }
    const switchedAfterMs = Math.round(switchedAt - t0);
    log.push(`${name}: at the ${want} after ${switchedAfterMs} ms; then served ${JSON.stringify(served)}; ${JSON.stringify((await placementOf()).estimates)}`);
    return { switchedAfterMs, served };
  };
  const fast1 = await phase(`WAN ${FAST_MS} ms`, 'cloud', 15_000, 3_000);
  wan!.setDelay(SLOW_MS);
  const slow = await phase(`WAN ${SLOW_MS} ms`, 'edge', 15_000, 3_000);
  wan!.setDelay(FAST_MS);
  const fast2 = await phase(`WAN ${FAST_MS} ms again`, 'cloud', 20_000, 3_000);
  console.log(`adaptive placement of ${SERVICE} (edge +${LOCAL_DELAY_MS} ms per local run):\n${log.join('\n')}`);
  const end = await placementOf();
  // edge -> cloud -> edge -> cloud, each once.
  expect(end.switches - start.switches, `${edge!.tail()}`).toBe(start.mode === 'cloud' ? 2 : 3);
  expect(end.mode).toBe('cloud');
  // After each switch every client answer comes from the chosen side: no client request is a
  // probe of the other side any more (before, about one in three here was).
  expect(Object.keys(fast1.served)).toEqual(['cloud']);
  expect(Object.keys(slow.served)).toEqual(['edge']);
  expect(Object.keys(fast2.served)).toEqual(['cloud']);
  // The side not in use was measured in the background all along: at the cloud, shadow local
  // runs keep the local estimate fresh (probe every 300 ms); pings keep the RTT fresh.
  const view = await placementOf();
  const est = view.estimates as { localMs: { ageMs: number }; rttMs: { ageMs: number; samples: number } };
  expect(est.localMs.ageMs).toBeLessThan(3_000);
  expect(est.rttMs.ageMs).toBeLessThan(3_000);
  expect(edge!.tail()).toMatch(/placement GET \/items\/:id edge -> cloud/);
  // A stateful pair across the sides: the read (now at the cloud) sees each write, wherever
  // the write was answered (PUT /items/:id is placed adaptively too).
  for (let n = 1; n <= 10; n++) {
    const put = await call('PUT', `/items/${itemId}`, {}, { qty: 100 + n });
    expect(put.status).toBe(200);
    const read = await call('GET', `/items/${itemId}`);
    expect(read, `write ${n} (served ${put.served})`).toMatchObject({ status: 200, body: { qty: 100 + n } });
  }
}, 120_000);
