/**
 * A replica: the CRDT documents of one edge or cloud process, their persistence, capture and
 * apply, local transactions, and sync with peers. See README.md for how generated code uses it.
 * Its parts: epochs.ts (history compaction, stale peers), initial-sync.ts (a fresh edge's
 * first sync), range-grants.ts (key ranges), health.ts (the health answer).
 */
import * as A from '@automerge/automerge';
import { existsSync, renameSync } from 'node:fs';
import type { Server } from 'node:http';
import { basename, join } from 'node:path';
import type { Health, HealthOptions, LocalTx, Replica, ReplicaConfig } from './api.js';
import type { CrdtAdapter } from './adapter.js';
import { Epochs } from './epochs.js';
import { FileCrdt } from './file-crdt.js';
import { Durability } from './durability.js';
import { healthOf } from './health.js';
import { InitialSync } from './initial-sync.js';
import { JsonCrdt, type GlobalBinding } from './json-crdt.js';
import { RangeGrants } from './range-grants.js';
import type { ReplicaCore } from './replica-core.js';
import { applySyncMessages } from './sync/apply.js';
import { DEFAULT_MAX_MESSAGE_BYTES, parseWireMessage, type HelloMessage, type SyncMessage } from './sync/messages.js';
import { PeerSync, type SyncTraffic } from './sync/peer-sync.js';
import { dialSocketIo, listenSocketIo } from './sync/socketio-transport.js';
import type { Connection, Endpoint } from './sync/transport.js';
import { TableSync } from './sync/table-sync.js';
import { TableStore, type TableMark } from './table-store.js';
import { SLOTS } from './table-schema.js';
import { Mutex, errorMessage, rlog } from './util.js';

export { DEFAULT_COMPACT_AFTER_OPS } from './epochs.js';

/** Default of ReplicaConfig.syncDelayMs. */
export const DEFAULT_SYNC_DELAY_MS = 20;

/** Globals registered with the module-level registerGlobal: shared by every replica of the process. */
export const processBindings = new Map<string, GlobalBinding>();
const liveReplicas = new Set<EdgstrReplica>();

export function registerProcessGlobal(name: string, get: () => unknown, set: (value: unknown) => void): void {
  processBindings.set(name, { get, set });
  for (const r of liveReplicas) r.restoreGlobal(name);
}

export class EdgstrReplica implements Replica, ReplicaCore {
  readonly adapters = new Map<string, CrdtAdapter>();
  private readonly bindings = new Map<string, GlobalBinding>();
  readonly peers = new Set<PeerSync>();
  /** Replicated tables, one store per SQLite file (table-store.ts), and their sync. */
  readonly tableSync: TableSync;
  private readonly endpoints: Endpoint[] = [];
  readonly mutex = new Mutex();
  readonly maxBytes: number;
  private json: JsonCrdt | null = null;
  private timer: NodeJS.Timeout | undefined;
  private soonTimer: NodeJS.Timeout | undefined;
  private flushQueued = false;
  closed = false;
  private lastSyncAt: string | null = null;
  readonly lastShared = new Map<string, A.Heads>();
  /** Documents changed locally and not yet offered to the peers (see flushLocked). */
  private readonly unsent = new Set<string>();
  private readonly durability = new Durability(() => [...this.adapters.values()].map((a) => a.store), this.mutex, () => this.closed);
  /** True while a fresh edge takes the cloud's copy: remote changes are applied without capture. */
  initializing = false;
  private readonly initialSync = new InitialSync();
  private readonly epochs = new Epochs(this);
  private readonly ranges: RangeGrants;
  /** Malformed messages refused so far (health and tests read it). */
  refusedMessages = 0;
  /** Sync messages and bytes this replica sent (tests and the bench read it). */
  readonly traffic: SyncTraffic = { messages: 0, bytes: 0 };
  /** Cloud: when a refusal of each node id was last logged. */
  private readonly refusalLogged = new Map<string, number>();

  constructor(readonly config: ReplicaConfig) {
    validateConfig(config);
    this.maxBytes = config.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.ranges = new RangeGrants(config);
    const used = new Set<string>();
    const tables = new Map<string, TableStore>();
    this.tableSync = new TableSync(tables, (bytes) => {
      this.traffic.messages++;
      this.traffic.bytes += bytes;
    });
    for (const database of config.tables) {
      let docId = `db-${basename(database.file).replace(/\.[^.]*$/, '').replace(/[^A-Za-z0-9_.-]/g, '_')}`;
      while (used.has(docId)) docId += '_';
      used.add(docId);
      refuseOldTableDocument(config, docId);
      tables.set(docId, new TableStore(database, docId, config.nodeId, this.ranges.rangeIndex));
    }
    if (config.files.paths.length > 0) this.adapters.set('files', new FileCrdt(config.files, config.dataDir, 'files'));
    if (config.globals.length > 0) {
      this.json = new JsonCrdt(config.globals, (n) => this.bindings.get(n) ?? processBindings.get(n), config.dataDir, 'globals');
      this.adapters.set('globals', this.json);
    }
  }

