import path from 'node:path';
import type { Command } from 'commander';
import { analyzeApp } from '../../analyze/analyze.js';
import { log, printJson } from '../../util/log.js';
import { withCommonOptions } from '../command.js';
import { parseList, parsePositiveInt, resolveWorkdir, type CommonOptions } from '../options.js';

interface AnalyzeFlags extends CommonOptions {
  app: string;
  start?: string;
  traffic?: string;
  fuzz: number;
  only?: string[];
  explain?: boolean;
}

export function registerAnalyze(program: Command): void {
  withCommonOptions(
    program
      .command('analyze')
      .description('instrument the app, replay and fuzz the traffic, find each service code and state')
      .requiredOption('--app <dir>', 'the app to analyze (never modified: analyze works on a copy)')
      .option('--start <cmd>', 'start command (default: its package.json start script)')
      .option('--traffic <file>', 'recorded traffic (default: <workdir>/traffic.har)')
      .option('--fuzz <m>', 'fuzzed variants per request', (v) => parsePositiveInt(v), 3)
      .option('--only <list>', 'analyze only these services (comma-separated "METHOD /route")', parseList)
      .option('--explain', 'print why each statement is in each service slice (stderr)')
      .allowUnknownOption(false),
  ).action(async (flags: AnalyzeFlags) => {
    const workdir = resolveWorkdir(flags);
    const res = await analyzeApp({
      appDir: flags.app,
      appDirAsGiven: flags.app,
      start: flags.start,
      traffic: flags.traffic ?? path.join(workdir, 'traffic.har'),
      workdir,
      fuzz: flags.fuzz,
      only: flags.only,
      progress: (m) => log.progress(m),
    });
    log.progressDone();
    for (const w of res.warnings) log.warn(w);
    if (flags.explain) {
      for (const s of res.services) {
        log.info(`${s.id}:`);
        for (const line of s.explanation) log.info(`  ${line}`);
      }
    }
    const summary = {
      analysis: res.analysisFile,
      timingsMs: res.timings,
      services: res.services.map((s) => ({ id: s.id, stateful: s.stateful, replicable: s.replicable, runs: s.runs, entry: s.entry, exit: s.exit, state: s.state })),
      warnings: res.warnings,
    };
    if (flags.json) printJson(summary);
    else {
      for (const s of res.services) {
        log.info(`${s.id.padEnd(40)} ${s.stateful ? 'stateful ' : 'stateless'} ${s.replicable ? '' : `NOT replicable: ${s.reason ?? ''}`}`);
      }
      log.info(`wrote ${res.analysisFile} (${res.services.length} services)`);
    }
  });
}
