/**
 * A replica: the CRDT documents of one edge or cloud process, their persistence, capture and
 * apply, local transactions, and sync with peers. See README.md for how generated code uses it.
 */
import * as A from '@automerge/automerge';
import type { Server } from 'node:http';
import { basename } from 'node:path';
import type { Health, HealthMemory, HealthOptions, LocalTx, Replica, ReplicaConfig } from './api.js';
import type { CrdtAdapter } from './adapter.js';
import { carryOver, rebuildDoc, rebuildInWorker } from './compaction.js';
import { FileCrdt } from './file-crdt.js';
import { Durability } from './durability.js';
import { JsonCrdt, type GlobalBinding } from './json-crdt.js';
import { applySyncMessages } from './sync/apply.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseWireMessage, type EpochMessage, type RangeMessage, type SyncMessage } from './sync/messages.js';
import { PeerSync, type SyncTraffic } from './sync/peer-sync.js';
import { dialSocketIo, listenSocketIo } from './sync/socketio-transport.js';
import type { Connection, Endpoint } from './sync/transport.js';
import { archiveHasAll, loadArchive, type DocRoot } from './doc-store.js';
import { TableCrdt } from './table-crdt.js';
import { KeyRangeRegistry, readGrantedRange, writeGrantedRange } from './key-ranges.js';
import { SLOTS } from './table-schema.js';
import { Mutex, errorMessage, rlog } from './util.js';

/** Default of ReplicaConfig.syncDelayMs. */
export const DEFAULT_SYNC_DELAY_MS = 20;
/** Default of ReplicaConfig.compactAfterOps. */
export const DEFAULT_COMPACT_AFTER_OPS = 10_000;
/** How often the cloud looks at the documents' history size, in ms. */
const COMPACT_CHECK_MS = 1000;
/** A rebuild that keeps more than this share of the operations is not worth a new epoch. */
const WORTH_COMPACTING = 0.8;
/** A rebuilt document not used by then is dropped (the edges never all had the whole document). */
const COMPACT_GIVE_UP_MS = 60_000;

/** Globals registered with the module-level registerGlobal: shared by every replica of the process. */
export const processBindings = new Map<string, GlobalBinding>();
const liveReplicas = new Set<EdgstrReplica>();

export function registerProcessGlobal(name: string, get: () => unknown, set: (value: unknown) => void): void {
  processBindings.set(name, { get, set });
  for (const r of liveReplicas) r.restoreGlobal(name);
}

export class EdgstrReplica implements Replica {
  readonly adapters = new Map<string, CrdtAdapter>();
  private readonly bindings = new Map<string, GlobalBinding>();
  private readonly peers = new Set<PeerSync>();
  private readonly endpoints: Endpoint[] = [];
  private readonly mutex = new Mutex();
  private readonly maxBytes: number;
  private json: JsonCrdt | null = null;
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  private closed = false;
  private lastSyncAt: string | null = null;
  private lastShared = new Map<string, A.Heads>();
  /** Documents changed locally and not yet offered to the peers (see flushLocked). */
  private readonly unsent = new Set<string>();
  private readonly durability = new Durability(() => [...this.adapters.values()].map((a) => a.store), this.mutex, () => this.closed);
  /** True while a fresh edge takes the cloud's copy: remote changes are applied without capture. */
  private initializing = false;
  private hubHeads: Record<string, string[]> | null = null;
  private hubEpochs: Record<string, number> = {};
  /** Cloud: per document, the operations of its current epoch's base (0: not known). */
  private readonly baseOps = new Map<string, number>();
  private lastCompactCheck = 0;
  /** Cloud: documents being compacted: the heads rebuilt from, and the rebuilt document once ready. */
  private readonly compaction = new Map<string, { base: A.Heads; rebuilt: Uint8Array | null; since: number }>();
  /** Epoch changes made so far (tests and health read it). */
  epochSwitches = 0;
  /** Cloud: peers brought up to date on an archived epoch first (they came back with writes of their own). */
  staleCatchUps = 0;
  private onInitialSync: (() => void) | null = null;
  /** Malformed messages refused so far (health and tests read it). */
  refusedMessages = 0;
  /** Sync messages and bytes this replica sent (tests and the bench read it). */
  readonly traffic: SyncTraffic = { messages: 0, bytes: 0 };
  /**
   * The slot generated keys are allocated in (key-ranges.ts). Edge: null until the cloud
   * granted one (or while the cloud refuses this node id); the cloud: 0.
   */
  private rangeIndex: number | null;
  /**
   * Edge: whether keys may be generated in `rangeIndex`: the cloud granted it (now or before),
   * or it is the generated edge file's slot, which the cloud reserves for that node id. Not
   * while the cloud refuses this node id (another replica with it is live).
   */
  private rangeUsable = false;
  /** Edge: the grant kept in the data dir. */
  private persistedRange: number | null = null;
  private onRangeGranted: (() => void) | null = null;
  /** Cloud: the slot of each node id. */
  private readonly ranges: KeyRangeRegistry | null;
  /** Cloud: when a refusal of each node id was last logged. */
  private readonly refusalLogged = new Map<string, number>();
  /** Edge: the reason the cloud last refused this node id (logged once per refusal). */
  private refusedBy: string | null = null;

