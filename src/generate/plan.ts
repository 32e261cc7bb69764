/**
 * The pure core of generate: artefacts (already read) + options -> the file set of the output.
 * No I/O here except reading the templates; {@link applyFileSet} writes the result.
 */
import { posix } from 'node:path';
import { UserError } from '../model/errors.js';
import type { Analysis } from '../model/analysis.js';
import type { Decisions } from '../model/decisions.js';
import type { StartCommand } from '../model/start-command.js';
import { widenCollections } from '../model/file-collections.js';
import {
  buildRoutes,
  headerContext,
  normalizeFilePaths,
  placeTables,
  replicatedStateOf,
  type GenerateOptions,
  type ReadmeContext,
  type RouteContext,
  type Side,
  type SnapshotDatabase,
} from './context.js';
import { k3sFiles } from './k3s.js';
import { render } from './render.js';
import { registerGlobalsInApp } from './transform/register-globals/index.js';

/** A file of the output: text, or a copy of an existing file (app sources, runtime, snapshot). */
export type FileEntry = { kind: 'text'; text: string; mode?: number } | { kind: 'copy'; from: string };
/** Output-relative path (posix) -> content. */
export type FileSet = Map<string, FileEntry>;

/** The app's start command, read (src/model/start-command.ts), with its entry resolved. */
export interface AppStart {
  entry: string;
  env: Record<string, string>;
  envFiles: string[];
  preload: StartCommand['preload'];
  nodeFlags: string[];
}

/** Everything generate reads, as plain data (see read-inputs.ts). */
export interface GenerateInput {
  analysis: Analysis;
  decisions: Decisions;
  appName: string;
  /** App-relative path of the app's entry module. */
  entry: string;
  /** What the app's start command sets up besides the entry (start-command.ts); optional in tests. */
  appStart?: AppStart;
  /** App source files (no node_modules); `text` is set for JS files. */
  appFiles: { path: string; from: string; text: string | null }[];
  /** Initial state files of the app from the snapshot (app-relative paths). */
  snapshotFiles: { path: string; from: string }[];
  databases: SnapshotDatabase[];
  /** Global -> the app file analyze saw declare it (a hint; the declaration is still checked). */
  globalFiles: Map<string, string>;
  /** Extracted service functions by slug. */
  extracted: Map<string, { file: string; text: string }>;
  /** The compiled runtime (paths relative to its root). */
  runtimeFiles: { path: string; from: string }[];
  /** Exact versions: the app's dependencies and the runtime's. */
  dependencies: Record<string, string>;
}

export interface GeneratePlan {
  files: FileSet;
  local: string[];
  forwarded: string[];
  replicated: { tables: SnapshotDatabase[]; files: string[]; globals: string[] };
  warnings: string[];
}

const MAX_EDGES = 63;
const RUNTIME_DEPENDENCIES = ['@automerge/automerge', 'better-sqlite3', 'http-proxy', 'socket.io', 'socket.io-client'];
/** SQLite's companion files of a database file. */
const SQLITE_COMPANION = /-(wal|shm|journal)$/;

