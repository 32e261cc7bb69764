/** The replica's `GET /__edgstr/health` answer (api.ts `Health`), computed from its core. */
import * as A from '@automerge/automerge';
import type { Health, HealthMemory, HealthOptions } from './api.js';
import type { ReplicaCore } from './replica-core.js';

export interface HealthExtras {
  lastSyncAt: string | null;
  rangeIndex: number | null;
}

export function healthOf(r: ReplicaCore, extras: HealthExtras, options: HealthOptions = false): Health {
  const withDocs = options === true || (typeof options === 'object' && options.docs === true);
  const withMemory = typeof options === 'object' && options.memory === true;
  let unconfirmed = 0;
  for (const [docId, a] of r.adapters) {
    let worst = 0;
    const doc = a.store.doc;
    for (const p of r.peers) worst = Math.max(worst, p.unconfirmed(docId, doc));
    if (r.peers.size === 0) {
      const shared = r.lastShared.get(docId);
      if (shared) worst = A.getChangesMetaSince(doc, shared).length;
    }
    unconfirmed += worst;
  }
  unconfirmed += r.tableSync.unconfirmed();
  let pending = [...r.adapters.values()].reduce((n, a) => n + a.pending(), 0);
  for (const t of r.tableSync.stores.values()) pending += t.pending();
  return {
    nodeId: r.config.nodeId,
    role: r.config.role,
    peers: [...r.peers].map((p) => p.connection.remoteId),
    lastSyncAt: extras.lastSyncAt,
    pendingChanges: pending + unconfirmed,
    caughtUp: caughtUp(r),
    rangeIndex: extras.rangeIndex,
    ...(withDocs ? { docs: docsOf(r) } : {}),
    ...(withMemory ? { memory: memoryOf(r) } : {}),
  };
}

/**
 * Per document its Automerge heads; per replicated database the digest of its table state
 * (table-store.ts): equal on two replicas iff they hold the same state.
 */
function docsOf(r: ReplicaCore): Record<string, string> {
  const docs: Record<string, string> = {};
  for (const [docId, t] of r.tableSync.stores) docs[docId] = t.digest();
  for (const [docId, a] of r.adapters) docs[docId] = A.getHeads(a.store.doc).sort().join(',');
  return docs;
}

/** See {@link Health.caughtUp}. */
function caughtUp(r: ReplicaCore): boolean {
  if (r.config.role === 'cloud') return true;
  if (r.peers.size === 0) return false;
  for (const [docId, a] of r.adapters) {
    for (const p of r.peers) if (!p.hasTheirChanges(docId, a.store.doc)) return false;
  }
  for (const p of r.peers) if (!r.tableSync.hasTheirChanges(p.connection)) return false;
  return true;
}

function memoryOf(r: ReplicaCore): HealthMemory {
  const m = process.memoryUsage();
  const mib = (n: number): number => Math.round(n / 2 ** 20 * 10) / 10;
  const docs: HealthMemory['docs'] = {};
  for (const [docId, a] of r.adapters) {
    const s = A.stats(a.store.doc);
    docs[docId] = { changes: s.numChanges, ops: s.numOps, epoch: a.store.epoch };
  }
  // Tables keep no history: `changes` is their db version (row changes made or merged here),
  // `ops` the rows their clock holds (one per row, deleted ones included).
  for (const [docId, t] of r.tableSync.stores) docs[docId] = { changes: t.head(), ops: t.clockRows(), epoch: 0 };
  return { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external), docs };
}