  constructor(readonly config: ReplicaConfig) {
    validateConfig(config);
    this.maxBytes = config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.ranges = config.role === 'cloud' ? new KeyRangeRegistry(config.dataDir, config.reservedRanges) : null;
    // An edge takes the slot it was granted before (kept in its data dir) over its config's claim.
    const granted = config.role === 'edge' ? readGrantedRange(config.dataDir, config.nodeId) : null;
    this.persistedRange = granted;
    this.rangeIndex = granted ?? config.rangeIndex;
    this.rangeUsable = this.rangeIndex !== null;
    const used = new Set<string>();
    for (const database of config.tables) {
      let docId = `db-${basename(database.file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      while (used.has(docId)) docId += '_';
      used.add(docId);
      this.adapters.set(docId, new TableCrdt(database, config.dataDir, docId, this.rangeIndex));
    }
    if (config.files.paths.length > 0) this.adapters.set('files', new FileCrdt(config.files, config.dataDir, 'files'));
    if (config.globals.length > 0) {
      this.json = new JsonCrdt(config.globals, (n) => this.bindings.get(n) ?? processBindings.get(n), config.dataDir, 'globals');
      this.adapters.set('globals', this.json);
    }
  }

  /** Brings documents and app state together after a (re)start; see README "Start-up". */
  async start(): Promise<void> {
    const fresh = [...this.adapters.values()].filter((a) => a.store.fresh);
    const known = [...this.adapters.values()].filter((a) => !a.store.fresh);
    await this.mutex.run(() => {
      // Local changes made while the runtime was down are in the change log / on disk: capture
      // them first, then make the app state equal to the document (it may hold remote changes
      // that were persisted but not applied when the process died).
      this.flushLocked();
      for (const a of known) a.reconcile();
      if (this.config.role === 'cloud') for (const a of fresh) a.seed();
      this.persistAll();
      this.durability.syncNow();
    });
    liveReplicas.add(this);
    // A document already compacted once holds little history: measure growth from here.
    for (const [docId, a] of this.adapters) if (a.store.epoch > 0) this.baseOps.set(docId, A.stats(a.store.doc).numOps);
    if (this.config.role === 'edge' && this.config.cloudUrl) {
      const wait = this.config.initialSyncTimeoutMs ?? 5000;
      const synced = fresh.length > 0 && wait > 0 ? this.waitForInitialSync(wait) : Promise.resolve(false);
      this.initializing = fresh.length > 0 && wait > 0;
      const granted = this.rangeUsable || wait === 0 ? Promise.resolve(true) : this.waitForRange(wait);
      this.attachTransport(dialSocketIo(this.config.cloudUrl, { secret: this.config.secret, nodeId: this.config.nodeId }));
      const ok = await synced;
      if (!(await granted)) rlog.warn(`${this.config.nodeId}: no key range from the cloud yet: requests that insert rows are forwarded to the cloud until it grants one`);
      await this.mutex.run(() => {
        this.initializing = false;
        for (const a of fresh) {
          if (ok) a.reconcile();
          else a.seed();
        }
        if (!ok && fresh.length > 0) rlog.warn('no copy from the cloud yet: serving from the local snapshot');
        this.persistAll();
        this.durability.syncNow();
        this.broadcastAll();
      });
    } else if (this.config.role === 'edge') {
      for (const a of fresh) a.seed();
      this.persistAll();
      await this.mutex.run(() => this.durability.syncNow());
    }
    const every = this.config.flushIntervalMs ?? 75;
    this.timer = setInterval(() => this.backgroundFlush(), every);
    this.timer.unref();
  }

  attachHub(server: Server): void {
    if (this.config.role !== 'cloud') throw new Error('attachHub: only the cloud replica serves the sync hub');
    this.attachTransport(listenSocketIo(server, { secret: this.config.secret, maxMessageBytes: this.maxBytes }));
  }

  /** Uses any transport endpoint (socket.io hub or dialer, or the in-memory one in tests). */
  attachTransport(endpoint: Endpoint): void {
    this.endpoints.push(endpoint);
    endpoint.onConnection((c) => this.onConnection(c));
  }

  registerGlobal(name: string, get: () => unknown, set: (value: unknown) => void): void {
    this.bindings.set(name, { get, set });
    this.restoreGlobal(name);
  }

  /** A global registered after start takes the document's value (restart, or an edge's first sync). */
  restoreGlobal(name: string): void {
    this.json?.applyToApp(name);
  }

  async begin(): Promise<LocalTx> {
    const release = await this.mutex.acquire();
    let marks: unknown[];
    try {
      // Files and globals roll back to their document: capture them first. Tables keep the
      // rows not yet captured themselves (see TableCrdt.mark), so a request does not wait for
      // the Automerge change of the previous one: the delayed background flush makes one
      // change and one sync message for all the writes of its window.
      this.captureLocked((a) => a.captureBeforeMark);
      marks = [...this.adapters.values()].map((a) => a.mark());
    } catch (err: unknown) {
      release();
      throw err;
    }
    let done = false;
    const finish = (work: () => void): Promise<void> => {
      if (done) return Promise.resolve();
      done = true;
      try {
        work();
      } finally {
        release();
      }
      return Promise.resolve();
    };
    return {
      commit: () => {
        // Without a granted slot, a key generated here could be generated at another replica
        // too: the caller rolls back and forwards the request to the cloud.
        if (!done && this.config.role === 'edge' && !this.rangeUsable && this.insertedWithoutRange(marks)) {
          return Promise.reject(new NoKeyRangeError(this.config.nodeId));
        }
        return finish(() => this.commitLocked());
      },
      rollback: () =>
        finish(() => {
          [...this.adapters.values()].forEach((a, i) => a.rollback(marks[i]));
        }),
    };
  }

  async flush(): Promise<void> {
    await this.mutex.run(() => this.flushLocked());
  }

  persistGlobalsNow(): boolean {
    if (this.closed || this.mutex.busy) return false;
    // Nobody holds the lock: no operation is half done, so capturing outside it is safe
    // (everything below is synchronous). The cloud's own flush after the answer sends it.
    this.persistVolatileLocked();
    return true;
  }

  health(options: HealthOptions = false): Health {
    const withDocs = options === true || (typeof options === 'object' && options.docs === true);
    const withMemory = typeof options === 'object' && options.memory === true;
    let unconfirmed = 0;
    for (const [docId, a] of this.adapters) {
      let worst = 0;
      const doc = a.store.doc;
      for (const p of this.peers) worst = Math.max(worst, p.unconfirmed(docId, doc));
      if (this.peers.size === 0) {
        const shared = this.lastShared.get(docId);
        if (shared) worst = A.getChangesMetaSince(doc, shared).length;
      }
      unconfirmed += worst;
    }
    const pending = [...this.adapters.values()].reduce((n, a) => n + a.pending(), 0);
    return {
      nodeId: this.config.nodeId,
      role: this.config.role,
      peers: [...this.peers].map((p) => p.connection.remoteId),
      lastSyncAt: this.lastSyncAt,
      pendingChanges: pending + unconfirmed,
      caughtUp: this.caughtUp(),
      rangeIndex: this.rangeUsable || this.config.role === 'cloud' ? this.rangeIndex : null,
      ...(withDocs ? { docs: Object.fromEntries([...this.adapters].map(([docId, a]) => [docId, A.getHeads(a.store.doc).sort().join(',')])) } : {}),
      ...(withMemory ? { memory: this.memory() } : {}),
    };
  }

  /** See {@link Health.caughtUp}. */
  private caughtUp(): boolean {
    if (this.config.role === 'cloud') return true;
    if (this.peers.size === 0) return false;
    for (const [docId, a] of this.adapters) {
      for (const p of this.peers) if (!p.hasTheirChanges(docId, a.store.doc)) return false;
    }
    return true;
  }

  private memory(): HealthMemory {
    const m = process.memoryUsage();
    const mib = (n: number): number => Math.round(n / 2 ** 20 * 10) / 10;
    const docs: HealthMemory['docs'] = {};
    for (const [docId, a] of this.adapters) {
      const s = A.stats(a.store.doc);
      docs[docId] = { changes: s.numChanges, ops: s.numOps, epoch: a.store.epoch };
    }
    return { rssMiB: mib(m.rss), heapUsedMiB: mib(m.heapUsed), externalMiB: mib(m.external), docs };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearTimeout(this.soonTimer);
    liveReplicas.delete(this);
    await this.durability.idle();
    await this.mutex.run(() => {
      this.flushLocked();
      this.durability.syncNow();
    });
    for (const e of this.endpoints) await e.close();
    for (const p of this.peers) p.connection.close();
    for (const a of this.adapters.values()) {
      a.store.close();
      a.close();
    }
  }

  private backgroundFlush(): void {
    if (this.flushQueued || this.closed) return;
    this.flushQueued = true;
    // No periodic re-sending: Automerge's sync protocol needs none on a reliable, ordered
    // connection (socket.io), and every new connection starts from fresh sync states. Resetting
    // a peer's state "now and then" made the hub and the edge renegotiate forever when idle and,
    // worse, a state reset while converged is never answered by the peer (equal heads, nothing
    // asked), so its shared heads stayed empty. A message that could not be applied drops the
    // connection instead (see receive), which renegotiates from scratch.
    this.mutex
      .run(() => {
        this.flushLocked();
        this.durability.syncInBackground();
        if (this.config.role === 'cloud') this.maybeCompactLocked();
      })
      .catch((err: unknown) => rlog.warn(`background flush failed: ${errorMessage(err)}`))
      .finally(() => {
        this.flushQueued = false;
      });
  }

  /**
   * Capture -> persist (written: survives kill -9) -> send; the captured log rows are dropped
   * after the next fsync (Durability). Caller holds the lock.
   */
  private flushLocked(): void {
    this.captureLocked(() => true);
    for (const docId of this.unsent) this.broadcast(docId);
    this.unsent.clear();
  }

  /**
   * What must be durable before the edge answers: a request's table rows and their change-log
   * rows are committed in SQLite and its files are on disk, both survive kill -9 and are
   * captured at the next start; globals live only in memory, so they are captured and written
   * to their document now. Everything else is captured `syncDelayMs` after the answer (one
   * Automerge change for what queued up meanwhile), then sent; the fsync follows.
   */
  private commitLocked(): void {
    this.persistVolatileLocked();
    this.flushSoon();
  }

  private persistVolatileLocked(): void {
    this.captureLocked((a) => a.volatile);
  }

  /** Capture -> persist (written, not yet fsynced) for the adapters `which` selects. Caller holds the lock. */
  private captureLocked(which: (a: CrdtAdapter) => boolean): void {
    for (const [docId, a] of this.adapters) {
      if (!which(a)) continue;
      const after = a.capture();
      if (a.store.persist()) this.unsent.add(docId);
      this.durability.afterSync(after);
    }
  }

  /**
   * Captures and sends local writes `syncDelayMs` after the first commit of a burst: the writes
   * of that window become one Automerge change and one sync message (their cost per change and
   * per message is most of the edge's CPU per write), at the price of that delay in propagation.
   */
  private flushSoon(): void {
    if (this.soonTimer || this.closed) return;
    this.soonTimer = setTimeout(() => {
      this.soonTimer = undefined;
      this.backgroundFlush();
    }, this.config.syncDelayMs ?? DEFAULT_SYNC_DELAY_MS);
  }

  private persistAll(): void {
    for (const a of this.adapters.values()) a.store.persist();
  }

  private broadcast(docId: string): void {
    const store = this.adapters.get(docId)!.store;
    for (const p of this.peers) p.send(docId, store.doc, store.epoch);
  }

  private broadcastAll(): void {
    for (const docId of this.adapters.keys()) this.broadcast(docId);
  }

  private onConnection(connection: Connection): void {
    if (this.closed) {
      connection.close();
      return;
    }
    if (this.config.role === 'cloud' && [...this.peers].some((p) => p.connection.remoteId === connection.remoteId)) {
      // Two live replicas with one node id would share one key range (and one sync state).
      const reason = `node id "${connection.remoteId}" is already connected: give each edge its own EDGSTR_NODE_ID`;
      // The refused edge re-dials every half second: say it once a minute per node id.
      const last = this.refusalLogged.get(connection.remoteId) ?? 0;
      if (Date.now() - last > 60_000) {
        this.refusalLogged.set(connection.remoteId, Date.now());
        rlog.warn(`${this.config.nodeId}: refused a second sync peer ${connection.remoteId}: ${reason}`);
      }
      connection.send({ type: 'refused', reason });
      connection.close();
      return;
    }
    const peer = new PeerSync(connection, this.traffic);
    this.peers.add(peer);
    rlog.info(`${this.config.nodeId}: sync peer ${connection.remoteId} connected`);
    connection.onClose(() => {
      this.peers.delete(peer);
      for (const stale of peer.stale.values()) A.free(stale.doc);
      peer.stale.clear();
      for (const docId of this.adapters.keys()) {
        const h = peer.sharedHeads(docId);
        if (h) this.lastShared.set(docId, h);
      }
    });
    connection.onMessage((raw) => {
      const msg = parseWireMessage(raw, this.maxBytes);
      if (typeof msg === 'string') {
        this.refusedMessages++;
        rlog.warn(`${this.config.nodeId}: refused a sync message from ${connection.remoteId}: ${msg}`);
        return;
      }
      // Messages that queue up while the replica is busy are applied together: one SQL
      // transaction, one fsync and one reply per document instead of one per message.
      peer.inbox.push(msg);
      if (peer.inbox.length === 1) {
        this.mutex
          .run(() => this.drain(peer))
          .catch((err: unknown) => {
            // The peer counts what it sent as delivered and never sends it again on this
            // connection: drop it, so both sides start the sync over on a new one.
            rlog.warn(`sync message from ${connection.remoteId} failed (${errorMessage(err)}): reconnecting`);
            connection.close();
          });
      }
    });
    void this.mutex.run(() => {
      if (this.config.role === 'cloud') {
        // The edge waits for these heads on its first start: make them include the app's latest.
        this.flushLocked();
        const heads: Record<string, string[]> = {};
        const epochs: Record<string, number> = {};
        for (const [docId, a] of this.adapters) {
          heads[docId] = A.getHeads(a.store.doc);
          epochs[docId] = a.store.epoch;
        }
        connection.send({ type: 'hello', heads, epochs });
      } else {
        connection.send({ type: 'range', rangeIndex: this.rangeIndex });
      }
      if (this.config.role === 'edge' && this.initializing) {
        // A fresh edge learns the hub's epochs first: see FreshMessage.
        peer.waitingHello = true;
        return;
      }
      for (const [docId, a] of this.adapters) peer.send(docId, a.store.doc, a.store.epoch);
    });
  }

  private drain(peer: PeerSync): void {
    const batch = peer.inbox.splice(0);
    const byDoc = new Map<string, Uint8Array[]>();
    const receiveQueued = (): void => {
      for (const [docId, datas] of byDoc) this.receive(peer, docId, datas);
      byDoc.clear();
    };
    for (const msg of batch) {
      if (msg.type === 'range') {
        this.onRangeMessage(peer, msg);
        continue;
      }
      if (msg.type === 'refused') {
        if (this.config.role === 'edge') this.onRefused(msg.reason);
        else this.refusedMessages++;
        continue;
      }
      if (msg.type === 'hello') {
        if (this.config.role === 'edge') {
          this.hubHeads = msg.heads;
          this.hubEpochs = msg.epochs ?? {};
          if (peer.waitingHello) {
            peer.waitingHello = false;
            for (const [docId, a] of this.adapters) {
              if (this.initializing && (this.hubEpochs[docId] ?? 0) > a.store.epoch) peer.connection.send({ type: 'fresh', docId });
              else peer.send(docId, a.store.doc, a.store.epoch);
            }
          }
        }
        continue;
      }
      if (msg.type === 'fresh') {
        const store = this.config.role === 'cloud' ? this.adapters.get(msg.docId)?.store : undefined;
        if (!store) this.refusedMessages++;
        else if (store.epoch === 0) peer.send(msg.docId, store.doc, 0);
        else this.offerEpoch(peer, msg.docId, []);
        continue;
      }
      if (msg.type === 'epoch') {
        // Everything before the offer belongs to the older epoch: apply it first.
        receiveQueued();
        this.acceptEpoch(peer, msg);
        continue;
      }
      if (msg.type !== 'sync') {
        this.refusedMessages++;
        continue;
      }
      if (!this.currentEpoch(peer, msg)) continue;
      let list = byDoc.get(msg.docId);
      if (!list) byDoc.set(msg.docId, (list = []));
      list.push(msg.data);
    }
    receiveQueued();
    this.checkInitialSync();
    for (const docId of this.compaction.keys()) this.tryFinishCompaction(docId);
  }

  /*
   * Epochs (history compaction, see compaction.ts and docs/faults.md). The cloud starts a new
   * epoch of a document when its history has grown enough and every connected edge has all of
   * it: it archives the document, rebuilds it without history, and offers the new one to every
   * peer together with the old heads it includes (the base). An edge moves to it once it has the
   * base, re-applying on top what it changed after the base (its own writes, since everything
   * it received came from the cloud's old epoch). A peer that comes back on an older epoch is
   * offered the current one at once if the cloud's archive has all of its heads (it wrote
   * nothing since); otherwise it first syncs against a private copy of the archive, which
   * sends it what it lacks of the base and never relays its writes (it re-applies them itself).
   */

  /** Whether a sync message is of the document's current epoch; handles the others. */
  private currentEpoch(peer: PeerSync, msg: SyncMessage): boolean {
    const store = this.adapters.get(msg.docId)?.store;
    if (!store || msg.epoch === store.epoch) {
      if (store && peer.stale.has(msg.docId)) {
        A.free(peer.stale.get(msg.docId)!.doc);
        peer.stale.delete(msg.docId);
      }
      return true;
    }
    if (this.config.role === 'edge') {
      // Older: left over from an epoch we already left. Newer: generated before the cloud knew
      // our epoch; its offer follows once it sees one of our messages, and resets its state.
      return false;
    }
    if (msg.epoch > store.epoch) {
      this.refusedMessages++;
      rlog.warn(`${this.config.nodeId}: ${peer.connection.remoteId} is at epoch ${msg.epoch} of ${msg.docId}, ahead of ours (${store.epoch}): refused`);
      return false;
    }
    // In flight from before our offer: the peer re-applies what it carries once it moves.
    if (peer.offered.get(msg.docId) === store.epoch) return false;
    this.syncStale(peer, msg);
    return false;
  }

  private syncStale(peer: PeerSync, msg: SyncMessage): void {
    const { docId, epoch } = msg;
    const remote = peer.connection.remoteId;
    let stale = peer.stale.get(docId);
    if (stale && stale.epoch !== epoch) {
      A.free(stale.doc);
      peer.stale.delete(docId);
      stale = undefined;
    }
    if (!stale) {
      let heads: A.Heads;
      try {
        heads = A.decodeSyncMessage(msg.data).heads;
      } catch (err: unknown) {
        this.refusedMessages++;
        rlog.warn(`${this.config.nodeId}: refused a malformed sync message from ${remote}: ${errorMessage(err)}`);
        return;
      }
      const known = archiveHasAll(this.config.dataDir, docId, epoch, heads);
      if (known === null) {
        this.refusedMessages++;
        rlog.warn(`${this.config.nodeId}: ${remote} is at epoch ${epoch} of ${docId}, which is not archived here: it cannot sync until an operator resets it`);
        return;
      }
      if (known) {
        // Nothing written there since: the current epoch includes all of it.
        this.offerEpoch(peer, docId, heads);
        return;
      }
      const doc = loadArchive(this.config.dataDir, docId, epoch);
      if (!doc) return;
      rlog.info(`${this.config.nodeId}: ${remote} comes back at epoch ${epoch} of ${docId} with writes of its own: syncing it up to that epoch's end first`);
      stale = { epoch, doc, state: A.initSyncState(), base: A.getHeads(doc) };
      this.staleCatchUps++;
      peer.stale.set(docId, stale);
    }
    try {
      [stale.doc, stale.state] = A.receiveSyncMessage(stale.doc, stale.state, msg.data);
    } catch (err: unknown) {
      this.refusedMessages++;
      rlog.warn(`${this.config.nodeId}: refused a malformed sync message from ${remote}: ${errorMessage(err)}`);
      return;
    }
    if (peerHas(stale.doc, stale.state, stale.base)) {
      A.free(stale.doc);
      peer.stale.delete(docId);
      this.offerEpoch(peer, docId, stale.base);
      return;
    }
    const [state, reply] = A.generateSyncMessage(stale.doc, stale.state);
    stale.state = state;
    if (reply) peer.sendMessage(docId, reply, epoch);
  }

