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
import * as A from '@automerge/automerge';
import { carryOver, rebuildDoc, rebuildInWorker } from './compaction.js';
import { archiveHasAll, loadArchive, type DocRoot } from './doc-store.js';
import type { ReplicaCore } from './replica-core.js';
import type { EpochMessage, SyncMessage } from './sync/messages.js';
import type { PeerSync } from './sync/peer-sync.js';
import { errorMessage, rlog } from './util.js';

/** Default of ReplicaConfig.compactAfterOps. */
export const DEFAULT_COMPACT_AFTER_OPS = 10_000;
/** How often the cloud looks at the documents' history size, in ms. */
const COMPACT_CHECK_MS = 1000;
/** A rebuild that keeps more than this share of the operations is not worth a new epoch. */
const WORTH_COMPACTING = 0.8;
/** A rebuilt document not used by then is dropped (the edges never all had the whole document). */
const COMPACT_GIVE_UP_MS = 60_000;

export class Epochs {
  /** Epoch changes made so far (tests and health read it). */
  switches = 0;
  /** Cloud: peers brought up to date on an archived epoch first (they came back with writes of their own). */
  staleCatchUps = 0;
  /** Cloud: per document, the operations of its current epoch's base (0: not known). */
  private readonly baseOps = new Map<string, number>();
  private lastCompactCheck = 0;
  /** Cloud: documents being compacted: the heads rebuilt from, and the rebuilt document once ready. */
  private readonly compaction = new Map<string, { base: A.Heads; rebuilt: Uint8Array | null; since: number }>();

  constructor(private readonly r: ReplicaCore) {}

  /** After start-up: a document already compacted once holds little history; measure growth from here. */
  noteStarted(): void {
    for (const [docId, a] of this.r.adapters) if (a.store.epoch > 0) this.baseOps.set(docId, A.stats(a.store.doc).numOps);
  }

  /** Whether a sync message is of the document's current epoch; handles the others. */
  isCurrent(peer: PeerSync, msg: SyncMessage): boolean {
    const store = this.r.adapters.get(msg.docId)?.store;
    if (!store || msg.epoch === store.epoch) {
      if (store && peer.stale.has(msg.docId)) {
        A.free(peer.stale.get(msg.docId)!.doc);
        peer.stale.delete(msg.docId);
      }
      return true;
    }
    if (this.r.config.role === 'edge') {
      // Older: left over from an epoch we already left. Newer: generated before the cloud knew
      // our epoch; its offer follows once it sees one of our messages, and resets its state.
      return false;
    }
    if (msg.epoch > store.epoch) {
      this.r.refusedMessages++;
      rlog.warn(`${this.r.config.nodeId}: ${peer.connection.remoteId} is at epoch ${msg.epoch} of ${msg.docId}, ahead of ours (${store.epoch}): refused`);
      return false;
    }
    // In flight from before our offer: the peer re-applies what it carries once it moves.
    if (peer.offered.get(msg.docId) === store.epoch) return false;
    this.syncStale(peer, msg);
    return false;
  }

  /** Cloud: a fresh edge asks for a document: the current epoch, whole. */
  answerFresh(peer: PeerSync, docId: string): void {
    const store = this.r.config.role === 'cloud' ? this.r.adapters.get(docId)?.store : undefined;
    if (!store) this.r.refusedMessages++;
    else if (store.epoch === 0) peer.send(docId, store.doc, 0);
    else this.offer(peer, docId, []);
  }

