/**
 * The measurement core of `edgstr bench`. For each network condition and each system it builds
 * the topology, with the client on the LAN side (loopback, no emulation):
 *
 *   original: client ──WAN──> cloud
 *   edgstr:   client ──LAN──> edge ──WAN (forwarded requests + sync)──> cloud
 *   caching:  client ──LAN──> caching proxy ──WAN──> cloud
 *   batching: client ──LAN──> batching proxy ──WAN──> cloud
 *
 * "WAN" is the user-space WAN proxy (delay, loss, counters), with bandwidth shaped either by the
 * proxy itself or by tc htb in network namespaces (see netns-link.ts). WAN bytes are the proxy's
 * counters, both directions, so they include everything the system sends over the WAN
 * (forwarded requests, answers, sync messages, heartbeats).
 */
import { startWanProxy, type WanProxy } from './wan-proxy.js';
import { startKernelLink, type KernelLink } from './netns-link.js';
import { startCachingProxy } from './caching-proxy.js';
import { startBatchingProxy } from './batching-proxy.js';
import { createAgent, send, summarize, type Sample } from './http-client.js';
import type { Launcher, Running } from './launcher.js';
import type { BenchRequest, Workload } from './workload.js';
import { compareResponses } from '../verify/compare.js';
import { IdMap } from '../verify/id-map.js';
import { entryPath, recordedResponse, replayEntry } from '../verify/replay.js';
import { SessionMap, tokensIn } from '../model/credentials.js';
import { EchoMap, sentInRecording } from '../model/echoed.js';
import { requestOf } from '../model/traffic.js';
import type { BenchResult, Condition, GridPoint, ServedTally, ServiceRow, SystemName } from './result.js';
import { fetchHealth } from '../util/health-client.js';

export interface BenchOptions {
  workload: Workload;
  launcher: Launcher;
  subject: string;
  systems: SystemName[];
  /** MB/s per direction. */
  bandwidths: number[];
  /** One-way delays, ms. */
  delays: number[];
  /** The condition of Table II (per-service latency and WAN bytes). */
  reference: Condition;
  /** In-order passes over the recording for Table II, each from a fresh init state. */
  requests: number;
  concurrency: number;
  /** A throughput run stops after this many requests or seconds, whichever comes first. */
  throughputRequests: number;
  throughputSeconds: number;
  kernelShaping: boolean;
  loss?: number;
  cacheTtlMs?: number;
  batchIntervalMs?: number;
  batchMax?: number;
  requestTimeoutMs?: number;
  onProgress?: (msg: string) => void;
  /** Something the reader of the results must know (also kept in bench.json `notes`). */
  onNote?: (msg: string) => void;
}

