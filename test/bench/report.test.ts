import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCharts, renderTableII, writeReport } from '../../src/bench/report.js';
import type { BenchResult, GridPoint, ServiceMeasure } from '../../src/bench/result.js';
import { xmlProblems } from './xml-check.js';

const m = (meanMs: number, wan: number, statuses: Record<string, number> = { '200': 5 }): ServiceMeasure => ({
  latency: { count: 5, errors: 0, meanMs, p50Ms: meanMs, p95Ms: meanMs, statuses },
  wanBytesPerRequest: wan,
  samples: [],
});

const point = (system: GridPoint['system'], bandwidthMBps: number, throughputRps: number, meanLatencyMs: number): GridPoint => ({
  system, bandwidthMBps, delayMs: 100, concurrency: 4, completed: 40, errors: 0, seconds: 2, throughputRps, meanLatencyMs, p95LatencyMs: meanLatencyMs, wanBytesPerRequest: 500,
});

const result: BenchResult = {
  schemaVersion: 1,
  createdAt: '2026-01-01T00:00:00.000Z',
  subject: 'synthetic',
  shaping: 'user-space',
  reference: { bandwidthMBps: 0.5, delayMs: 100 },
  requestsPerService: 5,
  settings: { concurrency: 4, throughputRequests: 40, throughputSeconds: 5, cacheTtlMs: 10000, batchIntervalMs: 1000, batchMax: 10 },
  services: [
    { service: 'GET /donuts/:id', recorded: 3, systems: { original: m(240, 1320), edgstr: m(12, 0), caching: m(90, 400), batching: m(241, 1320) } },
    { service: 'POST /orders', recorded: 2, systems: { original: m(260, 900, { '201': 4, '500': 1 }), edgstr: m(260, 950) } },
  ],
  grid: [
    point('original', 0.1, 5, 800), point('original', 1, 20, 200), point('original', 5, 30, 150),
    point('edgstr', 0.1, 3, 900), point('edgstr', 1, 40, 100), point('edgstr', 5, 60, 60),
  ],
  notes: ['synthetic numbers for a test'],
};

describe('Table II', () => {
  it('has one row per service with L_o, L_e, speedup, WAN_o, WAN_e', () => {
    const md = renderTableII(result);
    const lines = md.trim().split('\n');
    expect(lines[0]).toBe('| service | L_o (ms) | L_e (ms) | speedup | WAN_o (B/req) | WAN_e (B/req) | ok o / e | served at edge |');
    expect(lines).toHaveLength(4);
    expect(lines[2]).toBe('| `GET /donuts/:id` | 240 | 12.0 | 20.0× | 1320 | 0 | 5/5 / 5/5 | – |');
    // Failed answers are visible: 4 of 5 below 400.
    expect(lines[3]).toBe('| `POST /orders` | 260 | 260 | 1.0× | 900 | 950 | 4/5 / 5/5 | – |');
  });

  it('shows how many of edgstr\'s answers the edge served itself', () => {
    const r: BenchResult = { ...result, services: [{ service: 'POST /x', recorded: 5, systems: { original: m(100, 10), edgstr: { ...m(10, 0), served: { edge: 4, cloud: 0, fallback: 1 } } } }] };
    expect(renderTableII(r).trim().split('\n')[2]).toMatch(/\| 4\/5 \(1 fallback\) \|$/);
  });

  it('shows a dash for a system that was not measured', () => {
    const r: BenchResult = { ...result, services: [{ service: 'GET /x', recorded: 1, systems: { original: m(100, 10) } }] };
    expect(renderTableII(r).trim().split('\n')[2]).toBe('| `GET /x` | 100 | – | – | 10 | – | 5/5 / – | – |');
  });
});

describe('charts and report files', () => {
  it('marks the throughput crossover and the latency crossover', () => {
    const charts = renderCharts(result);
    expect(charts.map((c) => c.file)).toEqual(['throughput-vs-bandwidth-100ms.svg', 'latency-vs-bandwidth-100ms.svg']);
    for (const c of charts) {
      expect(xmlProblems(c.svg)).toEqual([]);
      expect(c.crossover).not.toBeNull();
      expect(c.crossover!.x).toBeGreaterThan(0.1);
      expect(c.crossover!.x).toBeLessThan(1);
      expect(c.svg).toContain('edgstr overtakes original');
    }
  });

  it('writes bench.json, report.md and the charts', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-report-'));
    try {
      const { files } = writeReport(dir, result);
      expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['bench.json', 'latency-vs-bandwidth-100ms.svg', 'report.md', 'throughput-vs-bandwidth-100ms.svg']);
      expect(JSON.parse(readFileSync(join(dir, 'bench.json'), 'utf8'))).toEqual(result);
      const md = readFileSync(join(dir, 'report.md'), 'utf8');
      expect(md).toContain('## Table II analogue');
      expect(md).toContain('![throughput-vs-bandwidth-100ms.svg](throughput-vs-bandwidth-100ms.svg)');
      expect(md).toContain('- synthetic numbers for a test');
      expect(existsSync(join(dir, 'latency-vs-bandwidth-100ms.svg'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
