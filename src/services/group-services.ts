/**
 * Groups recorded requests into services (METHOD + route template). A request path is covered
 * by a sequence of declared patterns (mount prefixes, then the route), preferring literal
 * matches; segments no pattern covers stay literal, except id-looking ones (numbers, uuids,
 * long hex: `isStrongId`) which become parameters. Where the source declares routes, they win.
 * A template never names one parameter twice (`/a/:id/b/:id` -> `/a/:aId/b/:id`).
 *
 * Why analyze groups here and not with inferServices (infer.ts), which `edgstr services` uses:
 * analyze has the app running, so it knows which modules the server loaded and takes its route
 * patterns from those alone (route-literals.ts: literals and regexes, without methods or mount
 * composition), where inferServices needs the static walk of every source file that composes
 * full METHOD + route declarations (declared-routes/) or, without source, evidence from the
 * traffic. Both give each subject's expected.json ids: test/record/subjects.test.ts checks
 * inferServices with --app, the pipeline tests check analyze.
 */
import { serviceId, type ServiceId } from '../model/service-id.js';
import { isStrongId, withDistinctParams } from './segments.js';

interface Pattern {
  segs: string[];
}

function segments(p: string): string[] {
  return p.split('/').filter((s) => s.length > 0);
}

/** Best template (segments) for a path, by dynamic programming over prefixes. */
export function templateFor(path: string, patterns: readonly string[]): string {
  const segs = segments(path);
  const pats: Pattern[] = patterns.map((p) => ({ segs: segments(p) })).filter((p) => p.segs.length > 0);
  const best: { score: number; tpl: string[] }[] = [{ score: 0, tpl: [] }];
  for (let end = 1; end <= segs.length; end++) {
    let cand: { score: number; tpl: string[] } | null = null;
    const consider = (score: number, tpl: string[]) => {
      if (!cand || score > cand.score) cand = { score, tpl };
    };
    const prev = best[end - 1]!;
    const seg = segs[end - 1]!;
    consider(prev.score + (isStrongId(seg) ? -2 : -3), [...prev.tpl, isStrongId(seg) ? ':id' : seg]);
    for (const p of pats) {
      const k = p.segs.length;
      if (k > end) continue;
      let ok = true;
      let score = 0;
      for (let i = 0; i < k && ok; i++) {
        const d = p.segs[i]!;
        const s = segs[end - k + i]!;
        if (d.startsWith(':') || d === '*') score -= 1;
        else if (d === s) score += 2;
        else ok = false;
      }
      if (ok) {
        const base = best[end - k]!;
        const tpl = p.segs.map((d, i) => (d.startsWith(':') || d === '*' ? d.replace(/\?$/, '') : segs[end - k + i]!));
        // Nested routers often declare '/:parentId' and '/:childId' alike; a route never names
        // one parameter twice, so a pattern repeating a parameter of the prefix is the worse fit.
        const clash = tpl.some((d) => d.startsWith(':') && base.tpl.includes(d));
        consider(base.score + score - 0.1 - (clash ? 0.5 : 0), [...base.tpl, ...tpl]);
      }
    }
    best.push(cand!);
  }
  return `/${withDistinctParams(best[segs.length]!.tpl).join('/')}`;
}

export interface Grouped<T> {
  id: ServiceId;
  method: string;
  route: string;
  items: T[];
}

export function groupServices<T extends { method: string; path: string }>(items: readonly T[], patterns: readonly string[]): Grouped<T>[] {
  const out = new Map<string, Grouped<T>>();
  for (const it of items) {
    const route = templateFor(it.path, patterns);
    const id = serviceId(it.method, route);
    let g = out.get(id);
    if (!g) {
      g = { id, method: it.method.toUpperCase(), route, items: [] };
      out.set(id, g);
    }
    g.items.push(it);
  }
  return [...out.values()];
}
