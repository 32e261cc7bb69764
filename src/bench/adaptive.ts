/**
 * `edgstr bench --scenario adaptive` (issue 17): adaptive placement against the two fixed ones on
 * the generated projects, under a WAN whose delay changes over time.
 *
 * One generated cloud and three generated edges, each edge dialling the cloud (forwarding and
 * sync) through its own user-space WAN emulator (wan-proxy.ts), all three made equally slow for
 * their own runs of the services (the edge = a slower device):
 *   - adaptive      EDGSTR_PLACEMENT=adaptive (pings, background probes, the rule);
 *   - always-edge   the service pinned to the edge (PUT /__edgstr/placement);
 *   - always-cloud  the service pinned to the cloud.
 * One sequential client per edge sends the same recorded request of one read-only accepted
 * service in a loop while the one-way delay of all three WANs goes through the phases. Per phase:
 * p50 / p95 of the answers, where the adaptive edge's answers were served, and its switches. The
 * whole phase counts, including the adaptive edge's time to notice the change.
 */
import { UserError } from '../model/errors.js';
import { DEFAULT_PLACEMENT } from '../runtime/placement.js';
import type { Launcher, Running } from './launcher.js';
import { createCpuQuota, pidListeningOn, type CpuQuota } from './cpu-quota.js';
import { startWanProxy, type WanProxy } from './wan-proxy.js';

/** One phase of the WAN: its one-way delay and how long it lasts. */
export interface Phase {
  delayMs: number;
  seconds: number;
}

export const ADAPTIVE_SYSTEMS = ['adaptive', 'always-edge', 'always-cloud'] as const;
export type AdaptiveSystem = (typeof ADAPTIVE_SYSTEMS)[number];

export const DEFAULT_PHASES: Phase[] = [
  { delayMs: 5, seconds: 15 },
  { delayMs: 300, seconds: 15 },
  { delayMs: 5, seconds: 15 },
];

/** `--phases 5:15,300:15,5:15` (one-way delay ms : seconds) -> phases. */
export function parsePhases(text: string): Phase[] {
  const phases = text.split(',').map((part) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    const delayMs = Number(m?.[1]);
    const seconds = Number(m?.[2]);
    if (!m || !(seconds > 0)) throw new UserError(`--phases: "${part}" is not DELAY_MS:SECONDS (one-way WAN delay in ms, phase length in s), e.g. --phases 5:15,300:15,5:15`);
    return { delayMs, seconds };
  });
  if (phases.length === 0) throw new UserError('--phases needs at least one DELAY_MS:SECONDS');
  return phases;
}

/** The request the clients send (a recorded one, or `--request "GET /path"`). */
export interface ClientRequestSpec {
  method: string;
  path: string;
  headers: Record<string, string>;
}

/** `--request "GET /items/1"` -> method and path. */
export function parseRequest(text: string): { method: string; path: string } {
  const m = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(text);
  if (!m) throw new UserError(`--request: "${text}" is not "METHOD /path", e.g. --request "GET /items/1"`);
  return { method: m[1]!.toUpperCase(), path: m[2]! };
}

/** Whether `path` (query ignored) is an instance of the route template `route` (`/items/:id`). */
export function matchesRoute(route: string, path: string): boolean {
  const a = route.split('/');
  const b = path.split('?')[0]!.split('/');
  return a.length === b.length && a.every((seg, i) => (seg.startsWith(':') ? b[i] !== '' : seg === b[i]));
}

export interface AdaptiveBenchOptions {
  launcher: Launcher;
  /** The shared secret the launcher gives cloud and edges (the placement API's bearer). */
  secret: string;
  /** Picks the request to send, given the edge's placed services (id -> read-only). */
  pickRequest: (placed: Record<string, { readOnly: boolean }>) => { service: string; request: ClientRequestSpec };
  phases: Phase[];
  /** Every edge's local runs take this much longer (EDGSTR_TEST_LOCAL_DELAY_MS): the slower device. */
  slowdownMs: number;
  /** Every edge process held to this percentage of one core (a cgroup CPU quota), or none. */
  cpuQuotaPercent?: number;
  /** Adaptive edge's settings (bench defaults: minimum stay 2 s, as phases are short; probes and pings as the runtime's defaults). */
  minStayMs?: number;
  probeMs?: number;
  pingMs?: number;
  onProgress?: (msg: string) => void;
}

