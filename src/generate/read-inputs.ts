/**
 * The I/O half of reading generate's inputs: the work directory's artefacts, the app's source,
 * the snapshot, the extracted functions, the built runtime and the installed versions.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { UserError } from '../model/errors.js';
import { appDirCandidates, readAnalysis, type Analysis } from '../model/analysis.js';
import { readDecisions, type Decisions } from '../model/decisions.js';
import { serviceSlug } from '../model/service-id.js';
import type { SnapshotDatabase } from './context.js';
import type { AppStart, GenerateInput } from './plan.js';
import { parseStartCommand, resolveEntry } from '../model/start-command.js';
import { isSqliteFile } from '../util/sqlite-file.js';

/** Root of the edgstr package (src/generate and dist/generate are both two levels down). */
export const EDGSTR_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const SKIP_DIRS = new Set(['node_modules', '.git', '.edgstr']);
const RUNTIME_DEPENDENCIES = ['@automerge/automerge', 'better-sqlite3', 'http-proxy', 'socket.io', 'socket.io-client'];
const JS_FILE = /\.(c|m)?js$/;
const MAX_TRANSFORMED_BYTES = 2_000_000;

export function readGenerateInput(workdir: string, options: { runtimeDir?: string } = {}): GenerateInput {
  const analysis = readAnalysis(join(workdir, 'analysis.json'));
  const decisions = readDecisionsOrExplain(join(workdir, 'decisions.json'));
  const appDir = resolveAppDir(analysis, workdir);
  const appFiles = listFiles(appDir, [workdir]).map((path) => {
    const from = join(appDir, path);
    const isJs = JS_FILE.test(path) && statSync(from).size <= MAX_TRANSFORMED_BYTES;
    return { path, from, text: isJs ? readFileSync(from, 'utf8') : null };
  });
  const pkg = readAppPackage(appDir);
  const snapshot = readSnapshot(join(workdir, 'snapshot'), appDir);
  const start = appStartOf(analysis.app.start, pkg, appDir);
  return {
    analysis,
    decisions,
    appName: typeof pkg?.name === 'string' ? pkg.name : basename(appDir),
    entry: start.entry,
    appStart: start,
    appFiles,
    snapshotFiles: snapshot.files,
    databases: snapshot.databases,
    globalFiles: snapshot.globalFiles,
    extracted: readExtracted(workdir, analysis),
    runtimeFiles: readRuntimeFiles(options.runtimeDir ?? join(EDGSTR_ROOT, 'dist', 'runtime')),
    dependencies: withTsLoader(dependencyVersions(appDir, pkg), start.entry, appDir),
  };
}

function readDecisionsOrExplain(file: string): Decisions {
  if (!existsSync(file)) throw new UserError('no accepted services: run `edgstr review --accept ...` first');
  return readDecisions(file);
}

function resolveAppDir(analysis: Analysis, workdir: string): string {
  const given = analysis.app.dir;
  const candidates = appDirCandidates(analysis, workdir);
  const found = candidates.find((dir) => existsSync(join(dir, 'package.json')) || (existsSync(dir) && statSync(dir).isDirectory()));
  if (!found) throw new UserError(`analysis.json: app.dir ${given} is not a directory (looked in ${candidates.join(', ')}); run generate from where analyze ran`);
  return found;
}

/** App-relative posix paths of every file under `dir`, without node_modules/.git/the workdir. */
export function listFiles(dir: string, exclude: string[] = []): string[] {
  const out: string[] = [];
  const walk = (abs: string): void => {
    for (const name of readdirSync(abs).sort()) {
      const child = join(abs, name);
      if (SKIP_DIRS.has(name) || exclude.some((e) => resolve(e) === child)) continue;
      const st = lstatSync(child);
      if (st.isDirectory()) walk(child);
      else if (st.isFile()) out.push(relative(dir, child).split(sep).join(posix.sep));
    }
  };
  walk(dir);
  return out;
}

function readAppPackage(appDir: string): Record<string, unknown> | null {
  const file = join(appDir, 'package.json');
  if (!existsSync(file)) return null;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  } catch (err: unknown) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message}); fix the app's package.json`);
  }
}

/**
 * The entry module and the rest of what the start command sets up (environment, env files,
 * preloaded modules, Node flags): "node src/server.js", "npm start" (its script), tsx/ts-node,
 * an extensionless entry, or the package's "main".
 */
export function appStartOf(start: string, pkg: Record<string, unknown> | null, appDir: string): AppStart {
  const parsed = parseStartCommand(start, (pkg?.scripts ?? {}) as Record<string, unknown>);
  const main = typeof pkg?.main === 'string' ? pkg.main : undefined;
  const entry = (parsed.entry !== null ? resolveEntry(appDir, parsed.entry) : null) ?? (main !== undefined ? resolveEntry(appDir, main) : null);
  if (!entry) {
    throw new UserError(`analysis.json: cannot find the app's entry module from its start command "${start}"; start it as \`node FILE\``);
  }
  return { entry, env: parsed.env, envFiles: parsed.envFiles, preload: parsed.preload, nodeFlags: parsed.nodeFlags };
}

