/**
 * The Subject from traffic (DESIGN.md §1): groups recorded exchanges into services by method and
 * route template. Pure: HAR in, services out.
 *
 * Inference, for exchanges that no declared route matches:
 *  1. Build one segment trie over all methods (GET /notes/12 and PUT /notes/13 share structure).
 *  2. At each node, the children that are parameter values are: strong ids by form (numbers,
 *     UUIDs, hex ids, long tokens, dates), plus — below the first level and only when at least
 *     two values vary there — values the traffic itself hands out (they appear as scalar values
 *     in JSON bodies, e.g. "C" in GET /elements before GET /elements/C). Once a position is known
 *     to be a parameter, siblings with the same character shape or the same response schema join,
 *     and so do siblings the server only answered with 4xx (a bad id: `GET /notes/abc` -> 404).
 *  3. The parameter children are merged into one `:name` child; the name is the JSON key the
 *     values were seen under ("symbol"), else `id` (earlier params: `<singular parent>Id`).
 * Declared routes (from the app's source) win: an exchange they match takes their template.
 */
import type { Entry, Har } from 'har-format';
import { compareRouteSpecificity, compileRoute, normalizeRoute, serviceId, type ServiceId } from '../model/service-id.js';
import { distinctParamName, isStrongId, paramName, shapeOf, splitPath } from './segments.js';
import { buildEvidence, type Evidence } from './evidence.js';

/** A route the app's source declares (see declared-routes.ts); method "*" matches any method. */
export interface DeclaredRoute {
  method: string;
  route: string;
  file?: string;
  line?: number;
}

/** One service of the Subject. */
export interface Service {
  id: ServiceId;
  method: string;
  route: string;
  count: number;
  /** Up to three distinct example requests: path with query, and the status answered. */
  examples: { url: string; status: number }[];
  /** Where the template came from. */
  source: 'declared' | 'inferred';
  /** Indices of the HAR entries in this service. */
  entries: number[];
}

interface Req {
  index: number;
  method: string;
  segs: string[];
  url: string;
  status: number;
  signature: string | undefined;
}

interface TNode {
  children: Map<string, TNode>;
  param: TNode | undefined;
  paramName: string;
  reqs: Req[];
}

const newNode = (): TNode => ({ children: new Map(), param: undefined, paramName: 'id', reqs: [] });

export function inferServices(har: Har, declared: readonly DeclaredRoute[] = []): Service[] {
  const entries = har.log.entries;
  const evidence = buildEvidence(entries);
  const matchers = declared.map((d) => ({ d, match: compileRoute(d.route) }));
  const assigned = new Map<number, { method: string; route: string; source: Service['source'] }>();
  const root = newNode();
  entries.forEach((e, index) => {
    const method = e.request.method.toUpperCase();
    const url = pathAndQuery(e.request.url);
    let best: (typeof matchers)[number] | undefined;
    for (const m of matchers) {
      if ((m.d.method === method || m.d.method === '*' || (m.d.method === 'GET' && method === 'HEAD')) && m.match(url) && (!best || compareRouteSpecificity(m.d.route, best.d.route) < 0)) best = m;
    }
    if (best) {
      assigned.set(index, { method, route: normalizeRoute(best.d.route), source: 'declared' });
      return;
    }
    const segs = splitPath(url);
    let node = root;
    for (const s of segs) {
      let next = node.children.get(s);
      if (!next) node.children.set(s, (next = newNode()));
      node = next;
    }
    node.reqs.push({ index, method, segs, url, status: e.response.status, signature: responseSignature(e) });
  });
  decideParams(root, 0, evidence);
  collectRoutes(root, [], assigned);

  const byId = new Map<string, Service>();
  entries.forEach((e, index) => {
    const a = assigned.get(index);
    if (!a) return;
    const id = serviceId(a.method, a.route);
    let s = byId.get(id);
    if (!s) byId.set(id, (s = { id, method: a.method, route: normalizeRoute(a.route), count: 0, examples: [], source: a.source, entries: [] }));
    s.count++;
    s.entries.push(index);
    const url = pathAndQuery(e.request.url);
    if (s.examples.length < 3 && !s.examples.some((x) => x.url === url)) s.examples.push({ url, status: e.response.status });
  });
  return [...byId.values()];
}

/** Path + query of a recorded URL (HAR urls are absolute). */
export function pathAndQuery(url: string): string {
  try {
    const u = new URL(url, 'http://x');
    return `${u.pathname}${u.search}`;
  } catch {
    return url;
  }
}

