/**
 * The bench workload: the recorded requests of traffic.har, grouped by service. A service's
 * requests are replayed as recorded (method, path + query, content headers, body), so the bench
 * measures the app's real messages, not synthetic ones.
 */
import { existsSync } from 'node:fs';
import type { HarEntry } from '../model/traffic.js';
import { isFailedEntry, readTraffic, requestOf } from '../model/traffic.js';
import { readAnalysis } from '../model/analysis.js';
import { compileServiceMatcher, normalizeRoute, serviceId } from '../model/service-id.js';
import { isStrongId } from '../services/segments.js';
import { UserError } from '../model/errors.js';

/** One request to replay. */
export interface BenchRequest {
  service: string;
  method: string;
  /** Path + query, as recorded. */
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** The recorded exchange (for in-order replay with id renaming, as verify does). */
  entry: HarEntry;
}

/** All recorded requests of one service, in recorded order. */
export interface ServiceWorkload {
  service: string;
  requests: BenchRequest[];
}

/** The whole recorded workload: per service, and all requests in recorded order. */
export interface Workload {
  services: ServiceWorkload[];
  ordered: BenchRequest[];
}

function toRequest(entry: HarEntry, service: string): BenchRequest {
  const { method, path, headers, body } = requestOf(entry);
  return { service, method, path, headers, body, entry };
}

/**
 * Without an analysis, a path segment that looks like an id (`isStrongId`: a number, a uuid, a long hex or
 * base64-ish token) becomes a parameter: `GET /notes/12` -> `GET /notes/:id`.
 */
export function inferRoute(path: string): string {
  const segs = normalizeRoute(path).split('/');
  return segs
    .map((s, i) => (i > 0 && isStrongId(s) ? ':id' : s))
    .join('/');
}

/**
 * Groups the recorded requests by service: by the routes of `analysisFile` when it exists (the
 * declared templates), else by {@link inferRoute}. Failed recordings and edgstr's own endpoints
 * are left out.
 */
export function loadWorkload(harFile: string, analysisFile?: string): Workload {
  if (!existsSync(harFile)) {
    throw new UserError(`no recorded traffic at ${harFile}: record it with \`edgstr record\` or pass --workdir`);
  }
  const har = readTraffic(harFile);
  const serviceOf = compileServiceMatcher(analysisFile && existsSync(analysisFile) ? readAnalysis(analysisFile).services : []);
  const groups = new Map<string, BenchRequest[]>();
  const ordered: BenchRequest[] = [];
  for (const entry of har.log.entries) {
    if (isFailedEntry(entry)) continue;
    const method = entry.request.method.toUpperCase();
    const path = new URL(entry.request.url, 'http://recorded.invalid').pathname;
    if (path.startsWith('/__edgstr/') || path.startsWith('/edgstr-sync')) continue;
    const known = serviceOf(method, path);
    const id = known ? known.id : serviceId(method, inferRoute(path));
    const list = groups.get(id) ?? [];
    const req = toRequest(entry, id);
    list.push(req);
    ordered.push(req);
    groups.set(id, list);
  }
  if (groups.size === 0) throw new UserError(`${harFile} holds no successful exchanges to replay: record the app's client again`);
  return { services: [...groups].map(([service, requests]) => ({ service, requests })), ordered };
}
