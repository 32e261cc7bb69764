/**
 * `edgstr bench` as a library: recorded traffic + generated DIR -> measurements -> report files.
 * The CLI and the demo call {@link bench}; tests call {@link runBench} with their own launcher.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { UserError } from '../model/errors.js';
import { DEFAULT_PHASES, matchesRoute, runAdaptiveBench, type AdaptiveResult, type Phase, type ClientRequestSpec } from './adaptive.js';
import { writeAdaptiveReport } from './adaptive-report.js';
import { createProjectLauncher, type Launcher } from './launcher.js';
import { runBench } from './measure.js';
import { kernelShapingAvailable } from './netns-link.js';
import { writeReport } from './report.js';
import { SYSTEMS, type BenchResult, type Condition, type SystemName } from './result.js';
import { loadWorkload } from './workload.js';
import { trafficFileFor } from '../model/analysis.js';

export { runBench, type BenchOptions } from './measure.js';
export { writeReport, renderTableII, renderCharts } from './report.js';
export type { BenchResult, SystemName } from './result.js';
export { parsePhases, parseRequest, type AdaptiveResult, type Phase } from './adaptive.js';
export { adaptiveGaps, renderAdaptiveTable } from './adaptive-report.js';

/** The grids: the default one runs in minutes; --full is the paper's range and takes an hour or more. */
export const GRIDS = {
  quick: { bandwidths: [0.1, 1], delays: [100], requests: 1, throughputRequests: 40, throughputSeconds: 5 },
  default: { bandwidths: [0.1, 0.5, 1, 5], delays: [100], requests: 1, throughputRequests: 100, throughputSeconds: 10 },
  full: { bandwidths: [0.1, 0.25, 0.5, 1, 2, 5], delays: [100, 250, 500, 1000], requests: 3, throughputRequests: 200, throughputSeconds: 20 },
} as const;

export interface BenchCommandOptions {
  out: string;
  workdir: string;
  report?: string;
  grid: keyof typeof GRIDS;
  bandwidths?: number[];
  delays?: number[];
  requests?: number;
  concurrency?: number;
  systems?: SystemName[];
  /** false: never shape in the kernel, even as root. */
  netns?: boolean;
  loss?: number;
  onProgress?: (msg: string) => void;
  onInfo?: (msg: string) => void;
  /** Tests and the stand-in script inject their own cloud/edge starter. */
  launcher?: Launcher;
  subject?: string;
  /** The recorded traffic to replay (default: the traffic analyze used, see trafficFileFor). */
  traffic?: string;
}

/** The condition of Table II: the middle bandwidth of the list and the first delay. */
export function referenceCondition(bandwidths: number[], delays: number[]): Condition {
  const sorted = [...bandwidths].sort((a, b) => a - b);
  return { bandwidthMBps: sorted[Math.floor((sorted.length - 1) / 2)]!, delayMs: delays[0]! };
}

export function parseSystems(list: string[]): SystemName[] {
  for (const s of list) {
    if (!(SYSTEMS as readonly string[]).includes(s)) throw new UserError(`--systems: unknown system "${s}"; use some of ${SYSTEMS.join(', ')}`);
  }
  return list as SystemName[];
}

export async function bench(opts: BenchCommandOptions): Promise<{ result: BenchResult; reportDir: string; files: string[] }> {
  const grid = GRIDS[opts.grid];
  const bandwidths = opts.bandwidths ?? [...grid.bandwidths];
  const delays = opts.delays ?? [...grid.delays];
  for (const b of bandwidths) if (!(b > 0)) throw new UserError(`--bandwidths: ${b} is not a positive number of MB/s (e.g. 0.1,1,5)`);
  for (const d of delays) if (!(d >= 0)) throw new UserError(`--delays: ${d} is not a one-way delay in ms (e.g. 100,500)`);
  const workdir = resolve(opts.workdir);
  const workload = loadWorkload(trafficFileFor(workdir, opts.traffic), join(workdir, 'analysis.json'));
  const shaping = kernelShapingAvailable();
  const kernel = opts.netns !== false && shaping.ok;
  opts.onInfo?.(kernel ? 'WAN: bandwidth shaped by tc htb in network namespaces, delay by the user-space proxy' : `WAN: user-space proxy only (${opts.netns === false ? '--no-netns' : shaping.reason})`);
  const launcher = opts.launcher ?? (await createProjectLauncher({ generatedDir: opts.out, onInfo: opts.onInfo }));
  let result: BenchResult;
  try {
    result = await runBench({
      workload,
      launcher,
      subject: opts.subject ?? resolve(opts.out),
      systems: opts.systems ?? [...SYSTEMS],
      bandwidths,
      delays,
      reference: referenceCondition(bandwidths, delays),
      requests: opts.requests ?? grid.requests,
      concurrency: opts.concurrency ?? 4,
      throughputRequests: grid.throughputRequests,
      throughputSeconds: grid.throughputSeconds,
      kernelShaping: kernel,
      loss: opts.loss,
      onProgress: opts.onProgress,
      onNote: (msg) => opts.onInfo?.(`note: ${msg}`),
    });
  } finally {
    await launcher.dispose();
  }
  const reportDir = resolve(opts.report ?? join(workdir, 'bench'));
  const { files } = writeReport(reportDir, result);
  return { result, reportDir, files };
}