  private offerEpoch(peer: PeerSync, docId: string, base: A.Heads, data?: Uint8Array): void {
    const store = this.adapters.get(docId)!.store;
    peer.sendEpoch(docId, store.epoch, base, data ?? A.save(store.doc));
    peer.send(docId, store.doc, store.epoch);
  }

  /**
   * Cloud, under the lock: starts rebuilding documents whose history has grown by
   * compactAfterOps operations and by at least the size of their base (so the cost of a
   * rebuild, and of shipping it to every edge, stays in proportion to the writes it drops).
   */
  private maybeCompactLocked(): void {
    const every = this.config.compactAfterOps ?? DEFAULT_COMPACT_AFTER_OPS;
    if (every <= 0 || this.closed) return;
    const now = Date.now();
    if (now - this.lastCompactCheck < COMPACT_CHECK_MS) return;
    this.lastCompactCheck = now;
    for (const [docId, a] of this.adapters) {
      if (this.compaction.has(docId)) {
        this.tryFinishCompaction(docId);
        continue;
      }
      const base = this.baseOps.get(docId) ?? 0;
      if (A.stats(a.store.doc).numOps - base < Math.max(every, base)) continue;
      const job = { base: A.getHeads(a.store.doc), rebuilt: null as Uint8Array | null, since: now };
      this.compaction.set(docId, job);
      const saved = A.save(a.store.doc);
      const worker = rebuildInWorker(saved);
      if (!worker) {
        job.rebuilt = A.save(rebuildDoc(a.store.doc));
        this.tryFinishCompaction(docId);
        continue;
      }
      worker
        .then((rebuilt) => {
          job.rebuilt = rebuilt;
          return this.mutex.run(() => this.tryFinishCompaction(docId));
        })
        .catch((err: unknown) => {
          this.compaction.delete(docId);
          rlog.warn(`${this.config.nodeId}: could not compact ${docId}: ${errorMessage(err)}`);
        });
    }
  }

