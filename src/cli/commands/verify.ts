import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { log, printJson } from '../../util/log.js';
import { verifyGenerated, type VerifyReport } from '../../verify/index.js';
import { withCommonOptions } from '../command.js';
import { QuietExit } from '../../model/errors.js';
import { parseMilliseconds, parsePositiveInt, resolveWorkdir, type CommonOptions } from '../options.js';

interface VerifyFlags extends CommonOptions {
  out: string;
  edges?: number;
  traffic?: string;
  wanDelay?: number;
}

function printReport(r: VerifyReport): void {
  const out = (s: string): void => void process.stdout.write(`${s}\n`);
  const width = Math.max(20, ...r.services.map((s) => s.id.length));
  out(`${'service'.padEnd(width)}  passed  failed`);
  for (const s of r.services) out(`${s.id.padEnd(width)}  ${String(s.passed).padStart(6)}  ${String(s.failed).padStart(6)}`);
  for (const q of r.requests.filter((x) => !x.ok)) {
    const why = q.error ?? (q.statusExpected !== q.statusActual ? `status ${q.statusExpected} -> ${q.statusActual}` : q.differences.map((d) => `${d.path}: ${JSON.stringify(d.expected)} -> ${JSON.stringify(d.actual)}`.slice(0, 160)).join('; '));
    out(`  FAIL #${q.index} ${q.method} ${q.path} via ${q.edge}: ${why}`);
  }
  out(`convergence: ${r.convergence.ok ? 'all replicas identical' : 'DIFFERENT'} (${r.convergence.replicas.map((x) => x.name).join(', ')})`);
  for (const d of r.convergence.differences) out(`  ${d}`);
  out(`served at the edge: ${r.served.ok ? 'every accepted service' : 'NOT every accepted service'}`);
  out(`  ${'service'.padEnd(width)}  accepted  edge  cloud  fallback`);
  for (const s of r.served.services) out(`  ${s.id.padEnd(width)}  ${(s.local ? 'yes' : 'no').padStart(8)}  ${String(s.edge).padStart(4)}  ${String(s.cloud).padStart(5)}  ${String(s.fallback).padStart(8)}`);
  for (const p of r.served.problems) out(`  ${p}`);
  if (r.unsettled > 0) out(`note: ${r.unsettled} time(s) the replicas had not settled within 4 s before switching edges (slow sync)`);
  if (r.originalUnstable) out(`note: the original itself answered ${r.originalUnstable.length} request(s) with another status than recorded, in every attempt (first: ${r.originalUnstable[0]}); their fields were not compared`);
  if (r.failed > 0 || !r.convergence.ok || !r.served.ok) out("the processes' last lines are in verify.json (logs)");
  out(`${r.passed} passed, ${r.failed} failed`);
}

export function registerVerify(program: Command): void {
  withCommonOptions(
    program
      .command('verify')
      .description('replay the traffic through generated edges, compare with the recording, check the replicas converge')
      .requiredOption('--out <dir>', 'directory written by `edgstr generate`')
      .option('--edges <n>', 'number of edges to start (default: as many as were generated)', parsePositiveInt)
      .option('--traffic <file>', 'recorded traffic to replay (default: the traffic analyze used, else <workdir>/traffic.har)')
      .option('--wan-delay <ms>', 'one-way delay between each edge and the cloud (user-space WAN emulator), e.g. 150', parseMilliseconds),
  ).action(async (flags: VerifyFlags) => {
    const workdir = resolveWorkdir(flags);
    const outDir = resolve(flags.out);
    const report = await verifyGenerated({ workdir, outDir, edges: flags.edges, traffic: flags.traffic, wanDelayMs: flags.wanDelay, log: (m) => log.progress(m) });
    log.progressDone();
    writeJsonAtomic(join(workdir, 'verify.json'), report);
    if (flags.json) printJson(report);
    else printReport(report);
    // Exit 1 when a request failed, the replicas differ or an accepted service was not served at the edge; the last line stays "N passed, M failed"
    // (requests only; convergence has its own line above it; details in verify.json).
    if (report.failed > 0 || !report.convergence.ok || !report.served.ok) throw new QuietExit(1);
  });
}
