/**
 * Issue 17: the edge's background placement loop (startPlacementLoop in
 * src/runtime/placement-http.ts) with a fake sync connection and fake probes, on short real
 * intervals: pings feed the RTT estimate, an outstanding ping feeds its age as a lower bound
 * (twice at most), due probes go to the right hook and are released; a non-adaptive edge does
 * nothing. (That an older ping answered after a newer one is not a sample is Placement's rule,
 * tested in rule.test.ts with a fake clock.) And the socket.io transport's ping itself, hub and dialer on loopback.
 */
import http from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { DEFAULT_PLACEMENT, Placement, type PlacementOptions } from '../../src/runtime/placement.js';
import { startPlacementLoop } from '../../src/runtime/placement-http.js';
import { dialSocketIo, listenSocketIo } from '../../src/runtime/sync/socketio-transport.js';
import type { Connection } from '../../src/runtime/sync/transport.js';

const ID = 'GET /items/:id';
const opts: PlacementOptions = { ...DEFAULT_PLACEMENT, pingEveryMs: 20, probeEveryMs: 50, minStayMs: 0, confirmMs: 0 };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const stops: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s();
});

function fakeConnection(ping: () => Promise<number>): Connection {
  return { remoteId: 'cloud', send: () => undefined, onMessage: () => undefined, onClose: () => undefined, close: () => undefined, ping };
}

it('pings feed the RTT estimate; the cloud is probed in the background while the service runs at the edge', async () => {
  const p = new Placement([{ id: ID, writes: false }], opts, performance.now());
  const probed: string[] = [];
  const stop = startPlacementLoop(
    p,
    {
      connections: () => [fakeConnection(() => Promise.resolve(42))],
      probeCloud: async (id) => {
        probed.push(`cloud ${id}`);
        p.noteCloud(id, 45, 3, performance.now());
      },
      shadowLocal: async (id) => {
        probed.push(`edge ${id}`);
      },
    },
    () => undefined,
  );
  stops.push(stop);
  await sleep(400);
  const view = p.view(performance.now())[ID]!;
  expect(view.estimates.rttMs.samples).toBeGreaterThanOrEqual(5);
  expect(view.estimates.rttMs.ms).toBeCloseTo(42, 0);
  expect(probed.length).toBeGreaterThanOrEqual(3);
  expect(new Set(probed)).toEqual(new Set([`cloud ${ID}`]));
  // At the cloud (the edge is slow), the edge side gets the shadow runs instead.
  for (let i = 0; i < 3; i++) p.noteLocal(ID, 500, performance.now());
  await sleep(300);
  expect(p.view(performance.now())[ID]!.mode).toBe('cloud');
  expect(probed.at(-1)).toBe(`edge ${ID}`);
});

it('an outstanding ping counts as a lower bound of the round trip, twice at most: a level shift', async () => {
  const p = new Placement([{ id: ID, writes: false }], opts, performance.now());
  for (let i = 0; i < 3; i++) p.noteRtt(5, performance.now());
  let pings = 0;
  stops.push(
    startPlacementLoop(
      p,
      {
        connections: () => [
          fakeConnection(() => {
            pings++;
            return new Promise<number>(() => undefined); // never answers: the WAN got very slow
          }),
        ],
        probeCloud: async () => undefined,
        shadowLocal: async () => undefined,
      },
      () => undefined,
    ),
  );
  await sleep(600);
  // Pings keep going (up to 8 in flight); only the oldest feeds bounds, twice.
  expect(pings).toBeGreaterThanOrEqual(2);
  expect(pings).toBeLessThanOrEqual(8);
  const rtt = p.view(performance.now())[ID]!.estimates.rttMs;
  expect(rtt.samples).toBe(5);
  expect(rtt.ms!).toBeGreaterThan(100);
});

it('a non-adaptive edge pings and probes nothing', async () => {
  const p = new Placement([{ id: ID, writes: false }], opts, performance.now(), false);
  let calls = 0;
  const count = async (): Promise<void> => {
    calls++;
  };
  stops.push(startPlacementLoop(p, { connections: () => [fakeConnection(async () => (calls++, 1))], probeCloud: count, shadowLocal: count }, () => undefined));
  await sleep(150);
  expect(calls).toBe(0);
});

it('the socket.io transport answers a ping over the sync connection (hub and dialer, loopback)', async () => {
  const server = http.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const hub = listenSocketIo(server, { secret: 's3cret' });
  const dialer = dialSocketIo(`http://127.0.0.1:${port}`, { secret: 's3cret', nodeId: 'edge-1' });
  stops.push(async () => {
    await dialer.close();
    await hub.close();
    await new Promise((r) => server.close(r));
  });
  const edgeSide = await new Promise<Connection>((r) => dialer.onConnection(r));
  const hubSide = await new Promise<Connection>((r) => hub.onConnection(r));
  const ms = await edgeSide.ping!(2_000);
  expect(ms).toBeGreaterThanOrEqual(0);
  expect(ms).toBeLessThan(1_000);
  // Either side may ping.
  expect(await hubSide.ping!(2_000)).toBeGreaterThanOrEqual(0);
  edgeSide.close();
  await expect(edgeSide.ping!(2_000)).rejects.toThrow();
});
