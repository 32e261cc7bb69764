/**
 * Issue 17's bench scenario (EDGSTR_PLACEMENT_BENCH=1 only; it writes docs/placement-bench.md):
 * the ledger fixture's generated cloud and three generated edges, each dialling the cloud through
 * its own user-space WAN emulator, all three made slow for their own runs with the test-only
 * EDGSTR_TEST_LOCAL_DELAY_MS (the edge = a slow device; one machine has no slower CPU to offer):
 *   - adaptive      EDGSTR_PLACEMENT=adaptive;
 *   - always-edge   the review's placement (GET /items/:id accepted, answered at the edge);
 *   - always-cloud  GET /items/:id pinned to the cloud with PUT /__edgstr/placement.
 * One client per edge reads GET /items/:id in a loop while the one-way WAN delay goes
 * 5 ms -> 300 ms -> 5 ms. Per phase: p50 / p95 of the answers, and the adaptive edge's switches.
 */
import { cpSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { startWanProxy, type WanProxy } from '../../src/bench/wan-proxy.js';
import { freePort } from '../../src/verify/processes.js';
import { Node, buildLedger, makeScratch, removeScratch } from '../faults/harness.js';
import { request, waitUntil } from '../faults/http.js';

const SECRET = 'placement-bench-secret';
const SERVICE = 'GET /items/:id';
const LOCAL_DELAY_MS = 150;
const PHASES = [
  { name: 'WAN 5 ms', delayMs: 5 },
  { name: 'WAN 300 ms', delayMs: 300 },
  { name: 'WAN 5 ms again', delayMs: 5 },
];
const PHASE_MS = 15_000;
const MIN_STAY_MS = 2_000;
const PROBE_MS = 1_000;
const SYSTEMS = ['adaptive', 'always-edge', 'always-cloud'] as const;
type System = (typeof SYSTEMS)[number];

const scratch = makeScratch();
const nodes: Node[] = [];
const proxies: WanProxy[] = [];

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.kill().catch(() => undefined)));
  await Promise.all(proxies.map((p) => p.close()));
  removeScratch(scratch);
});

const pct = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const auth = { authorization: `Bearer ${SECRET}`, 'content-type': 'application/json' };

async function switchesOf(url: string): Promise<number> {
  const res = await fetch(`${url}/__edgstr/placement`, { headers: auth });
  return ((await res.json()) as { services: Record<string, { switches: number }> }).services[SERVICE]!.switches;
}