/** "GET:a,b,c" for a 2xx JSON object response: same schema suggests the same route. */
function responseSignature(e: Entry): string | undefined {
  const c = e.response.content;
  if (e.response.status < 200 || e.response.status >= 300 || !c.text || c.encoding || !/json/i.test(c.mimeType)) return undefined;
  if (c.text.length > 1_000_000) return undefined;
  try {
    const v: unknown = JSON.parse(c.text);
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const keys = Object.keys(v).sort();
    return keys.length >= 2 ? `${e.request.method}:${keys.join(',')}` : undefined;
  } catch {
    return undefined;
  }
}

function decideParams(node: TNode, depth: number, evidence: Evidence): void {
  const keys = [...node.children.keys()];
  const strong = keys.filter(isStrongId);
  const weak = depth > 0 ? keys.filter((k) => !isStrongId(k) && evidence.has(k)) : [];
  const chosen = new Set(strong);
  if (strong.length + weak.length >= 2) for (const k of weak) chosen.add(k);
  if (chosen.size > 0 && depth > 0) {
    const shapes = new Set([...chosen].map(shapeOf));
    const sigs = new Set<string>();
    for (const k of chosen) for (const s of signaturesBelow(node.children.get(k)!)) sigs.add(s);
    for (const k of keys) {
      if (chosen.has(k)) continue;
      const child = node.children.get(k)!;
      if (shapes.has(shapeOf(k)) || child.reqs.some((r) => r.signature !== undefined && sigs.has(r.signature)) || onlyClientErrors(child)) chosen.add(k);
    }
  }
  if (chosen.size > 0) {
    const merged = newNode();
    for (const k of chosen) {
      mergeInto(merged, node.children.get(k)!);
      node.children.delete(k);
    }
    merged.paramName = nameFor([...chosen], evidence);
    node.param = merged;
  }
  for (const child of node.children.values()) decideParams(child, depth + 1, evidence);
  if (node.param) decideParams(node.param, depth + 1, evidence);
}

/**
 * A sibling of ids that the server only ever refused with 4xx (`GET /notes/abc` -> 404 beside
 * `GET /notes/12`) is a bad id sent to the same route, not a route of its own.
 */
function onlyClientErrors(node: TNode): boolean {
  const statuses: number[] = [];
  const walk = (n: TNode): void => {
    for (const r of n.reqs) statuses.push(r.status);
    for (const c of n.children.values()) walk(c);
    if (n.param) walk(n.param);
  };
  walk(node);
  return statuses.length > 0 && statuses.every((s) => s >= 400 && s < 500);
}

function signaturesBelow(node: TNode): string[] {
  return node.reqs.map((r) => r.signature).filter((s): s is string => s !== undefined);
}

function mergeInto(into: TNode, from: TNode): void {
  into.reqs.push(...from.reqs);
  for (const [k, child] of from.children) {
    const existing = into.children.get(k);
    if (existing) mergeInto(existing, child);
    else into.children.set(k, child);
  }
  if (from.param) {
    if (into.param) mergeInto(into.param, from.param);
    else into.param = from.param;
  }
}

/** The JSON key the values were handed out under, when the traffic agrees on one; else "id". */
function nameFor(values: string[], evidence: Evidence): string {
  const votes = new Map<string, number>();
  for (const v of values) for (const [k, n] of evidence.keysOf(v)) votes.set(k, (votes.get(k) ?? 0) + n);
  if (votes.has('id') || votes.size === 0) return 'id';
  const numeric = values.every((v) => /^-?\d+(\.\d+)?$/.test(v));
  const ranked = [...votes].filter(([k]) => !numeric || /id$/i.test(k)).sort((a, b) => b[1] - a[1]);
  const top = ranked[0];
  return (top && paramName(top[0])) ?? 'id';
}

function collectRoutes(node: TNode, prefix: { seg: string; param: boolean }[], out: Map<number, { method: string; route: string; source: Service['source'] }>): void {
  if (node.reqs.length > 0) {
    const route = renderRoute(prefix);
    for (const r of node.reqs) out.set(r.index, { method: r.method, route, source: 'inferred' });
  }
  for (const [k, child] of node.children) collectRoutes(child, [...prefix, { seg: k, param: false }], out);
  if (node.param) collectRoutes(node.param, [...prefix, { seg: node.param.paramName, param: true }], out);
}

/** Renders segments; a repeated param name becomes "<singular parent>Id" for the earlier ones. */
function renderRoute(segs: { seg: string; param: boolean }[]): string {
  const used = new Set<string>();
  const parts: string[] = new Array<string>(segs.length);
  for (let i = segs.length - 1; i >= 0; i--) {
    const s = segs[i]!;
    if (!s.param) {
      parts[i] = encodeURIComponent(s.seg).replace(/%40/g, '@').replace(/%3A/gi, ':');
      continue;
    }
    const name = distinctParamName(s.seg, i > 0 && !segs[i - 1]!.param ? segs[i - 1]!.seg : undefined, used);
    used.add(name);
    parts[i] = `:${name}`;
  }
  return `/${parts.join('/')}`;
}
