/**
 * The one client of `GET /__edgstr/health` (DESIGN.md §3) that verify and bench use: it fetches,
 * checks the answer's shape against the runtime's {@link Health} type and returns it, or null
 * when the replica does not answer (not started yet, stopped, or an answer of another shape).
 */
import type { Health, Role, ServedCounts } from '../runtime/api.js';

export interface HealthQuery {
  /** Ask for the documents' heads (`?docs`). */
  docs?: boolean;
  /** Per-request timeout, in ms (default 2000). */
  timeoutMs?: number;
}

/** GET <url>/__edgstr/health: the validated answer, or null. */
export async function fetchHealth(url: string, query: HealthQuery = {}): Promise<Health | null> {
  try {
    const res = await fetch(`${url}/__edgstr/health${query.docs ? '?docs' : ''}`, { signal: AbortSignal.timeout(query.timeoutMs ?? 2000) });
    if (!res.ok) return null;
    return parseHealth(await res.json());
  } catch {
    return null;
  }
}

/** The health answer, or null when `raw` does not have its shape. */
export function parseHealth(raw: unknown): Health | null {
  if (raw === null || typeof raw !== 'object') return null;
  const h = raw as Record<string, unknown>;
  if (typeof h.nodeId !== 'string' || !isRole(h.role)) return null;
  if (!Array.isArray(h.peers) || !h.peers.every((p): p is string => typeof p === 'string')) return null;
  if (h.lastSyncAt !== null && typeof h.lastSyncAt !== 'string') return null;
  if (typeof h.pendingChanges !== 'number') return null;
  const health: Health = { nodeId: h.nodeId, role: h.role, peers: h.peers, lastSyncAt: h.lastSyncAt, pendingChanges: h.pendingChanges };
  if (h.docs !== undefined) {
    if (!isStringRecord(h.docs)) return null;
    health.docs = h.docs;
  }
  if (h.served !== undefined) {
    const served = parseServed(h.served);
    if (!served) return null;
    health.served = served;
  }
  if (typeof h.rangeIndex === 'number' || h.rangeIndex === null) health.rangeIndex = h.rangeIndex;
  if (typeof h.caughtUp === 'boolean') health.caughtUp = h.caughtUp;
  return health;
}

function parseServed(raw: unknown): Record<string, ServedCounts> | null {
  if (raw === null || typeof raw !== 'object') return null;
  const out: Record<string, ServedCounts> = {};
  for (const [service, counts] of Object.entries(raw)) {
    if (counts === null || typeof counts !== 'object') return null;
    const c = counts as Record<string, unknown>;
    if (typeof c.local !== 'boolean' || typeof c.edge !== 'number' || typeof c.cloud !== 'number' || typeof c.fallback !== 'number') return null;
    out[service] = { local: c.local, edge: c.edge, cloud: c.cloud, fallback: c.fallback };
  }
  return out;
}

function isRole(v: unknown): v is Role {
  return v === 'cloud' || v === 'edge';
}

function isStringRecord(v: unknown): v is Record<string, string> {
  return v !== null && typeof v === 'object' && Object.values(v).every((x) => typeof x === 'string');
}