  /**
   * Cloud, under the lock: once the rebuilt document is ready and every connected edge has all
   * of the current one (so each can move without catching up first), archives the document and
   * starts its next epoch with the rebuilt one, plus what arrived or was written while it was
   * being rebuilt. Called after every batch of sync messages until then.
   */
  private tryFinishCompaction(docId: string): void {
    const job = this.compaction.get(docId);
    if (!job?.rebuilt || this.closed) return;
    const store = this.adapters.get(docId)!.store;
    const old = store.doc;
    if (![...this.peers].every((p) => A.hasOurChanges(old, p.state(docId)))) {
      if (Date.now() - job.since > COMPACT_GIVE_UP_MS) {
        this.compaction.delete(docId);
        rlog.info(`${this.config.nodeId}: ${docId}: the edges never had all of it at once for ${COMPACT_GIVE_UP_MS / 1000} s: compaction postponed`);
      }
      return;
    }
    this.compaction.delete(docId);
    const started = performance.now();
    const base = A.getHeads(old);
    const { doc: next } = carryOver(A.load<DocRoot>(job.rebuilt, { actor: store.actor }), old, job.base);
    const [opsOld, opsNext] = [A.stats(old).numOps, A.stats(next).numOps];
    if (opsNext > opsOld * WORTH_COMPACTING) {
      // Mostly live state (a large seed, say): a new epoch would cost every edge a reload for
      // little. Measure the growth from this size on.
      A.free(next);
      this.baseOps.set(docId, opsNext);
      rlog.info(`${this.config.nodeId}: ${docId}: ${opsOld} ops, ${opsNext} without history: not worth a new epoch yet`);
      return;
    }
    const data = A.save(next);
    if (data.length > this.maxBytes) {
      // An edge would refuse the offer (maxMessageBytes): keep the history instead.
      A.free(next);
      this.baseOps.set(docId, opsOld);
      rlog.warn(`${this.config.nodeId}: ${docId} without history is ${data.length} bytes, more than maxMessageBytes (${this.maxBytes}): not compacted`);
      return;
    }
    store.archive();
    this.enterEpoch(docId, next, store.epoch + 1);
    this.baseOps.set(docId, opsNext);
    for (const p of this.peers) this.offerEpoch(p, docId, base, data);
    rlog.info(`${this.config.nodeId}: ${docId} is at epoch ${store.epoch}: history compacted (${data.length} bytes, ${Math.round(performance.now() - started)} ms on the event loop after ${Date.now() - job.since} ms in all)`);
  }

