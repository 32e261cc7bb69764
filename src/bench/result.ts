/**
 * bench.json: what `edgstr bench` measured. The Markdown table and the SVG charts are rendered
 * from this document alone, so a report can be re-rendered without measuring again.
 */
import type { LatencyStats, Sample } from './http-client.js';

/** The systems measured side by side (the paper's §IV-E: original, edgstr, two baselines). */
export const SYSTEMS = ['original', 'edgstr', 'caching', 'batching'] as const;
export type SystemName = (typeof SYSTEMS)[number];

/** One network condition of the grid. */
export interface Condition {
  /** WAN bandwidth per direction, MB/s (1 MB = 10^6 bytes). */
  bandwidthMBps: number;
  /** One-way WAN delay, ms (RTT = 2 × delay). */
  delayMs: number;
}

/** One system's per-service numbers at the reference condition. */
export interface ServiceMeasure {
  latency: LatencyStats;
  /** Bytes that crossed the WAN (both directions) per request of this service. */
  wanBytesPerRequest: number;
  /** Every request's outcome, in replay order. */
  samples: Sample[];
  /** edgstr: how many answers the edge served itself, forwarded, or took from the cloud after a failed local run (x-edgstr-served). */
  served?: ServedTally;
}

export interface ServedTally {
  edge: number;
  cloud: number;
  fallback: number;
}

/** One row of Table II. */
export interface ServiceRow {
  service: string;
  recorded: number;
  systems: Partial<Record<SystemName, ServiceMeasure>>;
}

/** Throughput and latency of one system under one condition (the mixed recorded workload). */
export interface GridPoint extends Condition {
  system: SystemName;
  concurrency: number;
  completed: number;
  errors: number;
  seconds: number;
  throughputRps: number;
  meanLatencyMs: number;
  p95LatencyMs: number;
  wanBytesPerRequest: number;
}

/** The whole bench.json document. */
export interface BenchResult {
  schemaVersion: 1;
  createdAt: string;
  /** What ran: the generated DIR, or a description of the stand-ins. */
  subject: string;
  /** "kernel" = tc htb in network namespaces + user-space delay; "user-space" = the proxy alone. */
  shaping: 'kernel' | 'user-space';
  reference: Condition;
  requestsPerService: number;
  settings: { concurrency: number; throughputRequests: number; throughputSeconds: number; cacheTtlMs: number; batchIntervalMs: number; batchMax: number };
  services: ServiceRow[];
  grid: GridPoint[];
  notes: string[];
}
