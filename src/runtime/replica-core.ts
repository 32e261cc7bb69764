/**
 * What the parts of a replica (epochs.ts, initial-sync.ts, health.ts) see of it: its
 * documents, peers and lock, and the two operations they call back.
 */
import type * as A from '@automerge/automerge';
import type { CrdtAdapter } from './adapter.js';
import type { ReplicaConfig } from './api.js';
import type { PeerSync } from './sync/peer-sync.js';
import type { Mutex } from './util.js';

export interface ReplicaCore {
  readonly config: ReplicaConfig;
  readonly adapters: ReadonlyMap<string, CrdtAdapter>;
  readonly peers: ReadonlySet<PeerSync>;
  readonly mutex: Mutex;
  readonly maxBytes: number;
  readonly closed: boolean;
  /** True while a fresh edge takes the cloud's copy: remote changes are applied without capture. */
  readonly initializing: boolean;
  /** Per document, the heads the last peer to leave was known to have (health without peers). */
  readonly lastShared: Map<string, A.Heads>;
  /** Malformed or unexpected messages refused so far. */
  refusedMessages: number;
  /** Capture -> persist -> send local changes. Caller holds the lock. */
  flushLocked(): void;
  /** Offers a document's changes to every peer. */
  broadcast(docId: string): void;
}