/** One answer: when it was sent (s since the first phase began), its latency, where it was served. */
export interface AdaptiveSample {
  t: number;
  ms: number;
  served: string;
}

export interface PhaseResult {
  delayMs: number;
  seconds: number;
  /** Per system: p50 / p95 / n of the phase's answers. */
  stats: Record<AdaptiveSystem, { p50: number; p95: number; n: number; errors: number }>;
  /** The adaptive edge's switches during the phase. */
  switches: number;
  /** Where the adaptive edge's answers were served during the phase. */
  adaptiveServed: Record<string, number>;
}

export interface AdaptiveResult {
  service: string;
  request: string;
  slowdownMs: number;
  /** The edges' CPU quota, % of one core (null: none). */
  cpuQuotaPercent: number | null;
  settings: { minStayMs: number; probeMs: number; pingMs: number };
  phases: PhaseResult[];
  samples: Record<AdaptiveSystem, AdaptiveSample[]>;
}

const percentile = (sorted: number[], p: number): number => (sorted.length === 0 ? Number.NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!);

interface PlacementView {
  services: Record<string, { mode: string; readOnly?: boolean; switches: number }>;
}

async function placementApi(edge: Running, secret: string, put?: { service: string; mode: string }): Promise<PlacementView> {
  const res = await fetch(`${edge.url}/__edgstr/placement`, {
    method: put ? 'PUT' : 'GET',
    headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    ...(put ? { body: JSON.stringify(put) } : {}),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${put ? 'PUT' : 'GET'} ${edge.url}/__edgstr/placement answered ${res.status}: ${text}`);
  return JSON.parse(text) as PlacementView;
}

async function waitConnected(edge: Running, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(`${edge.url}/__edgstr/health`, { signal: AbortSignal.timeout(2_000) });
      const health = (await res.json()) as { peers?: string[] };
      if (health.peers?.includes('cloud')) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > until) throw new Error(`edge ${edge.url} did not connect to the cloud within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs the scenario; the caller disposes the launcher. */
export async function runAdaptiveBench(opts: AdaptiveBenchOptions): Promise<AdaptiveResult> {
  const settings = { minStayMs: opts.minStayMs ?? 2_000, probeMs: opts.probeMs ?? DEFAULT_PLACEMENT.probeEveryMs, pingMs: opts.pingMs ?? DEFAULT_PLACEMENT.pingEveryMs };
  const proxies: WanProxy[] = [];
  const running: Running[] = [];
  const quota: CpuQuota | null = opts.cpuQuotaPercent ? createCpuQuota(`edgstr-bench-${process.pid}`, opts.cpuQuotaPercent) : null;
  try {
    opts.onProgress?.('adaptive: starting the generated cloud');
    const cloud = await opts.launcher.startCloud();
    running.push(cloud);
    const cloudPort = Number(new URL(cloud.url).port);
    const edges = new Map<AdaptiveSystem, Running>();
    for (const [i, system] of ADAPTIVE_SYSTEMS.entries()) {
      const wan = await startWanProxy({ targetHost: '127.0.0.1', targetPort: cloudPort, delayMs: opts.phases[0]!.delayMs, bytesPerSecond: 0 });
      proxies.push(wan);
      opts.onProgress?.(`adaptive: starting the generated edge for ${system}`);
      const edge = await opts.launcher.startEdge(`http://127.0.0.1:${wan.port}`, {
        EDGSTR_NODE_ID: `bench-${system}-${i + 1}`,
        ...(opts.slowdownMs > 0 ? { EDGSTR_TEST_LOCAL_DELAY_MS: String(opts.slowdownMs) } : {}),
        EDGSTR_PLACEMENT: system === 'adaptive' ? 'adaptive' : 'review',
        EDGSTR_PLACEMENT_MIN_STAY_MS: String(settings.minStayMs),
        EDGSTR_PLACEMENT_PROBE_MS: String(settings.probeMs),
        EDGSTR_PLACEMENT_PING_MS: String(settings.pingMs),
      });
      running.push(edge);
      edges.set(system, edge);
      if (quota) {
        const pid = pidListeningOn(Number(new URL(edge.url).port));
        if (pid === null) throw new Error(`--edge-cpu-quota: no process found listening on ${edge.url}`);
        quota.add(pid);
      }
    }
    const edgeOf = (s: AdaptiveSystem): Running => edges.get(s)!;
    await Promise.all([...edges.values()].map((e) => waitConnected(e, 30_000)));
    const placed = (await placementApi(edgeOf('always-edge'), opts.secret)).services;
    const { service, request } = opts.pickRequest(Object.fromEntries(Object.entries(placed).map(([id, v]) => [id, { readOnly: v.readOnly === true }])));
    await placementApi(edgeOf('always-edge'), opts.secret, { service, mode: 'edge' });
    await placementApi(edgeOf('always-cloud'), opts.secret, { service, mode: 'cloud' });

    const samples = Object.fromEntries(ADAPTIVE_SYSTEMS.map((s) => [s, [] as AdaptiveSample[]])) as Record<AdaptiveSystem, AdaptiveSample[]>;
    const phases: PhaseResult[] = [];
    const t0 = performance.now();
    for (const [n, phase] of opts.phases.entries()) {
      opts.onProgress?.(`adaptive: phase ${n + 1}/${opts.phases.length}, WAN ${phase.delayMs} ms one way for ${phase.seconds} s`);
      for (const p of proxies) p.setDelay(phase.delayMs);
      const before = (await placementApi(edgeOf('adaptive'), opts.secret)).services[service]!.switches;
      const until = performance.now() + phase.seconds * 1000;
      const perSystem = await Promise.all(
        ADAPTIVE_SYSTEMS.map(async (system) => {
          const got: AdaptiveSample[] = [];
          let errors = 0;
          while (performance.now() < until) {
            const sent = performance.now();
            try {
              const res = await fetch(`${edgeOf(system).url}${request.path}`, { method: request.method, headers: request.headers, signal: AbortSignal.timeout(30_000) });
              await res.arrayBuffer();
              if (res.status >= 400) errors++;
              got.push({ t: (sent - t0) / 1000, ms: performance.now() - sent, served: res.headers.get('x-edgstr-served') ?? 'none' });
            } catch {
              errors++;
            }
          }
          samples[system].push(...got);
          return { got, errors };
        }),
      );
      const after = (await placementApi(edgeOf('adaptive'), opts.secret)).services[service]!.switches;
      const stats = {} as PhaseResult['stats'];
      ADAPTIVE_SYSTEMS.forEach((system, i) => {
        const sorted = perSystem[i]!.got.map((s) => s.ms).sort((a, b) => a - b);
        stats[system] = { p50: percentile(sorted, 50), p95: percentile(sorted, 95), n: sorted.length, errors: perSystem[i]!.errors };
      });
      const adaptiveServed: Record<string, number> = {};
      for (const s of perSystem[0]!.got) adaptiveServed[s.served] = (adaptiveServed[s.served] ?? 0) + 1;
      phases.push({ ...phase, stats, switches: after - before, adaptiveServed });
    }
    return { service, request: `${request.method} ${request.path}`, slowdownMs: opts.slowdownMs, cpuQuotaPercent: opts.cpuQuotaPercent ?? null, settings, phases, samples };
  } finally {
    await Promise.all(running.reverse().map((r) => r.stop().catch(() => undefined)));
    await Promise.all(proxies.map((p) => p.close()));
    await quota?.remove();
  }
}