  /** Makes `doc` the document's epoch `epoch` (persisted atomically) and frees the old one. */
  private enterEpoch(docId: string, doc: A.Doc<DocRoot>, epoch: number): void {
    const store = this.adapters.get(docId)!.store;
    const old = store.doc;
    store.replace(doc, epoch);
    A.free(old);
    this.lastShared.delete(docId);
    this.epochSwitches++;
  }

  /** Edge: moves a document to the epoch the cloud offers. */
  private acceptEpoch(peer: PeerSync, msg: EpochMessage): void {
    const adapter = this.adapters.get(msg.docId);
    if (!adapter || this.config.role !== 'edge') {
      this.refusedMessages++;
      return;
    }
    const store = adapter.store;
    if (msg.epoch <= store.epoch) return;
    // Everything written here goes into the old document first: it is carried over from there.
    // A fresh edge still waiting for the cloud's copy has served nothing: it carries nothing.
    const carry = !this.initializing;
    if (carry) this.flushLocked();
    const old = store.doc;
    if (!A.hasHeads(old, msg.base) || (carry && msg.base.length === 0)) {
      // Cannot happen with a cloud that offers only what we have; reconnecting starts over.
      rlog.warn(`${this.config.nodeId}: offered epoch ${msg.epoch} of ${msg.docId} on a base we do not have: reconnecting`);
      peer.connection.close();
      return;
    }
    let next: A.Doc<DocRoot>;
    try {
      next = A.load<DocRoot>(msg.data, { actor: store.actor });
    } catch (err: unknown) {
      this.refusedMessages++;
      rlog.warn(`${this.config.nodeId}: refused epoch ${msg.epoch} of ${msg.docId}: ${errorMessage(err)}`);
      peer.connection.close();
      return;
    }
    // Carrying over from our own heads re-applies nothing.
    const { doc, stats } = carryOver(next, old, carry ? msg.base : A.getHeads(old));
    this.enterEpoch(msg.docId, doc, msg.epoch);
    adapter.reconcile();
    peer.resetState(msg.docId);
    rlog.info(`${this.config.nodeId}: ${msg.docId} moved to epoch ${msg.epoch} (carried over ${stats.replaced} entries, ${stats.increments} increments, ${stats.appends} appends)`);
    this.broadcast(msg.docId);
  }

