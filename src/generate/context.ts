/**
 * Typed contexts for the templates, built from the artefacts without I/O (the pure core of
 * generate). One interface per template; templates are compiled `strict`, so a field missing
 * here is an error at generate time, not a hole in a generated file.
 */
import type { Analysis, AnalyzedService } from '../model/analysis.js';
import type { Decisions } from '../model/decisions.js';
import { compareRouteSpecificity, normalizeRoute, serviceSlug } from '../model/service-id.js';

export type Target = 'rpi' | 'node' | 'k3s';
export type Side = 'edge' | 'cloud';

/** Options of one generate run (the CLI flags, plus the secret so tests can pin it). */
export interface GenerateOptions {
  target: Target;
  /** Cloud origin the edges forward to and sync with. */
  cloudUrl: string;
  edges: number;
  /** Shared secret written into both configs. */
  secret: string;
  /** The command line that regenerates the output (named in every file header). */
  regenerate: string;
}

/** A SQLite database found in the snapshot: app-relative path and the tables it holds. */
export interface SnapshotDatabase {
  path: string;
  tables: string[];
}

/** Every template gets the regenerate command for its header. */
export interface HeaderContext {
  regenerate: string;
}

/** One service of the Subject as the edge's route table sees it. */
export interface RouteContext {
  id: string;
  method: string;
  route: string;
  /** Served at the edge (accepted, replicable, extracted); otherwise forwarded to the cloud. */
  local: boolean;
  /**
   * The analysis says the service writes state (`stateful`, or any table, file or global among
   * its writes). The edge runs such a service alone in a replica transaction; one that writes
   * nothing runs alongside the other readers without one (templates/edge/server.js.hbs).
   */
  writes: boolean;
  slug: string;
  functionName: string;
  /** Import specifier of the extracted function, relative to the edge project. */
  module: string;
}

export interface RoutesContext extends HeaderContext {
  appName: string;
  routes: RouteContext[];
  localRoutes: RouteContext[];
}

export interface EdgeServerContext extends HeaderContext {
  appName: string;
  localCount: number;
}

export type ConfigLoaderContext = HeaderContext;
export type GlobalsShimContext = HeaderContext;

export interface PreloadContext extends HeaderContext {
  appName: string;
}

/** What both projects replicate (config.json and the READMEs). */
export interface ReplicatedState {
  tables: SnapshotDatabase[];
  files: string[];
  globals: string[];
}

export interface ReadmeContext extends HeaderContext {
  side: Side;
  appName: string;
  target: Target;
  rpi: boolean;
  k3s: boolean;
  installDir: string;
  port: number;
  cloudUrl: string;
  entry: string;
  startCommand: string;
  /** The app's entry is TypeScript: both projects register tsx's loader (`--import tsx`). */
  typescript: boolean;
  localRoutes: RouteContext[];
  forwardedRoutes: RouteContext[];
  tables: { path: string; tables: string }[];
  files: string[];
  globals: string[];
  edges: { index: number; nodeId: string }[];
}

export interface SystemdContext extends HeaderContext {
  side: Side;
  edge: boolean;
  appName: string;
  description: string;
  installDir: string;
  unit: string;
  /** The system user the unit runs as (never root). */
  user: string;
  /** Where the unit keeps its state (systemd StateDirectory), also EDGSTR_DATA_DIR. */
  stateDir: string;
  stateDirName: string;
  /** The host's identity (written by deploy.sh on an edge) and the operator's overrides. */
  envFile: string;
  localEnvFile: string;
  /** node's arguments: the start script without npm. */
  nodeArgs: string;
}

export interface DeployContext extends HeaderContext {
  appName: string;
  installDir: string;
  unit: string;
  user: string;
  stateDir: string;
  envFile: string;
  localEnvFile: string;
  cloudUrl: string;
  /** The oldest Node.js major version deploy.sh accepts on a host. */
  nodeMajor: number;
}

/** The k3s manifests (templates/targets/k3s/*.yaml.hbs): one context for all of them. */
export interface K3sContext extends HeaderContext {
  appName: string;
  /** The app's name as Kubernetes names allow (lowercase, digits, -). */
  slug: string;
  namespace: string;
  secret: string;
  cloudUrl: string;
  port: number;
  edges: number;
  edgeImage: string;
  edgeImageName: string;
  cloudImage: string;
  edgeDataDir: string;
  cloudDataDir: string;
  edgeStorage: string;
  cloudStorage: string;
  /** The node label that admits edges. */
  edgeLabel: string;
}

/** The site cluster of --target rpi --edges N (templates/targets/rpi/site/). */
export interface SiteContext extends HeaderContext {
  appName: string;
  port: number;
  edgeCount: number;
  /** HAProxy's default listening address (`:port`). */
  bind: string;
  /** Each edge, the environment variable of its address, and that address's default. */
  edges: { index: number; name: string; variable: string; address: string }[];
  /** How long a client that wrote sticks to its edge (HAProxy's stick-table expire). */
  stickSeconds: number;
}