it.runIf(process.env.EDGSTR_PLACEMENT_BENCH === '1')('adaptive vs always-edge vs always-cloud under a changing WAN delay', async () => {
  const out = await buildLedger();
  const cloudDir = join(scratch, 'cloud');
  const skip = [join(out, 'cloud', 'node_modules'), join(out, 'cloud', 'data')];
  cpSync(join(out, 'cloud'), cloudDir, { recursive: true, filter: (src) => !skip.some((x) => src === x || src.startsWith(x + sep)) });
  symlinkSync(join(out, 'cloud', 'node_modules'), join(cloudDir, 'node_modules'), 'junction');
  const cloud = new Node('cloud', await freePort(), cloudDir, join(scratch, 'cloud-data'), join(cloudDir, 'app'), { EDGSTR_SECRET: SECRET });
  nodes.push(cloud);
  await cloud.start();
  const edges = new Map<System, Node>();
  for (const [i, system] of SYSTEMS.entries()) {
    const wan = await startWanProxy({ targetHost: '127.0.0.1', targetPort: cloud.port, delayMs: PHASES[0]!.delayMs, bytesPerSecond: 0 });
    proxies.push(wan);
    const dataDir = join(scratch, system);
    const edge = new Node(system, await freePort(), join(out, 'edge'), dataDir, join(dataDir, 'app'), {
      EDGSTR_CLOUD_URL: `http://127.0.0.1:${wan.port}`,
      EDGSTR_NODE_ID: `edge-${i + 1}`,
      EDGSTR_SECRET: SECRET,
      EDGSTR_TEST_LOCAL_DELAY_MS: String(LOCAL_DELAY_MS),
      EDGSTR_PLACEMENT_MIN_STAY_MS: String(MIN_STAY_MS),
      EDGSTR_PLACEMENT_PROBE_MS: String(PROBE_MS),
      ...(system === 'adaptive' ? { EDGSTR_PLACEMENT: 'adaptive' } : {}),
    });
    nodes.push(edge);
    edges.set(system, edge);
  }
  await Promise.all([...edges.values()].map((e) => e.start()));
  for (const e of edges.values()) await waitUntil(`${e.name} connected`, async () => ((await request(`${e.url}/__edgstr/health`)).body as { peers: string[] }).peers.includes('cloud'), 15_000);
  const pin = await fetch(`${edges.get('always-cloud')!.url}/__edgstr/placement`, { method: 'PUT', headers: auth, body: JSON.stringify({ service: SERVICE, mode: 'cloud' }) });
  expect(pin.status).toBe(200);
  const id = 1; // an item of the fixture's initial state

  const rows: string[] = [];
  const summary: Record<string, Record<System, { p50: number; p95: number }>> = {};
  for (const phase of PHASES) {
    for (const p of proxies) p.setDelay(phase.delayMs);
    const before = await switchesOf(edges.get('adaptive')!.url);
    const until = performance.now() + PHASE_MS;
    const times = await Promise.all(
      SYSTEMS.map(async (system) => {
        const t: number[] = [];
        while (performance.now() < until) {
          const t0 = performance.now();
          const res = await fetch(`${edges.get(system)!.url}/items/${id}`, { signal: AbortSignal.timeout(10_000) });
          await res.arrayBuffer();
          expect(res.status).toBe(200);
          t.push(performance.now() - t0);
        }
        return t.sort((a, b) => a - b);
      }),
    );
    const switches = (await switchesOf(edges.get('adaptive')!.url)) - before;
    summary[phase.name] = {} as Record<System, { p50: number; p95: number }>;
    const cells = SYSTEMS.map((s, i) => {
      const p50 = pct(times[i]!, 50);
      const p95 = pct(times[i]!, 95);
      summary[phase.name]![s] = { p50, p95 };
      return `${p50.toFixed(0)} / ${p95.toFixed(0)} (${times[i]!.length})`;
    });
    rows.push(`| ${phase.name} (one way) | ${cells.join(' | ')} | ${switches} |`);
  }
  const table = [
    '| phase | adaptive p50 / p95 ms (n) | always-edge p50 / p95 ms (n) | always-cloud p50 / p95 ms (n) | adaptive switches |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
  console.log(table);
  const doc = fileURLToPath(new URL('../../docs/placement-bench.md', import.meta.url));
  writeFileSync(
    doc,
    `# Adaptive placement: bench\n\nGenerated by \`EDGSTR_PLACEMENT_BENCH=1 npx vitest run test/placement/bench.test.ts\` (see that file).\n` +
      `The ledger fixture's generated cloud and three generated edges on loopback, each edge behind its own user-space WAN\n` +
      `emulator (src/bench/wan-proxy.ts) whose one-way delay changes every ${PHASE_MS / 1000} s; every edge's local runs are\n` +
      `${LOCAL_DELAY_MS} ms slower (test-only EDGSTR_TEST_LOCAL_DELAY_MS: a slow device), the cloud runs at full speed.\n` +
      `One sequential client per edge reads \`${SERVICE}\`. Adaptive: EDGSTR_PLACEMENT=adaptive, minimum stay ${MIN_STAY_MS} ms,\n` +
      `probe every ${PROBE_MS} ms; always-edge: the review's placement; always-cloud: pinned with PUT /__edgstr/placement.\n` +
      `The whole phase counts, including the adaptive edge's time to notice the change. 2 shared cores.\n\n${table}\n`,
  );
}, 180_000);
