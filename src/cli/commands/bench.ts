import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../../model/errors.js';
import { parseList, parsePositiveInt, type CommonOptions } from '../options.js';
import { bench, benchAdaptive, parsePhases, parseRequest, parseSystems, renderAdaptiveTable, type BenchCommandOptions } from '../../bench/index.js';
import { renderTableII } from '../../bench/report.js';
import { log, printJson } from '../../util/log.js';

interface BenchFlags extends CommonOptions {
  out?: string;
  report?: string;
  bandwidths?: number[];
  delays?: number[];
  requests?: number;
  concurrency?: number;
  systems?: string[];
  full?: boolean;
  quick?: boolean;
  netns: boolean;
  loss?: number;
  label?: string;
  traffic?: string;
  scenario?: string;
  phases?: string;
  edgeSlowdownMs?: number;
  edgeCpuQuota?: number;
  request?: string;
}

function numberList(flag: string): (value: string) => number[] {
  return (value) => {
    const nums = value.split(',').map((s) => Number(s.trim()));
    if (nums.length === 0 || nums.some((n) => !Number.isFinite(n) || n < 0)) throw new InvalidArgumentError(`${flag} takes comma-separated numbers, e.g. 0.1,1,5`);
    return nums;
  };
}

function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected a whole number of ms, 0 or more');
  return n;
}

function probability(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('expected a probability 0 <= p < 1');
  return n;
}

export function registerBench(program: Command): void {
  withCommonOptions(
    program
      .command('bench')
      .description('measure latency, throughput and WAN bytes of the original vs the edge (and caching/batching baselines) under an emulated WAN'),
  )
    .option('--out <dir>', 'the generated output DIR (holding cloud/ and edge/)')
    .option('--report <dir>', 'where to write the report (default <workdir>/bench)')
    .option('--bandwidths <list>', 'WAN bandwidths in MB/s, comma-separated (default 0.1,0.5,1,5)', numberList('--bandwidths'))
    .option('--delays <list>', 'one-way WAN delays in ms, comma-separated (default 100)', numberList('--delays'))
    .option('--requests <n>', 'in-order replays of the recording for the latency table, each from the init state (default 1)', parsePositiveInt)
    .option('--concurrency <n>', 'concurrent clients for throughput (default 4)', parsePositiveInt)
    .option('--systems <list>', 'which of original,edgstr,caching,batching to measure (default all)', parseList)
    .option('--full', 'the full grid: 0.1-5 MB/s x 100-1000 ms (takes an hour or more)')
    .option('--quick', 'a short run (2 bandwidths, few requests), as in the demo')
    .option('--no-netns', 'never shape bandwidth in the kernel, even as root (user-space proxy only)')
    .option('--loss <p>', 'segment loss probability on the WAN (default 0)', probability)
    .option('--traffic <file>', 'recorded traffic to replay (default: the traffic analyze used, else <workdir>/traffic.har)')
    .option('--label <text>', 'what was measured, for the report title (default: the --out DIR)')
    .option('--scenario <name>', 'grid (the default: the measurements above) or adaptive (adaptive vs always-edge vs always-cloud placement under a WAN delay that changes per phase)')
    .option('--phases <list>', 'adaptive: DELAY_MS:SECONDS per phase, one-way WAN delay (default 5:15,300:15,5:15)')
    .option('--edge-slowdown-ms <n>', 'adaptive: ms added to every local run of every edge, a slower device (default 150; 0 with --edge-cpu-quota)', parseNonNegativeInt)
    .option('--edge-cpu-quota <percent>', 'adaptive: hold every edge process to this % of one core (Linux cgroups, as root)', parseNonNegativeInt)
    .option('--request <"METHOD /path">', 'adaptive: the request the clients send (default: a recorded GET of a read-only accepted service)')
    .action(async (flags: BenchFlags) => {
      if (!flags.out) throw new UserError('bench needs --out DIR, the directory `edgstr generate --target node --out DIR` wrote');
      const scenario = flags.scenario ?? 'grid';
      if (scenario !== 'grid' && scenario !== 'adaptive') throw new UserError(`--scenario: unknown scenario "${scenario}"; use grid or adaptive`);
      const adaptiveOnly = (['phases', 'edgeSlowdownMs', 'edgeCpuQuota', 'request'] as const).filter((k) => flags[k] !== undefined);
      if (scenario === 'grid' && adaptiveOnly.length) throw new UserError(`--${adaptiveOnly[0]!.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} belongs to --scenario adaptive`);
      if (scenario === 'adaptive') {
        const { result, reportDir, files } = await benchAdaptive({
          out: flags.out,
          workdir: flags.workdir,
          report: flags.report,
          phases: flags.phases === undefined ? undefined : parsePhases(flags.phases),
          slowdownMs: flags.edgeSlowdownMs,
          cpuQuotaPercent: flags.edgeCpuQuota,
          request: flags.request === undefined ? undefined : parseRequest(flags.request),
          traffic: flags.traffic,
          onProgress: (msg) => log.progress(msg),
          onInfo: (msg) => {
            log.progressDone();
            log.info(msg);
          },
        });
        log.progressDone();
        if (flags.json) {
          printJson({ reportDir, files, result: { ...result, samples: undefined } });
          return;
        }
        log.info(renderAdaptiveTable(result));
        log.info(`report: ${reportDir}/adaptive.md (${files.length} files)`);
        return;
      }
      if (flags.full && flags.quick) throw new UserError('--full and --quick exclude each other: pick one');
      const opts: BenchCommandOptions = {
        out: flags.out,
        workdir: flags.workdir,
        report: flags.report,
        grid: flags.full ? 'full' : flags.quick ? 'quick' : 'default',
        bandwidths: flags.bandwidths,
        delays: flags.delays,
        requests: flags.requests,
        concurrency: flags.concurrency,
        systems: flags.systems ? parseSystems(flags.systems) : undefined,
        netns: flags.netns,
        loss: flags.loss,
        subject: flags.label,
        traffic: flags.traffic,
        onProgress: (msg) => log.progress(msg),
        onInfo: (msg) => {
          log.progressDone();
          log.info(msg);
        },
      };
      const { result, reportDir, files } = await bench(opts);
      log.progressDone();
      if (flags.json) {
        printJson({ reportDir, files, result });
        return;
      }
      log.info(renderTableII(result));
      log.info(`report: ${reportDir}/report.md (${files.length} files)`);
    });
}