/** A project's Dockerfile (--target k3s). */
export interface DockerfileContext extends HeaderContext {
  side: Side;
  cloud: boolean;
  appName: string;
  image: string;
  dataDir: string;
  port: number;
  /** The container's command, as a JSON array (exec form). */
  cmd: string;
}

/** Per-file header of a JS template; all JS templates use this shape. */
export function headerContext(options: GenerateOptions): HeaderContext {
  return { regenerate: options.regenerate };
}

/** JS identifier of an extracted function: "GET /notes/:id" -> ftn_get_notes_id (as analyze names them). */
export function functionNameOf(slug: string): string {
  return `ftn_${slug.replace(/-/g, '_')}`;
}

export { compareRouteSpecificity };

/** Whether a service is served at the edge, and if not, why (for the report). */
export function localVerdict(service: AnalyzedService, decisions: Decisions): { local: boolean; why: string | null } {
  const decision = decisions.get(service.id);
  if (!decision?.accepted) return { local: false, why: null };
  if (!service.replicable) return { local: false, why: `${service.id} is accepted but not replicable (${service.reason ?? 'no reason given'}); it is forwarded to the cloud` };
  if (!service.extracted) return { local: false, why: `${service.id} is accepted but has no extracted function; it is forwarded to the cloud` };
  return { local: true, why: null };
}

/** Whether the analysis says `service` writes any state. */
export function writesState(service: AnalyzedService): boolean {
  const w = service.state.writes;
  return service.stateful || w.tables.length > 0 || w.files.length > 0 || w.globals.length > 0;
}

export function buildRoutes(analysis: Analysis, decisions: Decisions): { routes: RouteContext[]; warnings: string[] } {
  const warnings: string[] = [];
  const routes = analysis.services.map((service): RouteContext => {
    const { local, why } = localVerdict(service, decisions);
    if (why) warnings.push(why);
    const slug = serviceSlug(service.id);
    return {
      id: service.id,
      method: service.method.toUpperCase(),
      route: normalizeRoute(service.route),
      local,
      writes: writesState(service),
      slug,
      functionName: functionNameOf(slug),
      module: `./services/${slug}.js`,
    };
  });
  routes.sort((a, b) => compareRouteSpecificity(a.route, b.route) || a.method.localeCompare(b.method));
  return { routes, warnings };
}

/** Union of the state that the locally served services read or write, sorted. */
export function replicatedStateOf(analysis: Analysis, routes: readonly RouteContext[]): { tables: string[]; files: string[]; globals: string[] } {
  const local = new Set(routes.filter((r) => r.local).map((r) => r.id));
  const tables = new Set<string>();
  const files = new Set<string>();
  const globals = new Set<string>();
  for (const service of analysis.services) {
    if (!local.has(service.id)) continue;
    for (const set of [service.state.reads, service.state.writes]) {
      set.tables.forEach((x) => tables.add(x));
      set.files.forEach((x) => files.add(x));
      set.globals.forEach((x) => globals.add(x));
    }
  }
  const sorted = (s: Set<string>): string[] => [...s].sort();
  return { tables: sorted(tables), files: sorted(files), globals: sorted(globals) };
}

/**
 * Assigns each replicated table to the snapshot database that holds it. A table no database
 * holds is left out with a warning (the runtime cannot capture a table it cannot find).
 */
export function placeTables(tables: readonly string[], databases: readonly SnapshotDatabase[]): { placed: SnapshotDatabase[]; warnings: string[] } {
  const warnings: string[] = [];
  const placed = new Map<string, string[]>();
  for (const table of tables) {
    // SQL names are case-insensitive and analysis lowercases them (an ORM's `Users` is read as
    // `users`): the runtime needs the name the database declares.
    const wanted = table.toLowerCase();
    const db = databases.find((d) => d.tables.some((t) => t.toLowerCase() === wanted));
    if (!db) {
      warnings.push(`table ${table}: no SQLite database in the snapshot holds it; it is not replicated (run \`edgstr analyze\` again)`);
      continue;
    }
    const declared = db.tables.find((t) => t === table) ?? db.tables.find((t) => t.toLowerCase() === wanted)!;
    const list = placed.get(db.path) ?? [];
    if (!list.includes(declared)) placed.set(db.path, [...list, declared]);
  }
  return { placed: [...placed].map(([path, t]) => ({ path, tables: t })), warnings };
}

/**
 * Replicated file paths as the runtime wants them: a path that is a directory of the app (some
 * known file lies under it) ends in "/", and files under a replicated directory are not listed
 * again. `known` holds the app-relative paths of the app's and the snapshot's files (the listed
 * paths count too: `data/books` is a directory when `data/books/a.txt` is listed).
 */
export function normalizeFilePaths(paths: readonly string[], known: readonly string[]): string[] {
  const asDir = (p: string): string => (p.endsWith('/') ? p : `${p}/`);
  const all = [...known, ...paths];
  const normalized = paths.map((p) => (!p.endsWith('/') && all.some((k) => k.startsWith(asDir(p))) ? asDir(p) : p));
  const dirs = normalized.filter((p) => p.endsWith('/'));
  const kept = normalized.filter((p) => !dirs.some((d) => p !== d && p.startsWith(d)));
  return [...new Set(kept)].sort();
}