  /** Epoch changes made so far (tests read it). */
  get epochSwitches(): number {
    return this.epochs.switches;
  }

  /** Cloud: peers brought up to date on an archived epoch first (tests read it). */
  get staleCatchUps(): number {
    return this.epochs.staleCatchUps;
  }

  /** Brings documents and app state together after a (re)start; see README "Start-up". */
  async start(): Promise<void> {
    const fresh = [...this.adapters.values()].filter((a) => a.store.fresh);
    const known = [...this.adapters.values()].filter((a) => !a.store.fresh);
    // Tables: SQLite holds rows and clock together, there is nothing to reconcile after a
    // restart. A store is fresh until it was seeded or took the cloud's copy (an edge killed
    // during its first catch-up resumes it, still fresh).
    const freshTables = [...this.tableSync.stores.values()].filter((t) => t.fresh);
    await this.mutex.run(() => {
      // Local changes made while the runtime was down are in the change log / on disk: capture
      // them first, then make the app state equal to the document (it may hold remote changes
      // that were persisted but not applied when the process died).
      this.flushLocked();
      for (const a of known) a.reconcile();
      if (this.config.role === 'cloud') {
        for (const a of fresh) a.seed();
        for (const t of freshTables) t.seed();
      }
      this.persistAll();
      this.durability.syncNow();
    });
    liveReplicas.add(this);
    this.epochs.noteStarted();
    if (this.config.role === 'edge' && this.config.cloudUrl) {
      const wait = this.config.initialSyncTimeoutMs ?? 5000;
      const anyFresh = fresh.length + freshTables.length > 0;
      const synced = anyFresh && wait > 0 ? this.initialSync.wait(wait) : Promise.resolve(false);
      this.initializing = anyFresh && wait > 0;
      const granted = this.ranges.usable || wait === 0 ? Promise.resolve(true) : this.ranges.wait(wait);
      this.attachTransport(dialSocketIo(this.config.cloudUrl, { secret: this.config.secret, nodeId: this.config.nodeId }));
      const ok = await synced;
      if (!(await granted)) rlog.warn(`${this.config.nodeId}: no key range from the cloud yet: requests that insert rows are forwarded to the cloud until it grants one`);
      await this.mutex.run(() => {
        this.initializing = false;
        for (const a of fresh) {
          if (ok) a.reconcile();
          else a.seed();
        }
        // Caught up: snapshot rows the cloud does not have go. Not (yet): the snapshot's rows
        // get version 0, so every row the cloud changed since still wins when it arrives.
        for (const t of freshTables) {
          if (ok) t.dropUnclocked();
          else t.seed();
        }
        if (!ok && anyFresh) rlog.warn('no copy from the cloud yet: serving from the local snapshot');
        this.persistAll();
        this.durability.syncNow();
        this.broadcastAll();
      });
    } else if (this.config.role === 'edge') {
      for (const a of fresh) a.seed();
      for (const t of freshTables) t.seed();
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
    let tableMarks: TableMark[];
    try {
      // Files and globals roll back to their document: capture them first. Tables are not
      // captured here: the change log records OLD values, so a rollback needs only the log's
      // position (TableStore.mark), and the delayed background flush captures and sends the
      // writes of its whole window at once.
      this.captureLocked((a) => a.captureBeforeMark);
      marks = [...this.adapters.values()].map((a) => a.mark());
      tableMarks = [...this.tableSync.stores.values()].map((t) => t.mark());
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
        if (!done && this.config.role === 'edge' && !this.ranges.usable && this.ranges.insertedSince(this.tableSync.stores.values(), tableMarks)) {
          return Promise.reject(new NoKeyRangeError(this.config.nodeId));
        }
        return finish(() => this.commitLocked());
      },
      rollback: () =>
        finish(() => {
          [...this.adapters.values()].forEach((a, i) => a.rollback(marks[i]));
          [...this.tableSync.stores.values()].forEach((t, i) => t.rollback(tableMarks[i]!));
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
    return healthOf(this, { lastSyncAt: this.lastSyncAt, rangeIndex: this.ranges.current }, options);
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
    for (const t of this.tableSync.stores.values()) t.close();
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
        if (this.config.role === 'cloud') this.epochs.maybeCompactLocked();
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
  flushLocked(): void {
    this.captureLocked(() => true);
    // Tables: the capture is one SQL transaction (clock rows + log deletion); pushing sends
    // pages only to peers that lack something and have room for them.
    this.tableSync.capture();
    this.tableSync.pumpAll();
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

  broadcast(docId: string): void {
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
      this.tableSync.disconnect(connection);
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
        connection.send({ type: 'range', rangeIndex: this.ranges.rangeIndex });
      }
      // Tables need no epochs: ask for what the peer has after our persisted position now.
      this.tableSync.connect(connection);
      if (this.config.role === 'edge' && this.initializing) {
        // A fresh edge learns the hub's epochs first: see FreshMessage.
        peer.waitingHello = true;
        return;
      }
      for (const [docId, a] of this.adapters) peer.send(docId, a.store.doc, a.store.epoch);
    });
  }

  /** Applies the messages queued from one peer, under the lock. */
  private drain(peer: PeerSync): void {
    const batch = peer.inbox.splice(0);
    const byDoc = new Map<string, Uint8Array[]>();
    const receiveQueued = (): void => {
      for (const [docId, datas] of byDoc) this.receive(peer, docId, datas);
      byDoc.clear();
    };
    let tablesChanged = false;
    for (const msg of batch) {
      switch (msg.type) {
        case 'tpull':
        case 'tpage':
        case 'tack': {
          const changed = this.tableSync.handle(peer.connection, msg);
          if (changed === null) this.refusedMessages++;
          else if (changed) tablesChanged = true;
          if (msg.type === 'tpage') this.lastSyncAt = new Date().toISOString();
          break;
        }
        case 'range':
          if (!this.ranges.onMessage(peer, msg, this.tableSync.stores.values())) this.refusedMessages++;
          break;
        case 'refused':
          if (this.config.role === 'edge') this.ranges.onRefused(msg.reason);
          else this.refusedMessages++;
          break;
        case 'hello':
          if (this.config.role === 'edge') this.onHello(peer, msg);
          break;
        case 'fresh':
          this.epochs.answerFresh(peer, msg.docId);
          break;
        case 'epoch':
          // Everything before the offer belongs to the older epoch: apply it first.
          receiveQueued();
          this.epochs.accept(peer, msg);
          break;
        case 'sync':
          if (this.epochs.isCurrent(peer, msg)) queue(byDoc, msg);
          break;
        default: {
          const never: never = msg;
          throw new Error(`unhandled sync message ${JSON.stringify(never)}`);
        }
      }
    }
    receiveQueued();
    // Relay: what was merged from this peer goes to the others.
    if (tablesChanged) this.tableSync.pumpAll();
    this.initialSync.check(this.adapters, () => this.tableSync.hasTheirChanges(peer.connection));
    this.epochs.tryFinishAll();
  }

  /** Edge: the hub's heads and epochs; a fresh edge asks for newer epochs whole (FreshMessage). */
  private onHello(peer: PeerSync, msg: HelloMessage): void {
    this.initialSync.hubHeads = msg.heads;
    this.initialSync.hubEpochs = msg.epochs ?? {};
    if (!peer.waitingHello) return;
    peer.waitingHello = false;
    for (const [docId, a] of this.adapters) {
      if (this.initializing && (this.initialSync.hubEpochs[docId] ?? 0) > a.store.epoch) peer.connection.send({ type: 'fresh', docId });
      else peer.send(docId, a.store.doc, a.store.epoch);
    }
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

  /** Edge: why the cloud refuses this node id (another live edge has it), or null while it accepts it. */
  get refusal(): string | null {
    return this.ranges.refusedBy;
  }
}

function queue(byDoc: Map<string, Uint8Array[]>, msg: SyncMessage): void {
  let list = byDoc.get(msg.docId);
  if (!list) byDoc.set(msg.docId, (list = []));
  list.push(msg.data);
}

/**
 * Data directories of edgstr before tables moved into SQLite hold each database's tables as an
 * Automerge document. The cloud's SQLite file is the master copy, so the cloud moves the old
 * document aside and seeds its clock from its tables. An edge may hold writes the cloud never
 * got: it refuses to start rather than drop them silently.
 */
function refuseOldTableDocument(config: ReplicaConfig, docId: string): void {
  const file = join(config.dataDir, `${docId}.automerge`);
  if (!existsSync(file)) return;
  if (config.role === 'cloud') {
    renameSync(file, `${file}.pre-sqlite`);
    rlog.warn(`${file}: tables are now kept in the database file itself; the old document was moved to ${basename(file)}.pre-sqlite (delete it once the edges are upgraded)`);
    return;
  }
  throw new Error(`${file} holds this edge's tables in the format of an older edgstr: let the old edge sync with the cloud, then stop it, delete ${config.dataDir} and start this edge again (it takes the cloud's copy)`);
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
