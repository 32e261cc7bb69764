import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { initStateDir, readInitState, snapshotInitState } from '../../model/init-state.js';
import { readTraffic } from '../../model/traffic.js';
import { Option, type Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../../model/errors.js';
import { parsePort, parsePositiveInt, resolveWorkdir, type CommonOptions } from '../options.js';
import { log, printJson } from '../../util/log.js';
import { redactionFor } from '../../record/har-entry.js';
import { startRecorder } from '../../record/recorder.js';
import { recordPcap } from '../../record/pcap/record-pcap.js';

interface RecordFlags extends CommonOptions {
  target?: string;
  port: number;
  host: string;
  out?: string;
  maxRequests?: number;
  redact?: boolean | string[];
  pcap?: string;
  serverPort?: number;
  app?: string;
}

export function registerRecord(program: Command): void {
  withCommonOptions(program.command('record').description('record live HTTP traffic (proxy) or a pcap capture into a HAR file'))
    .option('--target <url>', 'origin of the server to record (proxy mode), e.g. http://127.0.0.1:3000')
    .option('--port <n>', 'port the recording proxy listens on', parsePort, 8080)
    .option('--host <host>', 'address the recording proxy listens on', '127.0.0.1')
    .option('--out <file>', 'HAR file to append to (default <workdir>/traffic.har)')
    .option('--max-requests <n>', 'stop after N exchanges', parsePositiveInt)
    // --redact NAME... and --no-redact share one attribute: undefined (defaults), names, or false.
    .addOption(new Option('--redact <names...>', 'more header names to redact (besides Authorization, Cookie, Set-Cookie)').argParser(collectNames))
    .option('--no-redact', 'keep Authorization, Cookie and Set-Cookie values')
    .option('--app <dir>', "the app's folder: keep its data (SQLite databases, data files) as the init state analyze replays from")
    .option('--pcap <file>', 'read a classic pcap capture instead of proxying')
    .option('--server-port <n>', 'TCP port of the HTTP server in the capture (with --pcap)', parsePort)
    .action(async (flags: RecordFlags) => {
      const out = flags.out ?? join(resolveWorkdir(flags), 'traffic.har');
      const redact = redactionFor(flags.redact !== false, Array.isArray(flags.redact) ? flags.redact : []);
      if (flags.pcap !== undefined) {
        if (flags.target !== undefined) throw new UserError('give either --target (live proxy) or --pcap (capture), not both');
        if (flags.app !== undefined) throw new UserError('--app keeps the data of a live app when recording starts; with --pcap the capture is already over: reset the app to its state before the capture instead');
        if (flags.serverPort === undefined) throw new UserError('--pcap needs --server-port N: the port the HTTP server listened on in the capture');
        const result = await recordPcap({ file: flags.pcap, serverPort: flags.serverPort, out, redact });
        for (const w of result.warnings) log.warn(w);
        log.info(`recorded ${result.recorded} exchanges from ${flags.pcap} into ${out}`);
        if (flags.json) printJson(result);
        return;
      }
      if (flags.target === undefined) throw new UserError('record needs --target URL (live proxy) or --pcap FILE --server-port N');
      if (flags.app !== undefined) await keepInitState(flags.app, resolveWorkdir(flags), out);
      const rec = await startRecorder({
        target: flags.target,
        port: flags.port,
        host: flags.host,
        out,
        redact,
        ...(flags.maxRequests !== undefined ? { maxRequests: flags.maxRequests } : {}),
      });
      log.info(`edgstr record: listening on ${rec.url}, forwarding to ${flags.target}, appending to ${out} (Ctrl-C to stop)`);
      const stop = (): void => {
        void rec.close();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      const summary = await rec.done;
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      log.info(`edgstr record: ${summary.recorded} exchanges recorded (${summary.failed} failed), ${summary.totalEntries} in ${out}`);
      if (flags.json) printJson(summary);
    });
}

function collectNames(value: string, previous: string[] | undefined): string[] {
  const names = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return [...(previous ?? []), ...names];
}

/**
 * Keeps the app's data as the init state before the first exchange. Appending to a recording
 * keeps the init state its first session took (that is where its traffic started from).
 */
async function keepInitState(app: string, workdir: string, out: string): Promise<void> {
  const appending = existsSync(out) && statSync(out).size > 0 && readTraffic(out).log.entries.length > 0;
  if (appending && readInitState(workdir) !== null) {
    log.info(`edgstr record: appending to ${out}: keeping the init state its first session kept in ${initStateDir(workdir)}`);
    return;
  }
  const m = await snapshotInitState(app, workdir, [out]);
  log.info(`edgstr record: kept the app's data as the init state (${m.files.length} file(s)${m.skipped.length > 0 ? `; too large to keep: ${m.skipped.join(', ')}` : ''}) in ${initStateDir(workdir)}`);
  if (appending) log.warn(`${out} already holds exchanges recorded before this init state was kept: analyze replays them from it too`);
}