  private syncStale(peer: PeerSync, msg: SyncMessage): void {
    const { docId, epoch } = msg;
    const remote = peer.connection.remoteId;
    const { config } = this.r;
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
        this.r.refusedMessages++;
        rlog.warn(`${config.nodeId}: refused a malformed sync message from ${remote}: ${errorMessage(err)}`);
        return;
      }
      const known = archiveHasAll(config.dataDir, docId, epoch, heads);
      if (known === null) {
        this.r.refusedMessages++;
        rlog.warn(`${config.nodeId}: ${remote} is at epoch ${epoch} of ${docId}, which is not archived here: it cannot sync until an operator resets it`);
        return;
      }
      if (known) {
        // Nothing written there since: the current epoch includes all of it.
        this.offer(peer, docId, heads);
        return;
      }
      const doc = loadArchive(config.dataDir, docId, epoch);
      if (!doc) return;
      rlog.info(`${config.nodeId}: ${remote} comes back at epoch ${epoch} of ${docId} with writes of its own: syncing it up to that epoch's end first`);
      stale = { epoch, doc, state: A.initSyncState(), base: A.getHeads(doc) };
      this.staleCatchUps++;
      peer.stale.set(docId, stale);
    }
    try {
      [stale.doc, stale.state] = A.receiveSyncMessage(stale.doc, stale.state, msg.data);
    } catch (err: unknown) {
      this.r.refusedMessages++;
      rlog.warn(`${config.nodeId}: refused a malformed sync message from ${remote}: ${errorMessage(err)}`);
      return;
    }
    if (peerHas(stale.doc, stale.state, stale.base)) {
      A.free(stale.doc);
      peer.stale.delete(docId);
      this.offer(peer, docId, stale.base);
      return;
    }
    const [state, reply] = A.generateSyncMessage(stale.doc, stale.state);
    stale.state = state;
    if (reply) peer.sendMessage(docId, reply, epoch);
  }

  private offer(peer: PeerSync, docId: string, base: A.Heads, data?: Uint8Array): void {
    const store = this.r.adapters.get(docId)!.store;
    peer.sendEpoch(docId, store.epoch, base, data ?? A.save(store.doc));
    peer.send(docId, store.doc, store.epoch);
  }

  /**
   * Cloud, under the lock: starts rebuilding documents whose history has grown by
   * compactAfterOps operations and by at least the size of their base (so the cost of a
   * rebuild, and of shipping it to every edge, stays in proportion to the writes it drops).
   */
  maybeCompactLocked(): void {
    const every = this.r.config.compactAfterOps ?? DEFAULT_COMPACT_AFTER_OPS;
    if (every <= 0 || this.r.closed) return;
    const now = Date.now();
    if (now - this.lastCompactCheck < COMPACT_CHECK_MS) return;
    this.lastCompactCheck = now;
    for (const [docId, a] of this.r.adapters) {
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
          return this.r.mutex.run(() => this.tryFinishCompaction(docId));
        })
        .catch((err: unknown) => {
          this.compaction.delete(docId);
          rlog.warn(`${this.r.config.nodeId}: could not compact ${docId}: ${errorMessage(err)}`);
        });
    }
  }

  /** Cloud, under the lock, after every batch of sync messages: see tryFinishCompaction. */
  tryFinishAll(): void {
    for (const docId of this.compaction.keys()) this.tryFinishCompaction(docId);
  }

  /**
   * Cloud, under the lock: once the rebuilt document is ready and every connected edge has all
   * of the current one (so each can move without catching up first), archives the document and
   * starts its next epoch with the rebuilt one, plus what arrived or was written while it was
   * being rebuilt. Called after every batch of sync messages until then.
   */
  private tryFinishCompaction(docId: string): void {
    const job = this.compaction.get(docId);
    if (!job?.rebuilt || this.r.closed) return;
    const { config } = this.r;
    const store = this.r.adapters.get(docId)!.store;
    const old = store.doc;
    if (![...this.r.peers].every((p) => A.hasOurChanges(old, p.state(docId)))) {
      if (Date.now() - job.since > COMPACT_GIVE_UP_MS) {
        this.compaction.delete(docId);
        rlog.info(`${config.nodeId}: ${docId}: the edges never had all of it at once for ${COMPACT_GIVE_UP_MS / 1000} s: compaction postponed`);
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
      rlog.info(`${config.nodeId}: ${docId}: ${opsOld} ops, ${opsNext} without history: not worth a new epoch yet`);
      return;
    }
    const data = A.save(next);
    if (data.length > this.r.maxBytes) {
      // An edge would refuse the offer (maxMessageBytes): keep the history instead.
      A.free(next);
      this.baseOps.set(docId, opsOld);
      rlog.warn(`${config.nodeId}: ${docId} without history is ${data.length} bytes, more than maxMessageBytes (${this.r.maxBytes}): not compacted`);
      return;
    }
    store.archive();
    this.enter(docId, next, store.epoch + 1);
    this.baseOps.set(docId, opsNext);
    for (const p of this.r.peers) this.offer(p, docId, base, data);
    rlog.info(`${config.nodeId}: ${docId} is at epoch ${store.epoch}: history compacted (${data.length} bytes, ${Math.round(performance.now() - started)} ms on the event loop after ${Date.now() - job.since} ms in all)`);
  }

  /** Makes `doc` the document's epoch `epoch` (persisted atomically) and frees the old one. */
  private enter(docId: string, doc: A.Doc<DocRoot>, epoch: number): void {
    const store = this.r.adapters.get(docId)!.store;
    const old = store.doc;
    store.replace(doc, epoch);
    A.free(old);
    this.r.lastShared.delete(docId);
    this.switches++;
  }

  /** Edge, under the lock: moves a document to the epoch the cloud offers. */
  accept(peer: PeerSync, msg: EpochMessage): void {
    const { config } = this.r;
    const adapter = this.r.adapters.get(msg.docId);
    if (!adapter || config.role !== 'edge') {
      this.r.refusedMessages++;
      return;
    }
    const store = adapter.store;
    if (msg.epoch <= store.epoch) return;
    // Everything written here goes into the old document first: it is carried over from there.
    // A fresh edge still waiting for the cloud's copy has served nothing: it carries nothing.
    const carry = !this.r.initializing;
    if (carry) this.r.flushLocked();
    const old = store.doc;
    if (!A.hasHeads(old, msg.base) || (carry && msg.base.length === 0)) {
      // Cannot happen with a cloud that offers only what we have; reconnecting starts over.
      rlog.warn(`${config.nodeId}: offered epoch ${msg.epoch} of ${msg.docId} on a base we do not have: reconnecting`);
      peer.connection.close();
      return;
    }
    let next: A.Doc<DocRoot>;
    try {
      next = A.load<DocRoot>(msg.data, { actor: store.actor });
    } catch (err: unknown) {
      this.r.refusedMessages++;
      rlog.warn(`${config.nodeId}: refused epoch ${msg.epoch} of ${msg.docId}: ${errorMessage(err)}`);
      peer.connection.close();
      return;
    }
    // Carrying over from our own heads re-applies nothing.
    const { doc, stats } = carryOver(next, old, carry ? msg.base : A.getHeads(old));
    this.enter(msg.docId, doc, msg.epoch);
    adapter.reconcile();
    peer.resetState(msg.docId);
    rlog.info(`${config.nodeId}: ${msg.docId} moved to epoch ${msg.epoch} (carried over ${stats.replaced} entries, ${stats.increments} increments, ${stats.appends} appends)`);
    this.r.broadcast(msg.docId);
  }
}

/** Whether the peer of a sync state has all of `heads` (they are ancestors of its heads). */
function peerHas(doc: A.Doc<DocRoot>, state: A.SyncState, heads: A.Heads): boolean {
  const theirs = (state as unknown as { theirHeads?: A.Heads | null }).theirHeads;
  if (!theirs || !A.hasHeads(doc, theirs)) return false;
  const after = new Set(A.getChangesMetaSince(doc, theirs).map((c) => c.hash));
  return heads.every((h) => !after.has(h));
}
