/**
 * `edgstr analyze`, top to bottom: copy the app, start the copy under the tracer (which
 * instruments the modules the server loads, as it loads them), checkpoint the init state, group
 * the traffic into services with the routes the loaded modules declare, replay and fuzz every
 * service, then derive entry/exit, slice and state per service and write the artefacts.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '../model/errors.js';
import { removeOnInterrupt } from '../util/interrupt.js';
import { serviceId } from '../model/service-id.js';
import { readTraffic } from '../model/traffic.js';
import { legacyRedactionWarning } from '../model/credentials.js';
import { dataFiles, initStateDir, readInitState, restoreInitState } from '../model/init-state.js';
import { buildDictionary } from './fuzz/fuzz.js';
import { mergeFragments } from './instrument/probe-table.js';
import { startApp } from './replay/app-process.js';
import { Replayer } from './replay/replayer.js';
import { paramsOf, toRecorded, isSuccess, type Recorded } from './replay/requests.js';
import { runService, type ServiceRuns } from './replay/run-service.js';
import { unissuedWarnings } from './replay/dependencies.js';
import { declaredRoutes } from '../services/route-literals.js';
import { groupServices, type Grouped } from '../services/group-services.js';
import { entryOf, reachableFiles, type SourceFile } from '../services/module-graph.js';
import { buildReport, type ServiceReport } from './report.js';
import { writeArtefacts } from './write-artefacts.js';
import { readFragments, readLoadError } from './tracer/load-instrument.js';
import type { CheckpointInfo } from './tracer/protocol.js';
import { copyApp } from './workspace/copy-app.js';
import { keepFilesMadeAtStart } from './workspace/init-files.js';
import { startCommand } from './workspace/start-command.js';

export interface AnalyzeOptions {
  appDir: string;
  /** As given on the command line (recorded in analysis.json). */
  appDirAsGiven?: string;
  start?: string;
  traffic: string;
  workdir: string;
  fuzz: number;
  only?: string[];
  startTimeoutMs?: number;
  progress?: (msg: string) => void;
  keepTemp?: boolean;
}

export interface AnalyzeResult {
  analysisFile: string;
  services: ServiceReport[];
  timings: Record<string, number>;
  warnings: string[];
  /** Peak RSS of the instrumented app process. */
  appMaxRssKb: number;
}

export function tracerPath(): string {
  let dir = path.dirname(new URL(import.meta.url).pathname);
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  const p = path.join(dir, 'dist', 'analyze', 'tracer', 'index.js');
  if (!fs.existsSync(p)) throw new Error(`tracer not built at ${p}: run npm run build`);
  return p;
}

export interface AppCopy {
  copyRoot: string;
  controlDir: string;
  sources: SourceFile[];
}

/**
 * Copies appDir into tmp/app as it is, and makes tmp/control for the tracer. Nothing is
 * instrumented up front: the tracer instruments the modules the server loads, when it loads
 * them, and leaves their probe table in the control dir (see tracer/load-instrument.ts).
 */
export function prepareCopy(appDir: string, tmp: string): AppCopy {
  const copyRoot = path.join(tmp, 'app');
  const controlDir = path.join(tmp, 'control');
  fs.mkdirSync(controlDir, { recursive: true });
  const sources: SourceFile[] = copyApp(appDir, copyRoot).sources.map(({ file, sourceType }) => ({
    file,
    sourceType,
    read: () => fs.readFileSync(path.join(copyRoot, file), 'utf8'),
  }));
  return { copyRoot, controlDir, sources };
}

/** A file of the app the server loaded did not parse: its located message, else the error as it was. */
function withLoadError(err: unknown, controlDir: string, copyRoot: string, appDir: string): unknown {
  const loadError = readLoadError(controlDir);
  const inApp = (text: string) => text.split(copyRoot).join(appDir);
  if (loadError) return new UserError(inApp(loadError.message), { details: inApp(loadError.details) });
  // point at the user's files, not at the work copy
  if (err instanceof UserError) return new UserError(inApp(err.message), { details: err.details === undefined ? undefined : inApp(err.details) });
  return err;
}