/** A system ready to be measured: where the client sends, how to read and settle the WAN. */
interface Topology {
  front: string;
  wan: WanProxy;
  /** Waits until background WAN traffic (sync, queued batches) has stopped. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const wanBytes = (w: WanProxy): number => w.stats().up + w.stats().down;

/** Waits until the WAN counters have not moved for `quietMs` (or `maxMs` passed). */
async function waitQuiet(wan: WanProxy, quietMs: number, maxMs: number, extra?: () => Promise<boolean>): Promise<void> {
  const end = performance.now() + maxMs;
  let last = wanBytes(wan);
  let since = performance.now();
  while (performance.now() < end) {
    await sleep(Math.min(100, quietMs / 4));
    const now = wanBytes(wan);
    if (now !== last) {
      last = now;
      since = performance.now();
    } else if (performance.now() - since >= quietMs && (!extra || (await extra()))) return;
  }
}

async function edgeIdle(edgeUrl: string): Promise<boolean> {
  const h = await fetchHealth(edgeUrl);
  return h !== null && h.pendingChanges === 0;
}

/** Waits (bounded) until the edge reports its cloud as a peer, i.e. the sync channel is up. */
async function waitConnected(edgeUrl: string, maxMs: number): Promise<boolean> {
  const end = performance.now() + maxMs;
  while (performance.now() < end) {
    const h = await fetchHealth(edgeUrl);
    if (h !== null && h.peers.length > 0) return true;
    await sleep(100);
  }
  return false;
}

/** Synchronous systems leave nothing in flight once the client has its answer. */
const noBackground = (): Promise<void> => Promise.resolve();

async function buildTopology(system: SystemName, cond: Condition, opts: BenchOptions): Promise<Topology> {
  const rate = Math.round(cond.bandwidthMBps * 1e6);
  const stops: (() => Promise<void>)[] = [];
  const close = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  try {
    const cloud: Running = await opts.launcher.startCloud();
    stops.push(() => cloud.stop());
    const cloudUrl = new URL(cloud.url);
    let target = { host: cloudUrl.hostname, port: Number(cloudUrl.port) };
    if (opts.kernelShaping) {
      const link: KernelLink = await startKernelLink({ bytesPerSecond: rate, targetHost: target.host, targetPort: target.port });
      stops.push(() => link.close());
      target = { host: link.host, port: link.port };
    }
    const wan = await startWanProxy({
      targetHost: target.host,
      targetPort: target.port,
      delayMs: cond.delayMs,
      bytesPerSecond: opts.kernelShaping ? 0 : rate,
      loss: opts.loss ?? 0,
    });
    stops.push(() => wan.close());
    const wanUrl = `http://127.0.0.1:${wan.port}`;
    // A quiet window long enough for one more round trip plus a sync tick.
    const quiet = Math.max(400, 2 * cond.delayMs + 300);
    const maxSettle = 60_000;
    switch (system) {
      case 'original':
        return { front: wanUrl, wan, settle: noBackground, close };
      case 'edgstr': {
        const edge = await opts.launcher.startEdge(wanUrl);
        stops.push(() => edge.stop());
        if (!(await waitConnected(edge.url, 30_000))) opts.onNote?.(`the edge reported no peer within 30 s at ${cond.bandwidthMBps} MB/s, ${cond.delayMs} ms: it may not be syncing`);
        const settle = (): Promise<void> => waitQuiet(wan, quiet, maxSettle, () => edgeIdle(edge.url));
        return { front: edge.url, wan, settle, close };
      }
      case 'caching': {
        const proxy = await startCachingProxy({ targetUrl: wanUrl, ttlMs: opts.cacheTtlMs ?? 10_000 });
        stops.push(() => proxy.close());
        return { front: proxy.url, wan, settle: noBackground, close };
      }
      case 'batching': {
        const proxy = await startBatchingProxy({ targetUrl: wanUrl, intervalMs: opts.batchIntervalMs ?? 1000, maxBatch: opts.batchMax ?? 10 });
        stops.push(() => proxy.close());
        const settle = async (): Promise<void> => {
          await proxy.flush();
          await waitQuiet(wan, quiet, maxSettle);
        };
        return { front: proxy.url, wan, settle, close };
      }
      default: {
        const never: never = system;
        throw new Error(`unknown system ${String(never)}`);
      }
    }
  } catch (err) {
    await close();
    throw err;
  }
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Table II: the recording replayed once, in recorded order, from the init state, one request at a
 * time — so a request finds what the requests before it created, as in the recorded run. Ids the
 * system generates differently (an edge creates rows in its own key range) are learned from the
 * answers and renamed in later requests, as verify does. Each request's latency and the WAN bytes
 * it caused (including the sync it triggers, counted once the system is quiet again) are
 * attributed to its service.
 */
async function measureReplay(topo: Topology, opts: BenchOptions, system: SystemName, rows: Map<string, ServiceRow>): Promise<void> {
  const ids = new IdMap();
  const sessions = new SessionMap();
  const echo = { map: new EchoMap(), wanted: sentInRecording(opts.workload.ordered.map((r) => requestOf(r.entry))) };
  const samples = new Map<string, { s: Sample[]; wan: number; served: ServedTally }>();
  const all = opts.workload.ordered;
  await topo.settle();
  for (const [i, req] of all.entries()) {
    opts.onProgress?.(`${system}: replaying ${i + 1}/${all.length} ${req.service}`);
    const before = wanBytes(topo.wan);
    let sample: Sample;
    let served: string | undefined;
    try {
      const r = await replayEntry(topo.front, req.entry, ids, opts.requestTimeoutMs ?? 60_000, sessions, echo);
      served = r.served;
      compareResponses(recordedResponse(req.entry), r, new Set(), ids, WRITE_METHODS.has(req.method), entryPath(req.entry));
      sample = { status: r.status, ms: r.ms, bytes: r.size };
    } catch (err: unknown) {
      sample = { status: 0, ms: NaN, bytes: 0, error: err instanceof Error ? err.message : String(err) };
    }
    // Reads leave nothing behind; a write may start sync or sit in a batch: wait for it.
    if (req.method !== 'GET' && req.method !== 'HEAD') await topo.settle();
    const acc = samples.get(req.service) ?? { s: [], wan: 0, served: { edge: 0, cloud: 0, fallback: 0 } };
    acc.s.push(sample);
    if (served === 'edge' || served === 'cloud' || served === 'fallback') acc.served[served]++;
    acc.wan += wanBytes(topo.wan) - before;
    samples.set(req.service, acc);
  }
  for (const svc of opts.workload.services) {
    const acc = samples.get(svc.service);
    if (!acc) continue;
    const row = rows.get(svc.service) ?? { service: svc.service, recorded: svc.requests.length, systems: {} };
    const prev = row.systems[system];
    // Several passes (--requests N) pool their samples.
    const merged = prev ? { s: [...prev.samples, ...acc.s], wan: prev.wanBytesPerRequest * prev.samples.length + acc.wan } : acc;
    const served = prev?.served ? { edge: prev.served.edge + acc.served.edge, cloud: prev.served.cloud + acc.served.cloud, fallback: prev.served.fallback + acc.served.fallback } : acc.served;
    const tallied = served.edge + served.cloud + served.fallback > 0;
    row.systems[system] = { latency: summarize(merged.s), wanBytesPerRequest: merged.wan / merged.s.length, samples: merged.s, ...(tallied ? { served } : {}) };
    rows.set(svc.service, row);
  }
}

/**
 * Logs in as the recording did: replays, once, each recorded request whose answer issued a
 * credential the workload sends, and returns the workload with the fresh credentials in place.
 */
async function withSessions(front: string, reqs: BenchRequest[], timeoutMs: number): Promise<BenchRequest[]> {
  const sent = new Set(reqs.flatMap((r) => tokensIn(Object.values(r.headers).join('\n'))));
  if (sent.size === 0) return reqs;
  const sessions = new SessionMap();
  for (const r of reqs) {
    const issued = `${r.entry.response.headers.map((h) => h.value).join('\n')}\n${r.entry.response.content.text ?? ''}`;
    if (tokensIn(issued).some((t) => sent.has(t))) await replayEntry(front, r.entry, undefined, timeoutMs, sessions).catch(() => undefined);
  }
  return reqs.map((r) => ({ ...r, headers: sessions.apply(r.headers).headers }));
}

/** Throughput of the mixed recorded workload with `concurrency` clients, bounded in count and time. */
async function measureThroughput(topo: Topology, opts: BenchOptions, system: SystemName, cond: Condition): Promise<GridPoint> {
  const agent = createAgent(opts.concurrency);
  const reqs: BenchRequest[] = await withSessions(topo.front, opts.workload.ordered, opts.requestTimeoutMs ?? 60_000);
  await topo.settle();
  const before = wanBytes(topo.wan);
  const samples: Sample[] = [];
  let next = 0;
  const t0 = performance.now();
  const deadline = t0 + opts.throughputSeconds * 1000;
  const worker = async (): Promise<void> => {
    while (next < opts.throughputRequests && performance.now() < deadline) {
      const req = reqs[next++ % reqs.length]!;
      samples.push(await send(agent, topo.front, req, opts.requestTimeoutMs ?? 60_000));
      opts.onProgress?.(`${system} @ ${cond.bandwidthMBps} MB/s, ${cond.delayMs} ms: ${samples.length} requests`);
    }
  };
  try {
    await Promise.all(Array.from({ length: opts.concurrency }, worker));
  } finally {
    agent.destroy();
  }
  const seconds = (performance.now() - t0) / 1000;
  await topo.settle();
  const stats = summarize(samples);
  const answered = samples.filter((s) => s.error === undefined).length;
  return {
    ...cond,
    system,
    concurrency: opts.concurrency,
    completed: answered,
    errors: stats.errors,
    seconds,
    throughputRps: answered / seconds,
    meanLatencyMs: stats.meanMs,
    p95LatencyMs: stats.p95Ms,
    wanBytesPerRequest: samples.length ? (wanBytes(topo.wan) - before) / samples.length : 0,
  };
}

function sameCondition(a: Condition, b: Condition): boolean {
  return a.bandwidthMBps === b.bandwidthMBps && a.delayMs === b.delayMs;
}

/** Runs the whole grid; every process and proxy it starts is stopped before it returns. */
export async function runBench(options: BenchOptions): Promise<BenchResult> {
  const notes: string[] = [];
  const opts: BenchOptions = {
    ...options,
    onNote: (msg) => {
      if (!notes.includes(msg)) notes.push(msg);
      options.onNote?.(msg);
    },
  };
  const rows = new Map<string, ServiceRow>();
  const grid: GridPoint[] = [];
  const conditions: Condition[] = [];
  for (const delayMs of opts.delays) for (const bandwidthMBps of opts.bandwidths) conditions.push({ bandwidthMBps, delayMs });
  if (!conditions.some((c) => sameCondition(c, opts.reference))) conditions.unshift(opts.reference);
  for (const cond of conditions) {
    for (const system of opts.systems) {
      // Extra in-order passes for Table II, each from a fresh init state.
      if (sameCondition(cond, opts.reference)) {
        for (let pass = 1; pass < opts.requests; pass++) {
          const t = await buildTopology(system, cond, opts);
          try {
            await measureReplay(t, opts, system, rows);
          } finally {
            await t.close();
          }
        }
      }
      const topo = await buildTopology(system, cond, opts);
      try {
        if (sameCondition(cond, opts.reference)) await measureReplay(topo, opts, system, rows);
        if (opts.bandwidths.includes(cond.bandwidthMBps) && opts.delays.includes(cond.delayMs)) {
          grid.push(await measureThroughput(topo, opts, system, cond));
        }
      } finally {
        await topo.close();
      }
    }
  }
  return {
    schemaVersion: 1,
    createdAt: new Date().toISOString(),
    subject: opts.subject,
    shaping: opts.kernelShaping ? 'kernel' : 'user-space',
    reference: opts.reference,
    requestsPerService: opts.requests,
    settings: {
      concurrency: opts.concurrency,
      throughputRequests: opts.throughputRequests,
      throughputSeconds: opts.throughputSeconds,
      cacheTtlMs: opts.cacheTtlMs ?? 10_000,
      batchIntervalMs: opts.batchIntervalMs ?? 1000,
      batchMax: opts.batchMax ?? 10,
    },
    services: [...rows.values()],
    grid,
    notes,
  };
}