  private receive(peer: PeerSync, docId: string, datas: Uint8Array[]): void {
    const adapter = this.adapters.get(docId);
    if (!adapter) {
      this.refusedMessages += datas.length;
      rlog.warn(`${this.config.nodeId}: sync message for unknown document ${docId} from ${peer.connection.remoteId}`);
      return;
    }
    const remote = peer.connection.remoteId;
    const epoch = adapter.store.epoch;
    const { state, replies, changed, after } = applySyncMessages(adapter, peer.state(docId), datas, !this.initializing, (err) => {
      this.refusedMessages++;
      rlog.warn(`${this.config.nodeId}: refused a malformed sync message from ${remote}: ${errorMessage(err)}`);
    });
    peer.setState(docId, state);
    this.lastSyncAt = new Date().toISOString();
    if (changed) adapter.store.persist();
    this.durability.afterSync(after);
    // Answers go out once what they acknowledge is written; then relay to everyone else.
    for (const reply of replies) peer.sendMessage(docId, reply, epoch);
    if (changed) this.broadcast(docId);
  }

  /** Cloud: grants the claiming edge its slot. Edge: takes the granted slot. Caller holds the lock. */
  private onRangeMessage(peer: PeerSync, msg: RangeMessage): void {
    if (this.config.role === 'cloud') {
      const slot = this.ranges!.grant(peer.connection.remoteId, msg.rangeIndex);
      if (slot === null) {
        rlog.warn(`${this.config.nodeId}: no key range left for ${peer.connection.remoteId} (all ${SLOTS - 1} are granted): its inserts go to the cloud`);
        return;
      }
      if (slot !== msg.rangeIndex) rlog.info(`${this.config.nodeId}: ${peer.connection.remoteId} allocates keys in range ${slot}`);
      peer.connection.send({ type: 'range', rangeIndex: slot });
      return;
    }
    if (msg.rangeIndex === null) {
      this.refusedMessages++;
      return;
    }
    this.refusedBy = null;
    if (this.persistedRange !== msg.rangeIndex) {
      writeGrantedRange(this.config.dataDir, this.config.nodeId, msg.rangeIndex);
      this.persistedRange = msg.rangeIndex;
    }
    if (msg.rangeIndex !== this.rangeIndex) {
      rlog.info(`${this.config.nodeId}: the cloud granted key range ${msg.rangeIndex}`);
      this.rangeIndex = msg.rangeIndex;
      for (const a of this.adapters.values()) if (a instanceof TableCrdt) a.setRangeIndex(msg.rangeIndex);
    }
    this.rangeUsable = true;
    this.onRangeGranted?.();
  }

