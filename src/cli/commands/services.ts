import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../../model/errors.js';
import { resolveWorkdir, type CommonOptions } from '../options.js';
import { isFailedEntry, readTraffic } from '../../model/traffic.js';
import { log, printJson } from '../../util/log.js';
import { writeJsonAtomic } from '../../util/atomic-write.js';
import { describeSubject, toOpenApi } from '../../services/index.js';

interface ServicesFlags extends CommonOptions {
  traffic?: string;
  app?: string;
  openapi?: string;
}

export function registerServices(program: Command): void {
  withCommonOptions(program.command('services').description('list the services (method + route template) seen in the traffic'))
    .option('--traffic <file>', 'HAR file (default <workdir>/traffic.har)')
    .option('--app <dir>', "the app's source: its declared routes (Express, Koa, Fastify) win over inferred ones")
    .option('--openapi <file>', 'also write an OpenAPI 3.1 document with examples')
    .action((flags: ServicesFlags) => {
      const traffic = flags.traffic ?? join(resolveWorkdir(flags), 'traffic.har');
      if (flags.app !== undefined && (!existsSync(flags.app) || !statSync(flags.app).isDirectory())) {
        throw new UserError(`--app ${flags.app}: no such directory; give the app's source directory`);
      }
      const har = readTraffic(traffic);
      const total = har.log.entries.length;
      // A recording where the target never answered has no service to show; saying "1 service" would hide that.
      if (total > 0 && har.log.entries.every(isFailedEntry)) {
        throw new UserError(`${traffic}: no successful exchange (all ${total} failed: the target did not answer); record again with \`edgstr record\` while the app is running`);
      }
      const { services, skipped } = describeSubject(har, flags.app !== undefined ? { appDir: flags.app } : {});
      for (const f of skipped) log.warn(`${f}: could not be parsed; its routes are inferred from traffic`);
      if (flags.openapi) {
        writeJsonAtomic(flags.openapi, toOpenApi(services, har));
        log.info(`wrote ${flags.openapi}`);
      }
      if (flags.json) {
        printJson({ services: services.map(({ id, method, route, count, examples }) => ({ id, method, route, count, examples })) });
        return;
      }
      const rows = services.map((s) => [s.id, String(s.count), s.examples[0] ? `${s.examples[0].url} -> ${s.examples[0].status}` : '']);
      const head = ['SERVICE', 'COUNT', 'EXAMPLE'];
      const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]): string => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(w[i]!))).join('  ');
      process.stdout.write(`${[line(head), ...rows.map(line)].join('\n')}\n`);
      log.info(`${services.length} services from ${har.log.entries.length} exchanges in ${traffic}`);
    });
}