export interface AdaptiveCommandOptions {
  out: string;
  workdir: string;
  report?: string;
  phases?: Phase[];
  /** ms added to every local run of every edge (default 150, or 0 with a CPU quota). */
  slowdownMs?: number;
  /** Hold every edge process to this % of one core (cgroups, root). */
  cpuQuotaPercent?: number;
  /** The request to send (`--request "GET /items/1"`); default: a recorded GET of a read-only accepted service. */
  request?: { method: string; path: string };
  traffic?: string;
  onProgress?: (msg: string) => void;
  onInfo?: (msg: string) => void;
  launcher?: Launcher;
  secret?: string;
}

/**
 * `edgstr bench --scenario adaptive`: adaptive vs always-edge vs always-cloud on the generated
 * projects under a WAN whose delay changes per phase (see adaptive.ts); writes adaptive.md,
 * adaptive.svg and adaptive.json into the report dir.
 */
export async function benchAdaptive(opts: AdaptiveCommandOptions): Promise<{ result: AdaptiveResult; reportDir: string; files: string[] }> {
  const workdir = resolve(opts.workdir);
  const slowdownMs = opts.slowdownMs ?? (opts.cpuQuotaPercent ? 0 : 150);
  let recorded: { service: string; request: ClientRequestSpec }[] = [];
  if (!opts.request) {
    const harFile = trafficFileFor(workdir, opts.traffic);
    if (!existsSync(harFile)) throw new UserError(`no recorded traffic at ${harFile} to pick a request from: pass --request "GET /path" (a read-only accepted service) or --workdir`);
    const workload = loadWorkload(harFile, join(workdir, 'analysis.json'));
    recorded = workload.ordered.filter((r) => r.method === 'GET' && !r.body?.length).map((r) => ({ service: r.service, request: { method: r.method, path: r.path, headers: r.headers } }));
  }
  const secret = opts.secret ?? randomBytes(16).toString('hex');
  const launcher = opts.launcher ?? (await createProjectLauncher({ generatedDir: opts.out, onInfo: opts.onInfo, secret }));
  let result: AdaptiveResult;
  try {
    result = await runAdaptiveBench({
      launcher,
      secret,
      phases: opts.phases ?? DEFAULT_PHASES,
      slowdownMs,
      cpuQuotaPercent: opts.cpuQuotaPercent,
      onProgress: opts.onProgress,
      pickRequest: (placed) => {
        if (opts.request) {
          const { method, path } = opts.request;
          const id = Object.keys(placed).find((s) => s.startsWith(`${method} `) && matchesRoute(s.slice(method.length + 1), path));
          if (!id) throw new UserError(`--request ${method} ${path}: no service accepted at the edge matches it (accepted: ${Object.keys(placed).join(', ') || 'none'})`);
          return { service: id, request: { method, path, headers: {} } };
        }
        const pick = recorded.find((r) => placed[r.service]?.readOnly);
        if (!pick) throw new UserError(`no recorded GET of a read-only service accepted at the edge (accepted: ${Object.keys(placed).join(', ') || 'none'}): pass --request "GET /path"`);
        return pick;
      },
    });
  } finally {
    await launcher.dispose();
  }
  const reportDir = resolve(opts.report ?? join(workdir, 'bench'));
  return { result, reportDir, files: writeAdaptiveReport(reportDir, result) };
}
