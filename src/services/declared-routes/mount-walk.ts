/**
 * The mount walk: full templates are the paths from the apps (express(), new Koa(), Fastify())
 * down through the mounts; without a recognised app, every router nothing mounts is a root.
 */
import type { DeclaredRoute } from '../infer.js';
import type { RouteGraph } from './model.js';

export function walkMounts(graph: RouteGraph): DeclaredRoute[] {
  const out: DeclaredRoute[] = [...graph.tables];
  const mounted = new Set<string>();
  for (const [, n] of graph.routers) for (const m of n.mounts) mounted.add(graph.keyOf(m.target));
  const apps = [...graph.routers].filter(([, n]) => n.isApp).map(([k]) => k);
  const roots = apps.length > 0 ? apps : [...graph.routers.keys()].filter((k) => !mounted.has(k));
  const walk = (key: string, prefix: string, seen: Set<string>): void => {
    const n = graph.routers.get(key);
    if (!n || seen.has(key)) return;
    const base = joinPath(prefix, n.prefix);
    for (const r of n.routes) out.push({ method: r.method, route: cleanTemplate(joinPath(base, r.path)), file: r.file, line: r.line });
    for (const m of n.mounts) walk(graph.keyOf(m.target), joinPath(base, m.prefix), new Set([...seen, key]));
  };
  for (const r of roots) walk(r, '', new Set());
  const unique = new Map(out.map((r) => [`${r.method} ${r.route}`, r]));
  return [...unique.values()];
}

function joinPath(a: string, b: string): string {
  if (!b || b === '/') return a || '';
  return `${a.replace(/\/+$/, '')}/${b.replace(/^\/+/, '')}`;
}

/** Express/Fastify decorations a template does not need: `:id(\\d+)` -> `:id`, `*name` -> `*`. */
function cleanTemplate(route: string): string {
  return (route || '/').replace(/(:[A-Za-z_$][\w$]*)\([^/]*\)/g, '$1').replace(/\*[A-Za-z_$][\w$]*/g, '*').replace(/[{}]/g, '') || '/';
}
