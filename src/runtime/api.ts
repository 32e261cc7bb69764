/**
 * The contract between `src/generate` (which writes projects that call it) and `src/runtime`
 * (which is copied into those projects). Generated code imports only what this file declares,
 * from `./edgstr/index.js` inside the generated project. Owned by the runtime; change it only
 * together with the generate templates.
 *
 * `src/runtime/` must never import a pipeline stage (record/analyze/review/generate/verify/model).
 */
import type { Server } from 'node:http';

/** Which side a replica is on. */
import type { ServicePlacementView } from './placement.js';
export type Role = 'cloud' | 'edge';

/** One SQLite database file and the tables of it that are replicated. */
export interface ReplicatedDatabase {
  /** Absolute path of the SQLite file the app uses (the runtime opens its own connection to it). */
  file: string;
  /** Table names (as in the app's SQL) to replicate. */
  tables: string[];
}

/** Replica configuration, built by the generated project from its config file + environment. */
export interface ReplicaConfig {
  role: Role;
  /** This replica's name (edge: EDGSTR_NODE_ID or hostname; cloud: "cloud"). */
  nodeId: string;
  /** Shared secret; peers present it as socket.io `auth: { token, nodeId }`. */
  secret: string;
  /** Where the CRDT documents persist (incrementally: a restart loses nothing acknowledged). */
  dataDir: string;
  /** Edge only: the cloud origin to sync with (socket.io path /edgstr-sync). */
  cloudUrl?: string;
  /**
   * Disjoint primary-key range of this replica (0 for the cloud, 1..63 for edges): rows
   * inserted here get generated keys that no other replica can generate. On an edge it is only
   * a claim (its generated edge file's slot, or null when the operator named the edge): the
   * cloud grants the slot (key-ranges.ts), and until it did, a local run that inserts into a
   * replicated table is rolled back and forwarded to the cloud.
   */
  rangeIndex: number | null;
  /**
   * Optional, cloud only: slots reserved for node ids (the generated edges), so that no other
   * node id is granted them.
   */
  reservedRanges?: Record<string, number>;
  tables: ReplicatedDatabase[];
  /** Replicated files: app-relative paths (a directory ends in "/") under `root`. */
  files: { root: string; paths: string[] };
  /** Names of replicated globals, as registered with {@link registerGlobal}. */
  globals: string[];
  /**
   * Optional (added by the runtime, see src/runtime/README.md). How often changes the app
   * made directly are captured and synced, in ms (default 75).
   */
  flushIntervalMs?: number;
  /**
   * Optional. Edge: how long after a locally served write its capture and sync wait, in ms
   * (default 20), so the writes of a burst share one Automerge change and one sync message.
   * The write is durable in the app's storage before the answer either way.
   */
  syncDelayMs?: number;
  /**
   * Optional. Edge, first start only (no documents in dataDir yet): how long to wait for the
   * cloud's copy before serving from the snapshot alone, in ms (default 5000; 0 = do not wait).
   */
  initialSyncTimeoutMs?: number;
  /** Optional. Largest sync message accepted, in bytes (default 32 MiB). */
  maxMessageBytes?: number;
  /**
   * Optional, cloud only. History compaction (see src/runtime/compaction.ts): a document whose
   * history has grown by this many Automerge operations since its epoch began, and by at
   * least the size of its base, starts a new epoch once every connected edge has all of it
   * (default 10,000; 0 = never).
   */
  compactAfterOps?: number;
}

