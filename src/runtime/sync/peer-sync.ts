/**
 * Automerge's sync protocol per document per connected peer. The replica owns the documents
 * and the lock; this class keeps the per-connection sync states and turns them into messages.
 * The hub calls `broadcast` after every document change, which relays an edge's changes to the
 * other edges (the cloud is the master copy every edge syncs with).
 */
import * as A from '@automerge/automerge';
import type { Connection } from './transport.js';
import type { DocRoot } from '../doc-store.js';
import type { WireMessage } from './messages.js';

/** Sync traffic sent by a replica (tests and the bench read it). */
export interface SyncTraffic {
  messages: number;
  bytes: number;
}

/** Hub only: a peer still on an older epoch of a document, synced against that epoch's archive. */
export interface StaleEpoch {
  epoch: number;
  /** The archive, plus what the peer sent of its own (never relayed, dropped afterwards). */
  doc: A.Doc<DocRoot>;
  state: A.SyncState;
  /** The archive's heads: the peer moves to the current epoch once it has them. */
  base: A.Heads;
}

export class PeerSync {
  private readonly states = new Map<string, A.SyncState>();
  /** Validated messages waiting for the replica's lock. */
  readonly inbox: WireMessage[] = [];
  /** Hub: per document, the epoch this peer was offered (its older-epoch messages still in flight are dropped). */
  readonly offered = new Map<string, number>();
  /** Edge: nothing sent yet, waiting for the hub's hello (a fresh edge first learns the epochs). */
  waitingHello = false;
  /** Hub: per document, the older epoch this peer is being brought up to date on. */
  readonly stale = new Map<string, StaleEpoch>();

  constructor(
    readonly connection: Connection,
    private readonly traffic: SyncTraffic = { messages: 0, bytes: 0 },
  ) {}

  state(docId: string): A.SyncState {
    let s = this.states.get(docId);
    if (!s) this.states.set(docId, (s = A.initSyncState()));
    return s;
  }

  setState(docId: string, state: A.SyncState): void {
    this.states.set(docId, state);
  }

  /** Starts the document's sync over (a new epoch: both sides start from fresh states). */
  resetState(docId: string): void {
    this.states.delete(docId);
  }

  /** Sends the next sync message for `doc` (of `epoch`), if the protocol has anything to say. */
  send(docId: string, doc: A.Doc<unknown>, epoch: number): void {
    const [next, message] = A.generateSyncMessage(doc, this.state(docId));
    this.states.set(docId, next);
    if (message) this.sendMessage(docId, message, epoch);
  }

  /** Sends a sync message generated elsewhere (answers made while applying a batch). */
  sendMessage(docId: string, message: Uint8Array, epoch: number): void {
    this.traffic.messages++;
    this.traffic.bytes += message.length;
    this.connection.send({ type: 'sync', docId, epoch, data: message });
  }

  /** Sends the offer of a new epoch (see EpochMessage). */
  sendEpoch(docId: string, epoch: number, base: A.Heads, data: Uint8Array): void {
    this.resetState(docId);
    this.offered.set(docId, epoch);
    this.traffic.messages++;
    this.traffic.bytes += data.length;
    this.connection.send({ type: 'epoch', docId, epoch, base, data });
  }

  /**
   * How many of our changes the peer is not known to have. `hasOurChanges` is Automerge's
   * "the shared heads are our heads" (true once converged); otherwise count the changes after
   * the shared heads (metadata only, no change bytes are copied).
   */
  unconfirmed(docId: string, doc: A.Doc<unknown>): number {
    const state = this.state(docId);
    if (A.hasOurChanges(doc, state)) return 0;
    return A.getChangesMetaSince(doc, this.sharedHeads(docId) ?? []).length;
  }

  /**
   * Whether this replica holds everything the peer said it has for `doc`: the peer's heads are
   * known (it answered at least once) and none of them is missing here. An edge is caught up
   * with the cloud when this holds for every document.
   */
  hasTheirChanges(docId: string, doc: A.Doc<unknown>): boolean {
    const theirs = this.states.get(docId)?.theirHeads;
    return theirs != null && A.getMissingDeps(doc, theirs).length === 0;
  }

  /** Heads both sides are known to have (for counting what the peer still lacks). */
  sharedHeads(docId: string): A.Heads | undefined {
    const s = this.states.get(docId) as unknown as { sharedHeads?: A.Heads } | undefined;
    return s?.sharedHeads;
  }
}