export function planGenerate(input: GenerateInput, options: GenerateOptions): GeneratePlan {
  const warnings: string[] = [];
  const accepted = input.analysis.services.filter((s) => input.decisions.get(s.id)?.accepted);
  for (const id of input.decisions.keys()) {
    if (!input.analysis.services.some((s) => s.id === id)) warnings.push(`decisions.json names ${id}, which analysis.json does not have; ignored`);
  }
  if (accepted.length === 0) throw new UserError('no accepted services: run `edgstr review --accept ...` first');
  // The runtime gives each replica its own primary-key slot: 0 is the cloud, 1..63 the edges.
  if (options.edges > MAX_EDGES) throw new UserError(`--edges ${options.edges}: at most ${MAX_EDGES} edges (one primary-key range each)`);
  const { routes: built, warnings: routeWarnings } = buildRoutes(input.analysis, input.decisions);
  warnings.push(...routeWarnings);
  for (const route of built.filter((r) => r.local)) {
    if (!input.extracted.has(route.slug)) {
      throw new UserError(`extracted/${route.slug}.js is missing for accepted service ${route.id}; run \`edgstr analyze\` again`);
    }
  }
  // A table no database of the snapshot holds cannot be replicated: a service that reads or
  // writes it would answer at the edge from a copy that never syncs. The cloud answers it.
  const { placed: firstPlaced, warnings: tableWarnings } = placeTables(replicatedStateOf(input.analysis, built).tables, input.databases);
  warnings.push(...tableWarnings);
  const held = new Set(firstPlaced.flatMap((d) => d.tables.map((t) => t.toLowerCase())));
  const routes = built.map((r) => {
    if (!r.local) return r;
    const service = input.analysis.services.find((s) => s.id === r.id)!;
    const missing = [...new Set([...service.state.reads.tables, ...service.state.writes.tables])].filter((t) => !held.has(t.toLowerCase()));
    if (missing.length === 0) return r;
    warnings.push(`${r.id}: forwarded to the cloud, not served at the edge: it uses table ${missing.join(', ')}, which cannot be replicated`);
    return { ...r, local: false };
  });
  const localRoutes = routes.filter((r) => r.local);
  const state = replicatedStateOf(input.analysis, routes);
  const { placed } = placeTables(state.tables, input.databases);

  const globalsShimPath = 'edgstr-globals.cjs';
  const transformed = registerGlobalsInApp(
    input.appFiles.flatMap((f) => (f.text === null ? [] : [{ path: f.path, text: f.text }])),
    state.globals,
    (path) => relativeSpecifier(posix.join('app', posix.dirname(path)), globalsShimPath),
    input.globalFiles,
  );
  warnings.push(...transformed.warnings);
  const globals = state.globals.filter((g) => transformed.registeredIn.has(g));
  const knownPaths = [...input.appFiles.map((f) => f.path), ...input.snapshotFiles.map((f) => f.path)];
  const replicatedFiles = widenCollections(state.files, input.appFiles.map((f) => f.path), input.databases.map((d) => d.path));
  // Review showed the recorded paths; say so when a whole directory will replicate instead.
  for (const dir of replicatedFiles.filter((p) => !state.files.includes(p))) {
    const seen = state.files.filter((p) => p.startsWith(dir));
    warnings.push(`replicating the whole directory ${dir} (the recording touched ${seen.join(', ')}): entries created later replicate too, and everything in it leaves the cloud`);
  }
  const replicated = { tables: placed, files: normalizeFilePaths(replicatedFiles, knownPaths), globals };

  const files: FileSet = new Map();
  for (const side of ['edge', 'cloud'] as const) {
    addApp(files, side, input, transformed.files);
    addRuntime(files, side, input, options);
    files.set(`${side}/${globalsShimPath}`, text(render('shared/edgstr-globals.cjs.hbs', headerContext(options))));
    files.set(`${side}/edgstr-config.js`, text(render('shared/edgstr-config.js.hbs', headerContext(options))));
    files.set(`${side}/edgstr-sqlite3.cjs`, text(render('shared/edgstr-sqlite3.cjs.hbs', headerContext(options))));
    files.set(`${side}/config.json`, text(json(configOf(side, input, options, replicated))));
    files.set(`${side}/package.json`, text(json(packageJsonOf(side, input, options))));
    const readme = readmeContext(side, input, options, routes, replicated);
    files.set(`${side}/README.md`, text(render(side === 'edge' ? 'edge/README.md.hbs' : 'cloud/README.md.hbs', readme)));
  }
  files.set('edge/server.js', text(render('edge/server.js.hbs', { ...headerContext(options), appName: input.appName, localCount: localRoutes.length })));
  files.set('edge/served.js', text(render('edge/served.js.hbs', headerContext(options))));
  files.set('edge/routes.js', text(render('edge/routes.js.hbs', { ...headerContext(options), appName: input.appName, routes, localRoutes })));
  for (const route of localRoutes) {
    const extracted = input.extracted.get(route.slug)!;
    const header = `// Copied by \`${options.regenerate}\` from ${extracted.file}; regenerating overwrites this file.\n`;
    files.set(`edge/services/${route.slug}.js`, text(header + extracted.text));
  }
  for (let i = 1; i <= options.edges; i++) {
    files.set(`edge/edges/edge-${i}.json`, text(json({ '//': `Generated by \`${options.regenerate}\`: edge ${i} (npm start -- --edge ${i}).`, nodeId: `edge-${i}`, rangeIndex: i, dataDir: `data/edge-${i}` })));
  }
  cloudPreload(files, input, options);
  if (options.target === 'rpi') addRpi(files, input, options);
  if (options.target === 'k3s') {
    const start = { edge: edgeStart(input), cloud: cloudStart(input) };
    for (const [path, content] of k3sFiles({ appName: input.appName, port: input.analysis.app.port, start }, options)) files.set(path, text(content));
  }
  return { files, local: localRoutes.map((r) => r.id), forwarded: routes.filter((r) => !r.local).map((r) => r.id), replicated, warnings };
}

