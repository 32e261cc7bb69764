import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../../model/errors.js';
import { parseList, parsePositiveInt, type CommonOptions } from '../options.js';
import { bench, parseSystems, type BenchCommandOptions } from '../../bench/index.js';
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
}

function numberList(flag: string): (value: string) => number[] {
  return (value) => {
    const nums = value.split(',').map((s) => Number(s.trim()));
    if (nums.length === 0 || nums.some((n) => !Number.isFinite(n) || n < 0)) throw new InvalidArgumentError(`${flag} takes comma-separated numbers, e.g. 0.1,1,5`);
    return nums;
  };
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
    .action(async (flags: BenchFlags) => {
      if (!flags.out) throw new UserError('bench needs --out DIR, the directory `edgstr generate --target node --out DIR` wrote');
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
