import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import pc from 'picocolors';
import { withCommonOptions } from '../command.js';
import { parseList, resolveWorkdir, type CommonOptions } from '../options.js';
import { reviewJson, runReview } from '../../review/index.js';
import { renderPlan, renderSummary } from '../../review/present-terminal.js';
import { log, printJson } from '../../util/log.js';

interface ReviewFlags extends CommonOptions {
  accept?: string;
  reject?: string;
  html?: string;
}

/** Who decides: the OS account, else $USER (userInfo throws for uids without a passwd entry). */
function whoAmI(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? 'unknown';
  }
}

export function registerReview(program: Command): void {
  withCommonOptions(
    program
      .command('review')
      .description('decide per service whether eventual consistency is acceptable; writes decisions.json')
      .option('--accept <list>', "'all' or comma-separated services (METHOD /route) to answer at the edge")
      .option('--reject <list>', 'comma-separated services to always forward to the cloud')
      .option('--html <file>', 'also write the review as one self-contained HTML page'),
  ).action(async (flags: ReviewFlags) => {
    const accept = flags.accept === undefined ? undefined : flags.accept.trim().toLowerCase() === 'all' ? ('all' as const) : parseList(flags.accept);
    const interactive = accept === undefined && flags.reject === undefined && process.stdin.isTTY === true && process.stderr.isTTY === true;
    const colors = pc.createColors(process.stderr.isTTY === true && !process.env.NO_COLOR);
    const result = await runReview({
      workdir: resolveWorkdir(flags),
      selection: { ...(accept !== undefined ? { accept } : {}), ...(flags.reject !== undefined ? { reject: parseList(flags.reject) } : {}) },
      prompt: interactive ? { input: process.stdin, output: process.stderr } : null,
      ...(flags.html !== undefined ? { html: resolve(flags.html) } : {}),
      who: whoAmI(),
      when: new Date().toISOString(),
      colors,
    });
    log.info(result.interactive ? `\n${renderSummary(result.plan, colors, result.decisions)}` : renderPlan(result.plan, colors, result.decisions));
    for (const n of result.notes) log.info(`note: ${n}`);
    log.info(`wrote ${result.decisionsFile}${result.htmlFile ? ` and ${result.htmlFile}` : ''}`);
    if (flags.json) printJson(reviewJson(result));
  });
}
