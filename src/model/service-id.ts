/**
 * Service ids: "METHOD /route/:template" (DESIGN.md §3). Branded so a service id cannot be mixed
 * up with any other string. Never includes the query string.
 */
export type ServiceId = string & { readonly __brand: 'ServiceId' };

const METHOD = /^[A-Z]+$/;

/** Builds the id of a service from its method and route template. */
export function serviceId(method: string, route: string): ServiceId {
  return `${method.toUpperCase()} ${normalizeRoute(route)}` as ServiceId;
}

/** Parses "GET /a/:id" (also "get /a/:id?x=1"); null when it is not of that form. */
export function parseServiceId(text: string): { id: ServiceId; method: string; route: string } | null {
  const m = /^\s*([A-Za-z]+)\s+(\/\S*)\s*$/.exec(text);
  if (!m || !METHOD.test(m[1]!.toUpperCase())) return null;
  const method = m[1]!.toUpperCase();
  const route = normalizeRoute(m[2]!);
  return { id: serviceId(method, route), method, route };
}

/** Drops the query string, folds repeated slashes and a trailing slash. */
export function normalizeRoute(route: string): string {
  let r = route.trim();
  const q = r.indexOf('?');
  if (q >= 0) r = r.slice(0, q);
  r = r.replace(/\/{2,}/g, '/');
  if (r.length > 1) r = r.replace(/\/+$/, '');
  if (!r.startsWith('/')) r = `/${r}`;
  return r;
}

/** A file-name-safe slug of a service id: "GET /notes/:id" -> "get-notes-id". */
export function serviceSlug(id: string): string {
  return (
    id
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'root'
  );
}

/** Compiles a route template into a matcher that returns the named params, or null. */
export function compileRoute(route: string): (path: string) => Record<string, string> | null {
  const names: string[] = [];
  const source = normalizeRoute(route)
    .split('/')
    .map((seg) => {
      const m = /^:([A-Za-z_$][\w$]*)(\?)?$/.exec(seg);
      if (m) {
        names.push(m[1]!);
        return '([^/]+)';
      }
      if (seg === '*') {
        names.push('*');
        return '(.*)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  const re = new RegExp(`^${source}/?$`);
  return (path: string) => {
    const m = re.exec(normalizeRoute(path));
    if (!m) return null;
    const out: Record<string, string> = {};
    names.forEach((n, i) => {
      out[n] = decodeURIComponent(m[i + 1] ?? '');
    });
    return out;
  };
}

/**
 * Orders route templates most specific first, as routers pick them and the generated edge
 * matches them: segment by segment, a literal beats a :param, a :param beats `*`
 * (`/items/favorites` before `/items/:id`); then the shorter template first.
 */
export function compareRouteSpecificity(a: string, b: string): number {
  const rank = (seg: string): number => (seg === '*' ? 2 : seg.startsWith(':') ? 1 : 0);
  const sa = normalizeRoute(a).split('/');
  const sb = normalizeRoute(b).split('/');
  for (let i = 0; i < Math.min(sa.length, sb.length); i++) {
    const d = rank(sa[i]!) - rank(sb[i]!);
    if (d !== 0) return d;
    // Two different static segments never match the same path: plain alphabetical order.
    if (rank(sa[i]!) === 0 && sa[i] !== sb[i]) return sa[i]!.localeCompare(sb[i]!);
  }
  return sa.length - sb.length;
}

/** The service a request belongs to: the most specific route that fits (compareRouteSpecificity). */
export function compileServiceMatcher<T extends { method: string; route: string }>(services: readonly T[]): (method: string, path: string) => T | undefined {
  const compiled = services
    .map((s) => ({ s, method: s.method.toUpperCase(), match: compileRoute(s.route) }))
    .sort((a, b) => compareRouteSpecificity(a.s.route, b.s.route));
  return (method, path) => compiled.find((c) => c.method === method.toUpperCase() && c.match(path) !== null)?.s;
}
