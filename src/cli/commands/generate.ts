import { InvalidArgumentError, type Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../../model/errors.js';
import { parsePositiveInt, resolveWorkdir, type CommonOptions } from '../options.js';
import { generate } from '../../generate/index.js';
import { log, printJson } from '../../util/log.js';

interface GenerateOptions extends CommonOptions {
  target: string;
  out: string;
  cloudUrl?: string;
  edges: number;
  force?: boolean;
}

function parseCloudUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new InvalidArgumentError('expected an http URL, e.g. http://cloud.example:3000');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('expected an http(s) URL');
  return url.origin;
}

export function registerGenerate(program: Command): void {
  withCommonOptions(
    program
      .command('generate')
      .description('render the edge and cloud projects')
      .requiredOption('--target <target>', 'rpi (systemd units, deploy.sh), k3s (Kubernetes manifests, Dockerfiles) or node')
      .requiredOption('--out <dir>', 'output directory (gets edge/ and cloud/)')
      .option('--cloud-url <url>', 'cloud origin the edges forward to and sync with (required with --target rpi; k3s: default the in-cluster cloud Service; node: default http://127.0.0.1:<app port>)', parseCloudUrl)
      .option('--edges <n>', 'number of per-edge config files (node ids, key ranges)', parsePositiveInt, 1)
      .option('--force', 'replace a non-empty output directory')
      .allowUnknownOption(false),
  ).action(async (opts: GenerateOptions) => {
    if (opts.target !== 'rpi' && opts.target !== 'node' && opts.target !== 'k3s') throw new UserError(`--target ${opts.target}: expected rpi, k3s or node`);
    const regenerate = ['edgstr generate', `--target ${opts.target}`, `--out ${opts.out}`, opts.cloudUrl ? `--cloud-url ${opts.cloudUrl}` : '', opts.edges !== 1 ? `--edges ${opts.edges}` : '', opts.workdir !== '.edgstr' ? `--workdir ${opts.workdir}` : '', '--force']
      .filter(Boolean)
      .join(' ');
    const result = await generate({
      workdir: resolveWorkdir(opts),
      out: opts.out,
      target: opts.target,
      ...(opts.cloudUrl ? { cloudUrl: opts.cloudUrl } : {}),
      edges: opts.edges,
      force: opts.force ?? false,
      regenerate,
    });
    for (const w of result.warnings) log.warn(w);
    if (opts.json) printJson(result);
    else {
      log.info(`wrote ${result.out}/edge and ${result.out}/cloud (${result.files} files)`);
      log.info(`edge serves ${result.local.length} service(s) locally, forwards ${result.forwarded.length}`);
      log.info(`start: cd ${result.out}/cloud && npm ci --omit=dev && npm start; then the same in ${result.out}/edge`);
    }
  });
}