  /** Edge: why the cloud refuses this node id (another live edge has it), or null while it accepts it. */
  get refusal(): string | null {
    return this.refusedBy;
  }

  /** Edge: the cloud refused this node id; serve without generating keys until it accepts it. */
  private onRefused(reason: string): void {
    if (this.refusedBy !== reason) rlog.warn(`${this.config.nodeId}: the cloud refused this edge: ${reason}`);
    this.refusedBy = reason;
    this.rangeUsable = false;
  }

  private insertedWithoutRange(marks: unknown[]): boolean {
    return [...this.adapters.values()].some((a, i) => a instanceof TableCrdt && a.generatedKeysSince(marks[i]));
  }

  private waitForRange(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onRangeGranted = null;
        resolve(false);
      }, timeoutMs);
      this.onRangeGranted = () => {
        clearTimeout(timer);
        this.onRangeGranted = null;
        resolve(true);
      };
    });
  }

  private waitForInitialSync(timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onInitialSync = null;
        resolve(false);
      }, timeoutMs);
      this.onInitialSync = () => {
        clearTimeout(timer);
        this.onInitialSync = null;
        resolve(true);
      };
    });
  }

  private checkInitialSync(): void {
    if (!this.onInitialSync || !this.hubHeads) return;
    for (const [docId, a] of this.adapters) {
      const heads = this.hubHeads[docId];
      const epoch = this.hubEpochs[docId] ?? 0;
      if (epoch > a.store.epoch) return;
      if (epoch === a.store.epoch && heads && !A.hasHeads(a.store.doc, heads)) return;
    }
    this.onInitialSync();
  }
}