/** GET /__edgstr/health answers this JSON (DESIGN.md §3). */
export interface Health {
  nodeId: string;
  role: Role;
  peers: string[];
  lastSyncAt: string | null;
  pendingChanges: number;
  /**
   * Caught up with the cloud (an addition to DESIGN.md §3's fields, read by load balancers and
   * Kubernetes as readiness): an edge is connected to the cloud and holds every change the
   * cloud said it has, for every document. The cloud is always caught up. `GET
   * /__edgstr/health?ready` answers 503 instead of 200 while this is false.
   */
  caughtUp?: boolean;
  /**
   * Only with `GET /__edgstr/health?docs` (an addition to DESIGN.md §3's fields): per CRDT
   * document its Automerge heads, sorted and comma-joined; per replicated database the digest
   * of its table state (16 hex digits, table-store.ts). Equal on two replicas iff they hold the
   * same state (verify's convergence check).
   */
  docs?: Record<string, string>;
  /** Only with `GET /__edgstr/health?memory`: this process's memory and the documents' size. */
  memory?: HealthMemory;
  /**
   * Edge (DESIGN.md §8): per service (`METHOD /route`), how many answers were served at the
   * edge, by the cloud (forwarded), and by the cloud after a local run failed (fallback).
   * Added by the edge's front server, not by the replica.
   */
  served?: Record<string, ServedCounts>;
  /**
   * Edge: where each accepted service is answered now, pinned or not, and the estimates behind
   * it (the entries of `GET /__edgstr/placement`, see placement.ts). Added by the edge's front server.
   */
  placement?: Record<string, ServicePlacementView>;
  /** The key range this replica allocates generated primary keys in (null: none granted yet). */
  rangeIndex?: number | null;
}

/** Where an edge's answers to one service came from (the `x-edgstr-served` header's values). */
export interface ServedCounts {
  /** Whether the service is accepted (answered at the edge unless its local run fails). */
  local: boolean;
  edge: number;
  cloud: number;
  fallback: number;
}

/** What `?memory` adds to the health answer (sizes in MiB, one decimal). */
export interface HealthMemory {
  rssMiB: number;
  heapUsedMiB: number;
  /** Mostly Automerge's WASM memory, which grows to its peak and never shrinks. */
  externalMiB: number;
  /** Per CRDT document: changes and operations in its history (Automerge keeps all of them). */
  docs: Record<string, { changes: number; ops: number; epoch: number }>;
}

/** Which optional parts a health answer includes (a boolean means `docs`, as before). */
export type HealthOptions = boolean | { docs?: boolean; memory?: boolean };

/**
 * A locally served request's changes. The edge serializes locally served requests: `begin()`
 * before dispatching to the app, then `commit()` when the app answered with success, or
 * `rollback()` (undo every table/file/global change made since begin) before forwarding to the cloud.
 */
export interface LocalTx {
  commit(): Promise<void>;
  rollback(): Promise<void>;
}

export interface Replica {
  readonly config: ReplicaConfig;
  /** Cloud: serve the sync hub on the app's own HTTP server (socket.io path /edgstr-sync). */
  attachHub(server: Server): void;
  begin(): Promise<LocalTx>;
  /** Capture the changes made so far (tables, files, globals) and send them to the peers. */
  flush(): Promise<void>;
  /**
   * Cloud: makes the globals' current values durable now (captured into their document and
   * written), before the app's answer leaves. Globals live only in memory, so an answer sent
   * before this could be lost to kill -9 although the client saw it. Returns false, doing
   * nothing, while another operation holds the replica (then await flush() before answering).
   */
  persistGlobalsNow(): boolean;
  health(options?: HealthOptions): Health;
  close(): Promise<void>;
  /**
   * Added by the runtime: registers a replicated global for this replica only (the module-level
   * {@link RegisterGlobal} registers for every replica of the process). Useful when several
   * replicas share one process, e.g. in tests.
   */
  registerGlobal(name: string, get: () => unknown, set: (value: unknown) => void): void;
}

/**
 * Registers a replicated global so the runtime can read it after a request and set it when a
 * remote change arrives. Generated app code calls this once per replicated binding, e.g.
 *   registerGlobal('viewCount', () => viewCount, (v) => { viewCount = v; });
 * and for a field of a long-lived object (`Class#field`):
 *   registerGlobal('BookService#searchCache', () => this.searchCache, (v) => { this.searchCache = v; });
 * Numbers are merged as counters (a change is an increment), Maps and plain objects per key.
 */
export type RegisterGlobal = (name: string, get: () => unknown, set: (value: unknown) => void) => void;