export async function analyzeApp(opts: AnalyzeOptions): Promise<AnalyzeResult> {
  const progress = opts.progress ?? (() => undefined);
  const timings: Record<string, number> = {};
  const warnings: string[] = [];
  let t = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - t);
    t = now;
  };
  const appDir = path.resolve(opts.appDir);
  if (!fs.existsSync(appDir) || !fs.statSync(appDir).isDirectory()) {
    throw new UserError(`--app ${opts.appDir} is not a directory; give the app's root directory (the one with its package.json)`);
  }
  const command = startCommand(appDir, opts.start);
  const har = readTraffic(opts.traffic);
  const recorded = har.log.entries.map((e, i) => toRecorded(e, i)).filter((r): r is Recorded => r !== null && isSuccess(r.status));
  if (recorded.length === 0) throw new UserError(`${opts.traffic} has no successful exchanges to analyze — record traffic with edgstr record first`);
  warnings.push(...unissuedWarnings(recorded));
  const legacy = legacyRedactionWarning(har.log.entries);
  if (legacy) warnings.push(legacy);

  // 1. copy
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'edgstr-analyze-'));
  const keepTemp = Boolean(opts.keepTemp || process.env.EDGSTR_KEEP_TEMP);
  const unregister = keepTemp ? () => undefined : removeOnInterrupt(tmp);
  try {
    progress('copying the app');
    const { copyRoot, controlDir, sources } = prepareCopy(appDir, tmp);
    // The state the recording started from, not the one the recorded traffic left behind.
    const init = readInitState(opts.workdir);
    if (init) {
      restoreInitState(opts.workdir, init, copyRoot);
      progress(`replaying from the init state recorded at ${init.takenAt} (${init.files.length} data file(s))`);
      if (path.resolve(init.app) !== appDir) warnings.push(`the init state in ${initStateDir(opts.workdir)} was kept from ${init.app}, not ${appDir}: record this app with \`edgstr record --app ${opts.appDirAsGiven ?? opts.appDir}\` if its data differs`);
    } else {
      const data = dataFiles(appDir);
      const shown = `${data.slice(0, 3).join(', ')}${data.length > 3 ? `, … (${data.length})` : ''}`;
      if (data.length > 0) warnings.push(`no recorded init state in ${initStateDir(opts.workdir)}: replaying from the app's data as it is today (${shown}), which may already hold what the recorded traffic did (then verify fails); record with \`edgstr record --target URL --app ${opts.appDirAsGiven ?? opts.appDir}\` to keep the data as it was when recording started`);
    }
    lap('copy');

    // 2. run: the tracer instruments the modules the server loads as it loads them
    progress('starting the app');
    const startedAt = Date.now();
    const madeAtStart = path.join(tmp, 'made-at-start');
    const app = await startApp({ cwd: copyRoot, command, tracer: tracerPath(), controlDir, timeoutMs: opts.startTimeoutMs ?? 30000 }).catch((err: unknown) => {
      throw withLoadError(err, controlDir, copyRoot, appDir);
    });
    const runs = new Map<string, ServiceRuns>();
    let checkpoint: CheckpointInfo;
    let globalsSnapshot: Record<string, unknown> = {};
    let appMaxRssKb = 0;
    let groups: Grouped<Recorded>[];
    try {
      checkpoint = await app.control<CheckpointInfo>('checkpoint', { snapshot: path.join(controlDir, 'sqlite') });
      keepFilesMadeAtStart(copyRoot, startedAt, madeAtStart);
      lap('start');

      // 3. services: routes declared by the modules the server loaded (and those they import)
      const loaded = new Set(readFragments(controlDir, checkpoint.pid).map((f) => f.file));
      const entryFile = entryOf(command, sources);
      const appSources = reachableFiles([...(entryFile ? [entryFile] : []), ...loaded], sources).map((f) => ({ file: f.file, sourceType: f.sourceType, code: f.read() }));
      groups = groupServices(recorded, declaredRoutes(appSources));
      if (opts.only?.length) {
        const wanted = new Set(opts.only.map((s) => {
          const m = /^(\S+)\s+(\S+)$/.exec(s);
          return m ? serviceId(m[1]!, m[2]!).replace(/:[^/]+/g, ':') : s;
        }));
        groups = groups.filter((g) => wanted.has(g.id.replace(/:[^/]+/g, ':')));
        if (groups.length === 0) throw new UserError(`--only ${opts.only.join(',')} matches no service in ${opts.traffic} — run edgstr services to list them`);
      }
      const dict = buildDictionary(recorded.map((r) => paramsOf(r, groups.find((g) => g.items.includes(r))?.route ?? r.path)), recorded);

      const replayer = new Replayer(app);
      for (const [i, g] of groups.entries()) {
        progress(`[${i + 1}/${groups.length}] ${g.id}`);
        runs.set(g.id, await runService(replayer, g.route, g.items, recorded, opts.fuzz, dict));
      }
      // connections opened lazily, inside a request: their state before first use is init state
      checkpoint.databases.push(...(await app.control<CheckpointInfo['databases']>('databases', { known: checkpoint.databases.map((d) => d.file).join('\n') })));
      globalsSnapshot = await app.control<Record<string, unknown>>('globals');
      appMaxRssKb = (await app.control<{ maxRssKb: number }>('stats')).maxRssKb;
      lap('replay');
    } catch (err: unknown) {
      const located = withLoadError(err, controlDir, copyRoot, appDir);
      if (located instanceof UserError) throw located;
      const msg = err instanceof Error ? err.message : String(err);
      throw new UserError(`the app failed during replay: ${msg.split('\n')[0]} — its output ends with:\n${app.output().split('\n').slice(-15).join('\n')}`);
    } finally {
      await app.stop();
    }

    // 4. findings + artefacts: the probe table of every module the server loaded
    const table = mergeFragments(readFragments(controlDir, checkpoint.pid));
    const report = buildReport({ table, groups, runs, copyRoot, checkpoint, warnings });
    lap('analyze');
    const analysisFile = writeArtefacts({
      workdir: opts.workdir,
      appDir,
      appDirAsGiven: opts.appDirAsGiven ?? opts.appDir,
      madeAtStart,
      ...(init ? { initFiles: path.join(initStateDir(opts.workdir), 'files') } : {}),
      traffic: opts.traffic,
      command,
      // The app's own port when it picks one (what its users know it by), else the one it was given.
      port: app.ownPort ?? app.port,
      report,
      table,
      checkpoint,
      globalsSnapshot,
      copyRoot,
    });
    lap('write');
    return { analysisFile, services: report, timings, warnings, appMaxRssKb };
  } finally {
    if (!keepTemp) fs.rmSync(tmp, { recursive: true, force: true });
    else progress(`kept ${tmp}`);
    unregister();
  }
}