/** Whether the peer of a sync state has all of `heads` (they are ancestors of its heads). */
function peerHas(doc: A.Doc<DocRoot>, state: A.SyncState, heads: A.Heads): boolean {
  const theirs = (state as unknown as { theirHeads?: A.Heads | null }).theirHeads;
  if (!theirs || !A.hasHeads(doc, theirs)) return false;
  const after = new Set(A.getChangesMetaSince(doc, theirs).map((c) => c.hash));
  return heads.every((h) => !after.has(h));
}

function validateConfig(c: ReplicaConfig): void {
  const problems: string[] = [];
  if (c.role !== 'cloud' && c.role !== 'edge') problems.push('role must be "cloud" or "edge"');
  if (!c.nodeId) problems.push('nodeId is empty');
  if (!c.secret) problems.push('secret is empty (set EDGSTR_SECRET)');
  if (!c.dataDir) problems.push('dataDir is empty (set EDGSTR_DATA_DIR)');
  const claimless = c.role === 'edge' && c.rangeIndex === null;
  if (!claimless && !(Number.isInteger(c.rangeIndex) && c.rangeIndex! >= 0 && c.rangeIndex! < SLOTS)) {
    problems.push(`rangeIndex must be an integer 0..${SLOTS - 1} (0 = cloud, 1..N = edges), or null on an edge (granted by the cloud)`);
  }
  if (problems.length > 0) throw new Error(`edgstr runtime config: ${problems.join('; ')}`);
}

/** An edge without a granted key range ran a request that generated a key: it goes to the cloud. */
export class NoKeyRangeError extends Error {
  constructor(nodeId: string) {
    super(`${nodeId} has no key range from the cloud yet: a request that inserts rows is served by the cloud`);
    this.name = 'NoKeyRangeError';
  }
}
