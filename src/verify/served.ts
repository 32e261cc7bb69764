/**
 * Served-where (DESIGN.md §8): after the replay, the edges' health reports per service how many
 * answers each edge served itself, forwarded to the cloud, or answered from the cloud after its
 * local run failed (fallback). An accepted service must be answered at the edge: one answered
 * by the cloud or by the fallback fails verify, since an edge that forwards everything would
 * otherwise pass (its answers are the cloud's, so they compare equal).
 */
import type { Health } from '../runtime/api.js';

/** One service, summed over the edges. */
export interface ServedRow {
  id: string;
  /** Accepted: answered at the edge unless its local run fails. */
  local: boolean;
  edge: number;
  cloud: number;
  fallback: number;
}

export interface ServedReport {
  ok: boolean;
  services: ServedRow[];
  /** Accepted services not (always) answered at the edge, one line each. */
  problems: string[];
}

/** Sums the edges' served counts; null entries (an edge that did not answer) count as a problem. */
export function summarizeServed(edges: Array<{ name: string; health: Health | null }>): ServedReport {
  const rows = new Map<string, ServedRow>();
  const problems: string[] = [];
  for (const { name, health } of edges) {
    if (!health?.served) {
      problems.push(`${name} did not report where it served its answers (GET /__edgstr/health has no "served"): regenerate the project with this edgstr`);
      continue;
    }
    for (const [id, c] of Object.entries(health.served)) {
      const row = rows.get(id) ?? { id, local: c.local, edge: 0, cloud: 0, fallback: 0 };
      row.local ||= c.local;
      row.edge += c.edge;
      row.cloud += c.cloud;
      row.fallback += c.fallback;
      rows.set(id, row);
    }
  }
  const services = [...rows.values()].sort((a, b) => a.id.localeCompare(b.id));
  for (const s of services) {
    if (!s.local) continue;
    if (s.fallback > 0) problems.push(`${s.id} is accepted, but ${s.fallback} of its ${s.edge + s.cloud + s.fallback} answer(s) came from the cloud after the local run failed (see the edges' warnings)`);
    if (s.cloud > 0) problems.push(`${s.id} is accepted, but ${s.cloud} of its answer(s) were forwarded to the cloud`);
  }
  return { ok: problems.length === 0, services, problems };
}
