/**
 * Picks, from a subject's recorded traffic, the write the live-stack checks make on each replica:
 * the first successful POST that created something with an `id` that a later successful GET
 * read back by path (`POST /donuts` -> `{id: 9}` -> `GET /donuts/9`), else the first successful
 * POST (e.g. medchem's computations, which only append to a replicated file and globals); such a
 * write is read back through a recorded GET that reads what it writes and writes nothing itself
 * (from analysis.json: medchem's `GET /history`), compared whole between replicas.
 * Variants of it (`variantOf`) create distinct things: short free-text values in the JSON body
 * and the query get a suffix, so names and slugs do not collide.
 */
import type { AnalyzedService } from '../../src/model/analysis.js';
import { compileRoute } from '../../src/model/service-id.js';
import type { HarEntry } from '../../src/model/traffic.js';
import { tokensIn } from '../../src/model/credentials.js';
import { entryPath, recordedResponse } from '../../src/verify/replay.js';

export interface Probe {
  entry: HarEntry;
  /** "POST /donuts" */
  label: string;
  /** The read-back path with `{id}` where the created id goes ("/donuts/{id}"), when there is one. */
  readTemplate: string | null;
  /** The recorded id's type, for an id that cannot exist. */
  numericId: boolean;
  /** Without a read by id: a read-only GET (path + query) whose answer shows the write, or null. */
  stateRead: string | null;
  /** The recorded requests whose answers issued the credentials the probe sends (its logins). */
  logins: HarEntry[];
}

/** Recorded requests before `e` whose answer (Set-Cookie, body) issued a credential `e` sends. */
function loginsFor(e: HarEntry, entries: HarEntry[]): HarEntry[] {
  const tokens = tokensIn(e.request.headers.map((h) => h.value).join('\n'));
  if (tokens.length === 0) return [];
  const before = entries.slice(0, Math.max(0, entries.indexOf(e)));
  return before.filter((x) => {
    const issued = `${x.response.headers.map((h) => h.value).join('\n')}\n${x.response.content.text ?? ''}`;
    return tokens.some((t) => issued.includes(t));
  });
}

type ServiceState = Pick<AnalyzedService, 'method' | 'route' | 'stateful' | 'state'>;

function serviceOf(e: HarEntry, services: ServiceState[]): ServiceState | undefined {
  const path = entryPath(e).split('?')[0]!;
  return services.find((s) => s.method === e.request.method && compileRoute(s.route)(path) !== null);
}

/**
 * The first recorded successful GET of a read-only service that reads a table or file `write`
 * writes, else one that reads a global it writes. Tables and files first: a write may leave a
 * global as it was (a cache hit), but the rows or file lines it adds always show.
 */
function stateReadFor(write: HarEntry, entries: HarEntry[], services: ServiceState[]): string | null {
  const w = serviceOf(write, services);
  if (!w) return null;
  const durable = (set: AnalyzedService['state']['writes']): string[] => [...set.tables.map((t) => `t:${t}`), ...set.files.map((f) => `f:${f}`)];
  const reads = entries.filter((e) => e.request.method === 'GET' && isSuccess(e)).map((e) => ({ e, s: serviceOf(e, services) }));
  const readOnly = reads.filter((r): r is { e: HarEntry; s: ServiceState } => r.s !== undefined && !r.s.stateful);
  const writtenDurable = new Set(durable(w.state.writes));
  const writtenGlobals = new Set(w.state.writes.globals);
  const read =
    readOnly.find((r) => durable(r.s.state.reads).some((x) => writtenDurable.has(x))) ??
    readOnly.find((r) => r.s.state.reads.globals.some((g) => writtenGlobals.has(g)));
  return read ? entryPath(read.e) : null;
}

const isSuccess = (e: HarEntry): boolean => e.response.status >= 200 && e.response.status < 300;

function createdId(e: HarEntry): string | null {
  const body = recordedResponse(e).body as { id?: unknown } | null;
  if (body === null || typeof body !== 'object') return null;
  return typeof body.id === 'number' || typeof body.id === 'string' ? String(body.id) : null;
}

export function pickProbe(entries: HarEntry[], services: ServiceState[] = []): Probe {
  const label = (e: HarEntry): string => `${e.request.method} ${entryPath(e).split('?')[0]}`;
  // Only creates addressed by a fixed path: a path carrying an id would name a parent that the
  // recording created and deleted again.
  const posts = entries.map((e, i) => ({ e, i })).filter(({ e }) => e.request.method === 'POST' && isSuccess(e) && !/\/\d+(\/|$)/.test(entryPath(e).split('?')[0]!));
  for (const { e, i } of posts) {
    const id = createdId(e);
    if (id === null) continue;
    const read = entries.slice(i + 1).find((r) => r.request.method === 'GET' && isSuccess(r) && entryPath(r).split('?')[0]!.split('/').includes(encodeURIComponent(id)));
    if (!read) continue;
    const template = entryPath(read).split('?')[0]!.split('/').map((s) => (s === encodeURIComponent(id) ? '{id}' : s)).join('/');
    return { entry: e, label: label(e), readTemplate: template, numericId: /^\d+$/.test(id), stateRead: null, logins: loginsFor(e, entries) };
  }
  const first = posts[0];
  if (!first) throw new Error('the recorded traffic has no successful POST to use as the probe write');
  return { entry: first.e, label: label(first.e), readTemplate: null, numericId: false, stateRead: stateReadFor(first.e, entries, services), logins: loginsFor(first.e, entries) };
}

export function readPath(probe: Probe, id: string): string {
  return probe.readTemplate!.replace('{id}', encodeURIComponent(id));
}

/** A path that reads an id nobody created (to show the read route tells absence apart). */
export function absentPath(probe: Probe): string {
  return readPath(probe, probe.numericId ? '987654321' : 'edgstr-absent-probe');
}

/** Free text (a name, a title), not an id, code, SMILES string or base64 blob. */
const FREE_TEXT = /^[A-Za-z][A-Za-z ]{0,38}[A-Za-z]$/;

function suffixStrings(value: unknown, tag: string): unknown {
  if (typeof value === 'string') return FREE_TEXT.test(value) ? `${value}-${tag}` : value;
  if (Array.isArray(value)) return value.map((v) => suffixStrings(v, tag));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, suffixStrings(v, tag)]));
  }
  return value;
}

/** The probe's request with free-text values in the query and JSON body suffixed by `-tag`. */
export function variantOf(probe: Probe, tag: string): HarEntry {
  const e = probe.entry;
  const url = new URL(e.request.url, 'http://recorded.invalid');
  for (const [k, v] of [...url.searchParams]) if (FREE_TEXT.test(v)) url.searchParams.set(k, `${v}-${tag}`);
  const pd = e.request.postData;
  let postData = pd;
  if (pd?.text !== undefined && /json/i.test(pd.mimeType) && !(pd as { encoding?: string }).encoding) {
    try {
      postData = { ...pd, text: JSON.stringify(suffixStrings(JSON.parse(pd.text), tag)) };
    } catch {
      /* not JSON after all: send as recorded */
    }
  }
  const request = { ...e.request, url: url.href, ...(postData ? { postData } : {}) };
  return { ...e, request };
}