function tablesOf(file: string): string[] {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`).all() as { name: string }[];
    return rows.map((r) => r.name).sort();
  } finally {
    db.close();
  }
}

/** snapshot/manifest.json as analyze writes it (paths of `snapshot` relative to the workdir). */
interface SnapshotManifest {
  databases?: { file?: string; path?: string; snapshot?: string; tables?: string[] }[];
  files?: (string | { file?: string; path?: string; snapshot?: string })[];
}

export interface SnapshotContents {
  files: { path: string; from: string }[];
  databases: SnapshotDatabase[];
  /** Global -> the app file that declares it (snapshot/globals.json), when analyze said so. */
  globalFiles: Map<string, string>;
}

/**
 * The snapshot (init state). Analyze writes snapshot/files/<app-relative path> for databases and
 * files, snapshot/manifest.json mapping them, and snapshot/globals.json ({name: {file, value}}).
 * Without a manifest, snapshot/files/ (or snapshot/ itself) is taken to mirror the app's paths,
 * and a top-level database file is matched to the app's database with the same tables.
 */
export function readSnapshot(dir: string, appDir: string): SnapshotContents {
  const out: SnapshotContents = { files: [], databases: [], globalFiles: new Map() };
  if (!existsSync(dir)) return out;
  const workdir = dirname(dir);
  const locate = (snapshot: string): string => [resolve(workdir, snapshot), resolve(dir, snapshot)].find((f) => existsSync(f)) ?? resolve(workdir, snapshot);
  const mirrorRoot = existsSync(join(dir, 'files')) ? join(dir, 'files') : dir;
  const manifestFile = join(dir, 'manifest.json');
  if (existsSync(manifestFile)) {
    const manifest = readJsonFile<SnapshotManifest>(manifestFile);
    for (const entry of [...(manifest.databases ?? []), ...(manifest.files ?? [])]) {
      const path = typeof entry === 'string' ? entry : (entry.file ?? entry.path);
      if (!path) continue;
      const from = typeof entry !== 'string' && entry.snapshot ? locate(entry.snapshot) : join(mirrorRoot, path);
      if (!existsSync(from)) throw new UserError(`${manifestFile}: ${path} is listed but ${from} is missing; run \`edgstr analyze\` again`);
      out.files.push({ path: appRelative(path, appDir), from });
    }
  } else {
    const appDatabases = listFiles(appDir).filter((p) => /\.(db|sqlite3?)$/.test(p) && isSqliteFile(join(appDir, p)));
    for (const path of listFiles(mirrorRoot)) {
      const from = join(mirrorRoot, path);
      const topLevel = !path.includes('/');
      if (mirrorRoot === dir && topLevel && path.endsWith('.json')) continue;
      if (topLevel && isSqliteFile(from) && !existsSync(join(appDir, path))) {
        const tables = tablesOf(from).join(',');
        const match = appDatabases.find((p) => tablesOf(join(appDir, p)).join(',') === tables);
        if (match) out.files.push({ path: match, from });
        continue;
      }
      out.files.push({ path, from });
    }
  }
  out.databases = out.files.filter((f) => isSqliteFile(f.from)).map((f) => ({ path: f.path, tables: tablesOf(f.from) }));
  const globalsFile = join(dir, 'globals.json');
  if (existsSync(globalsFile)) {
    for (const [name, value] of Object.entries(readJsonFile<Record<string, unknown>>(globalsFile))) {
      const file = (value as { file?: unknown } | null)?.file;
      if (typeof file === 'string') out.globalFiles.set(name, appRelative(file, appDir));
    }
  }
  return out;
}

function readJsonFile<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err: unknown) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message}); run \`edgstr analyze\` again`);
  }
}

function appRelative(path: string, appDir: string): string {
  return (isAbsolute(path) ? relative(appDir, path) : path).split(sep).join(posix.sep);
}

function readExtracted(workdir: string, analysis: Analysis): Map<string, { file: string; text: string }> {
  const out = new Map<string, { file: string; text: string }>();
  for (const service of analysis.services) {
    if (!service.extracted) continue;
    const file = resolve(workdir, service.extracted);
    if (existsSync(file)) out.set(serviceSlug(service.id), { file: relative(workdir, file).split(sep).join(posix.sep), text: readFileSync(file, 'utf8') });
  }
  return out;
}

/** The compiled runtime (dist/runtime/*.js), copied into both projects. */
function readRuntimeFiles(dir: string): { path: string; from: string }[] {
  const files = existsSync(dir) ? listFiles(dir).filter((p) => p.endsWith('.js')) : [];
  if (!files.includes('index.js')) throw new UserError(`${dir}/index.js is missing: build edgstr first (npm run build)`);
  return files.map((path) => ({ path, from: join(dir, path) }));
}

/** The version of `name` installed for code in `fromDir` (Node's lookup: node_modules upwards). */
export function installedVersion(name: string, fromDir: string): string | null {
  for (let dir = resolve(fromDir); ; dir = dirname(dir)) {
    const file = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(file)) return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
    if (dirname(dir) === dir) return null;
  }
}

/** A TypeScript entry runs under tsx in the generated projects (plan.ts): tsx, usually a devDependency of the app, ships with them. */
function withTsLoader(deps: Record<string, string>, entry: string, appDir: string): Record<string, string> {
  if (!/\.(c|m)?tsx?$/.test(entry) || 'tsx' in deps) return deps;
  const version = installedVersion('tsx', appDir) ?? installedVersion('tsx', EDGSTR_ROOT);
  if (!version) throw new UserError(`${appDir}: the app's entry ${entry} is TypeScript and tsx is not installed; run npm install tsx in the app`);
  return { ...deps, tsx: version };
}

function dependencyVersions(appDir: string, pkg: Record<string, unknown> | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, range] of Object.entries((pkg?.dependencies ?? {}) as Record<string, string>)) {
    out[name] = installedVersion(name, appDir) ?? installedVersion(name, EDGSTR_ROOT) ?? range;
  }
  for (const name of RUNTIME_DEPENDENCIES) {
    const version = installedVersion(name, EDGSTR_ROOT);
    if (!version) throw new Error(`${name} is not installed in edgstr's node_modules`);
    out[name] = version;
  }
  return out;
}
