/**
 * `edgstr bench` as a library: recorded traffic + generated DIR -> measurements -> report files.
 * The CLI and the demo call {@link bench}; tests call {@link runBench} with their own launcher.
 */
import { join, resolve } from 'node:path';
import { UserError } from '../model/errors.js';
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