function text(content: string, mode?: number): FileEntry {
  return mode === undefined ? { kind: 'text', text: content } : { kind: 'text', text: content, mode };
}

function json(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

function relativeSpecifier(fromDir: string, to: string): string {
  const rel = posix.relative(fromDir, to);
  return rel.startsWith('.') ? rel : `./${rel}`;
}

function addApp(files: FileSet, side: Side, input: GenerateInput, transformed: Map<string, string>): void {
  const snapshot = new Set(input.snapshotFiles.map((f) => f.path));
  for (const file of input.appFiles) {
    // The snapshot's database replaces the app's; its old -wal/-shm would corrupt the copy.
    if (snapshot.has(file.path) || (SQLITE_COMPANION.test(file.path) && snapshot.has(file.path.replace(SQLITE_COMPANION, '')))) continue;
    const rewritten = transformed.get(file.path);
    files.set(`${side}/app/${file.path}`, rewritten === undefined ? { kind: 'copy', from: file.from } : text(rewritten));
  }
  // The app's modules keep their own module type even though the project around them is ESM.
  if (!input.appFiles.some((f) => f.path === 'package.json')) files.set(`${side}/app/package.json`, text(json({ type: 'commonjs' })));
  for (const file of input.snapshotFiles) files.set(`${side}/app/${file.path}`, { kind: 'copy', from: file.from });
}

function addRuntime(files: FileSet, side: Side, input: GenerateInput, options: GenerateOptions): void {
  for (const file of input.runtimeFiles) files.set(`${side}/edgstr/${file.path}`, { kind: 'copy', from: file.from });
  files.set(`${side}/edgstr/package.json`, text(json({ '//': `Copied by \`${options.regenerate}\`: the edgstr sync runtime.`, type: 'module', private: true })));
}

function configOf(side: Side, input: GenerateInput, options: GenerateOptions, replicated: GeneratePlan['replicated']): Record<string, unknown> {
  return {
    '//': `Generated by \`${options.regenerate}\`. Environment variables override: see README.md.`,
    role: side,
    port: input.analysis.app.port,
    ...(side === 'edge' ? { host: '0.0.0.0', cloudUrl: options.cloudUrl } : {}),
    secret: options.secret,
    dataDir: side === 'edge' ? 'data/edge' : 'data/edgstr',
    // Key ranges (DESIGN.md §8): the cloud grants each node id its own; the generated edges'
    // ranges are reserved for them. An edge named otherwise (EDGSTR_NODE_ID, hostname) gets one
    // on first contact with the cloud.
    ...(side === 'cloud' ? { rangeIndex: 0, reservedRanges: Object.fromEntries(Array.from({ length: options.edges }, (_, i) => [`edge-${i + 1}`, i + 1])) } : {}),
    app: { dir: 'app', entry: input.entry, ...appProcessOf(input) },
    tables: replicated.tables.map((d) => ({ file: d.path, tables: d.tables })),
    files: replicated.files,
    globals: replicated.globals,
  };
}

function packageJsonOf(side: Side, input: GenerateInput, options: GenerateOptions): Record<string, unknown> {
  const dependencies = Object.fromEntries(Object.entries(input.dependencies).sort(([a], [b]) => a.localeCompare(b)));
  for (const name of RUNTIME_DEPENDENCIES) {
    if (!(name in dependencies)) throw new Error(`runtime dependency ${name} has no version in the generate input`);
  }
  return {
    '//': `Generated by \`${options.regenerate}\`; regenerating overwrites this file.`,
    name: `${input.appName}-${side}`.toLowerCase().replace(/[^a-z0-9._-]+/g, '-'),
    version: '1.0.0',
    private: true,
    description: side === 'edge' ? `Edge of ${input.appName}, generated by edgstr` : `Cloud of ${input.appName}, generated by edgstr`,
    type: 'module',
    scripts: { start: side === 'edge' ? edgeStart(input) : cloudStart(input) },
    engines: { node: '>=20' },
    dependencies,
  };
}

/**
 * The edge's start command. A 4 MB young generation instead of V8's default 16 MB keeps an
 * edge with 12,000 replicated rows at 190 MB RSS instead of 207 (scripts/bench-sync.mjs, which
 * runs its edge with the same flag), at no measurable cost to write latency.
 */
export const EDGE_START = 'node --max-semi-space-size=4 server.js';

/**
 * A TypeScript app (its entry is `.ts`, run by tsx in its start command) runs the same way in
 * both projects: tsx's loader is registered first (`node --import tsx`), so the app's `.ts`
 * modules load as they do under `tsx src/server.ts`; tsx is then a dependency of both projects.
 */
export const TS_ENTRY = /\.(c|m)?tsx?$/;

function tsLoader(input: GenerateInput): string {
  return TS_ENTRY.test(input.entry) ? '--import tsx ' : '';
}

/** The Node flags of the app's own start command (`--max-old-space-size=512`), passed on. */
function appFlags(input: GenerateInput): string {
  const flags = input.appStart?.nodeFlags ?? [];
  return flags.map((f) => `${shellQuote(f)} `).join('');
}

function edgeStart(input: GenerateInput): string {
  return EDGE_START.replace(/ server\.js$/, ` ${appFlags(input)}${tsLoader(input)}server.js`);
}

function cloudStart(input: GenerateInput): string {
  return `node ${appFlags(input)}${tsLoader(input)}--import ./edgstr-preload.js ${posix.join('app', input.entry)}`;
}

/**
 * What the generated projects re-create of the app's start command before its entry runs
 * (edgstr-config.js `prepareAppProcess`): its `VAR=value` assignments and env files (neither
 * overrides the environment), and its `-r`/`--import` modules. Only the keys that are set.
 */
function appProcessOf(input: GenerateInput): Record<string, unknown> {
  const s = input.appStart;
  if (!s) return {};
  return {
    ...(Object.keys(s.env).length > 0 ? { env: s.env } : {}),
    ...(s.envFiles.length > 0 ? { envFiles: s.envFiles } : {}),
    ...(s.preload.length > 0 ? { preload: s.preload } : {}),
  };
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

function cloudPreload(files: FileSet, input: GenerateInput, options: GenerateOptions): void {
  files.set('cloud/edgstr-preload.js', text(render('cloud/edgstr-preload.js.hbs', { ...headerContext(options), appName: input.appName })));
}

const INSTALL_DIR = { edge: '/opt/edgstr-edge', cloud: '/opt/edgstr-cloud' } as const;

function readmeContext(side: Side, input: GenerateInput, options: GenerateOptions, routes: RouteContext[], replicated: GeneratePlan['replicated']): ReadmeContext {
  return {
    ...headerContext(options),
    side,
    appName: input.appName,
    target: options.target,
    rpi: options.target === 'rpi',
    k3s: options.target === 'k3s',
    installDir: INSTALL_DIR[side],
    port: input.analysis.app.port,
    cloudUrl: options.cloudUrl,
    entry: input.entry,
    startCommand: side === 'edge' ? edgeStart(input) : cloudStart(input),
    typescript: TS_ENTRY.test(input.entry),
    localRoutes: routes.filter((r) => r.local),
    forwardedRoutes: routes.filter((r) => !r.local),
    tables: replicated.tables.map((d) => ({ path: d.path, tables: d.tables.join(', ') })),
    files: replicated.files,
    globals: replicated.globals,
    edges: Array.from({ length: options.edges }, (_, i) => ({ index: i + 1, nodeId: `edge-${i + 1}` })),
  };
}

/** The system user the generated units run as, and where each host keeps its settings. */
const RPI_USER = 'edgstr';
const envFiles = (unit: string): { envFile: string; localEnvFile: string } => ({ envFile: `/etc/edgstr/${unit}.env`, localEnvFile: `/etc/edgstr/${unit}.local.env` });

function addRpi(files: FileSet, input: GenerateInput, options: GenerateOptions): void {
  for (const side of ['edge', 'cloud'] as const) {
    const unit = `edgstr-${side}`;
    // The unit runs node itself (what `npm start` runs), so systemd sees and stops node, not npm.
    const nodeArgs = (side === 'edge' ? edgeStart(input) : cloudStart(input)).replace(/^node /, '');
    files.set(
      `${side}/${unit}.service`,
      text(render('targets/rpi/edgstr.service.hbs', {
        ...headerContext(options), side, edge: side === 'edge', appName: input.appName, description: `edgstr ${side} of ${input.appName}`,
        installDir: INSTALL_DIR[side], unit, user: RPI_USER, stateDir: `/var/lib/${unit}`, stateDirName: unit, ...envFiles(unit), nodeArgs,
      })),
    );
  }
  files.set('deploy.sh', text(render('targets/rpi/deploy.sh.hbs', {
    ...headerContext(options), appName: input.appName, installDir: INSTALL_DIR.edge, unit: 'edgstr-edge', user: RPI_USER, stateDir: '/var/lib/edgstr-edge',
    ...envFiles('edgstr-edge'), cloudUrl: options.cloudUrl, nodeMajor: 20,
  }), 0o755));
  if (options.edges >= 2) addSite(files, input, options);
}

/**
 * Seconds a client that wrote sticks to its edge: the time its writes may take to reach the
 * other edges through the cloud (the edges' sync interval plus a far cloud's round trips).
 */
const STICK_SECONDS = 15;

/** --target rpi --edges N (N >= 2): HAProxy and the scaler for the edges of one site. */
function addSite(files: FileSet, input: GenerateInput, options: GenerateOptions): void {
  const port = input.analysis.app.port;
  const edges = Array.from({ length: options.edges }, (_, i) => ({ index: i + 1, name: `edge-${i + 1}`, variable: `EDGSTR_EDGE_${i + 1}`, address: `edge-${i + 1}.local:${port}` }));
  const context = { ...headerContext(options), appName: input.appName, port, edgeCount: options.edges, bind: `:${port}`, edges, stickSeconds: STICK_SECONDS };
  files.set('site/haproxy.cfg', text(render('targets/rpi/site/haproxy.cfg.hbs', context)));
  files.set('site/scaler.mjs', text(render('targets/rpi/site/scaler.mjs.hbs', context), 0o755));
  files.set('site/README.md', text(render('targets/rpi/site/README.md.hbs', context)));
  const ssh = (name: string, verb: string): string => `ssh ${name}.local sudo systemctl ${verb} edgstr-edge`;
  files.set('site/scaler.json', text(json({
    '//': `Generated by \`${options.regenerate}\`; see README.md. Edit the edges' URLs and start/stop commands.`,
    socket: '/run/haproxy/edgstr-site.sock',
    backend: 'edges',
    intervalMs: 1000,
    minEdges: 1,
    scaleUpAbove: 4,
    scaleDownBelow: 1,
    idleSeconds: 30,
    settleMs: 2000,
    edges: edges.map((e) => ({ name: e.name, url: `http://${e.name}.local:${port}`, start: ssh(e.name, 'start'), stop: ssh(e.name, 'stop') })),
  })));
}
