/**
 * Moving file chunks between replicas. The `files` document travels with Automerge's sync
 * protocol and carries only chunk refs; a replica whose merged document references chunks its
 * store lacks asks a peer for them (`chunk-want`) and gets one `chunk` message per chunk.
 *
 * **Bytes before metadata.** A version must never be known without its bytes being
 * obtainable: if its writer dies right after the write, every other replica would wait for
 * chunks nobody has. So:
 * - the writer (an edge) pushes the chunks of every new local version to its hub (`chunk`
 *   messages nobody asked for) and sends no `files` sync message (not even an answer) while
 *   some of them are not sent yet (`holding`). The connection is ordered and the hub applies a
 *   batch's sync messages after its chunks, so the hub stores a version's chunks (fsynced)
 *   before it applies its metadata: a writer killed at any moment leaves the hub with the bytes
 *   of every version it learned. The hub confirms each pushed chunk (`chunk-have`); at most
 *   PUSH_WINDOW_BYTES are pushed and not yet confirmed per peer (bounded memory), so a big file
 *   holds its metadata until its last chunk left. A writer whose unsent chunks keep growing for
 *   MAX_HOLD_MS (writing faster than the link) lets its metadata go once per MAX_HOLD_MS; the
 *   hub's rule below then covers it;
 * - the hub sends no `files` sync message (no acknowledgement, no relay) while a version it
 *   knows still waits for chunks that are coming: the writer's pendingChanges stays above 0
 *   and the other edges only ever learn versions the hub holds the bytes of;
 * - a version whose chunks do not come (file-crdt.ts, *stranded*) stops holding anything.
 *
 * - **Bounded.** At most MAX_IN_FLIGHT_BYTES of chunks asked and not yet received (16 chunks of
 *   256 KiB; small files' chunks are small, so up to MAX_IN_FLIGHT_CHUNKS of them), at most
 *   MAX_WANT_HASHES per message; a chunk is at most MAX_CHUNK_BYTES on the wire.
 *   Each arrival frees a slot and the replica pumps again, so the pipe stays full.
 * - **Whom to ask.** The peer whose sync message brought the reference (it has the chunk, or
 *   is fetching it), else any connected peer. An edge has one peer, the cloud.
 * - **Relay.** The hub answers from its own store; a chunk it does not have yet but wants itself
 *   (it materializes every file too) is sent on as soon as it arrives from the origin.
 * - **Not there.** A peer without the chunk answers `data: null` (rewritten or deleted since:
 *   the asker's document will move on too); the asker tries again after RETRY_MS, and a want
 *   not answered within WANT_TIMEOUT_MS (peer gone, message lost) is asked again.
 * - **Checked.** Bytes are stored only when their SHA-256 is the hash asked for; unasked chunks
 *   are accepted only by the hub from its (authenticated) edges, as pushes, and chunks no
 *   version names are swept after a while (file-crdt.ts).
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FileCrdt } from './file-crdt.js';
import { makeRef, refHash, refSize } from './chunk-store.js';
import { MAX_WANT_HASHES, type ChunkMessage } from './sync/messages.js';
import type { PeerSync } from './sync/peer-sync.js';

/** Bytes of chunks asked for and not yet received, per replica (one chunk is always allowed). */
export const MAX_IN_FLIGHT_BYTES = 4 * 1024 * 1024;
/** Chunks asked for and not yet received, per replica. */
export const MAX_IN_FLIGHT_CHUNKS = 256;
/** A want not answered by then is asked again (of another peer if there is one). */
const WANT_TIMEOUT_MS = 15_000;
/** A chunk a peer did not have is asked again after this long. */
const RETRY_MS = 1_000;

/** A chunk nobody had is asked again after this long once the versions waiting for it are stranded. */
const STRANDED_RETRY_MS = 30_000;
/** Bytes a writer pushed to one peer and the peer did not confirm yet (one chunk is always allowed). */
export const PUSH_WINDOW_BYTES = 4 * 1024 * 1024;
/** Chunk hashes offered to one peer after a restart and not yet confirmed. */
const MAX_OFFERED = 1024;
/** The longest a writer that keeps adding chunks holds its `files` metadata back (see above). */
export const MAX_HOLD_MS = 2_000;

/** Chunk bytes moved between two collections of the young generation (see collectGarbage). */
const COLLECT_EVERY_BYTES = 8 * 1024 * 1024;

type GcFunction = (options?: { type: 'minor' | 'major' }) => void;
let gcFunction: GcFunction | null | undefined;

/**
 * Every chunk on the wire is a 256 KiB buffer (read from the store, copied by socket.io) that
 * lives a moment. V8 collects such buffers only once ~64 MiB of them piled up, and glibc keeps
 * the memory they held: measured, a 200 MiB transfer grew the sender's RSS by 60 MiB. A minor
 * collection (about a millisecond) every 8 MiB moved keeps that to the buffers really in use.
 * `gc` is exposed at run time (the documented `--expose-gc`, set from inside): generated
 * projects then need no node flag. Without it (a runtime that refuses the flag) nothing is done.
 */
function collectGarbage(): void {
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc');
      gcFunction = runInNewContext('gc') as GcFunction;
    } catch {
      gcFunction = null;
    }
  }
  gcFunction?.({ type: 'minor' });
}

/** What the transfer did (tests and health read it). */
export interface ChunkTraffic {
  /** Chunks received and stored. */
  received: number;
  /** Chunks sent to peers. */
  sent: number;
  /** Chunk messages refused (bytes not matching their hash). */
  refused: number;
  /** Writer: chunks pushed to peers unasked, and chunk hashes offered after a restart. */
  pushed: number;
  offers: number;
  /** Hub: chunks confirmed to writers (`chunk-have`). */
  confirmed: number;
}

export class ChunkTransfer {
  private readonly inFlight = new Map<string, { peer: PeerSync; since: number; size: number }>();
  private inFlightBytes = 0;
  /** Per wanted chunk, the peer whose changes referenced it. */
  private readonly origin = new Map<string, PeerSync>();
  /** Hub: peers waiting for a chunk this replica is fetching itself. */
  private readonly relay = new Map<string, Set<PeerSync>>();
  /** Chunks a peer did not have: not asked again before then. */
  private readonly notBefore = new Map<string, number>();
  /** Hub: chunks a restarted writer offered that this replica lacks: fetched from it, then confirmed. */
  private readonly incoming = new Map<string, { peers: Set<PeerSync>; size: number }>();
  /** Writer: per peer, chunk hashes offered after a restart and not yet confirmed. */
  private readonly offeredTo = new Map<PeerSync, Set<string>>();
  /** Hub: `chunk-have` hashes to send, per writer (sent by pump, in batches). */
  private readonly haves = new Map<PeerSync, string[]>();
  /** Writer: per peer, chunks pushed and not yet confirmed (hash -> size), and their bytes. */
  private readonly pushedTo = new Map<PeerSync, { chunks: Map<string, number>; bytes: number }>();
  /** Writer: the hold window (see holding). */
  private holdStart: number | undefined;
  private addsAtHoldStart = 0;
  private released = false;
  private turn = 0;
  private movedSinceCollect = 0;
  readonly traffic: ChunkTraffic = { received: 0, sent: 0, refused: 0, pushed: 0, offers: 0, confirmed: 0 };

  /** `pushes`: this replica is a writer that pushes its new chunks before their metadata (an edge). */
  constructor(
    private readonly files: FileCrdt,
    private readonly peers: ReadonlySet<PeerSync>,
    private readonly pushes = false,
  ) {}

  /**
   * Whether `files` sync messages are held back now (see the top of this file): a writer's
   * while chunks of its captured versions are not pushed yet (or, after a restart, not yet
   * confirmed); the hub's while a version it knows waits for chunks that are still coming.
   */
  get holding(): boolean {
    if (!this.pushes) return this.files.pending() > 0;
    return !this.released && this.waitsToPush();
  }

  private waitsToPush(): boolean {
    if (this.files.recheck.size > 0) return true;
    if (this.files.outbox.size === 0) return false;
    if (this.peers.size === 0) return true;
    for (const peer of this.peers) if (this.unsent(peer) > 0) return true;
    return false;
  }

  /** Outbox chunks not pushed to `peer` yet. */
  private unsent(peer: PeerSync): number {
    const st = this.pushedTo.get(peer);
    let sent = 0;
    for (const h of st?.chunks.keys() ?? []) if (this.files.outbox.has(h)) sent++;
    return this.files.outbox.size - sent;
  }

  /** Writer: moves the hold window on (called on every flush and after every batch of messages). */
  updateHold(now = Date.now()): void {
    if (!this.pushes) return;
    if (!this.waitsToPush()) {
      this.holdStart = undefined;
      this.released = false;
      return;
    }
    if (this.holdStart === undefined || this.released) {
      this.holdStart = now;
      this.addsAtHoldStart = this.files.outboxAdds;
      this.released = false;
      return;
    }
    if (now - this.holdStart > MAX_HOLD_MS && this.files.outboxAdds > this.addsAtHoldStart) this.released = true;
  }

  /** Hub: a restarted writer offers chunks; those held are confirmed, the others fetched from it. */
  onOffer(peer: PeerSync, refs: string[]): void {
    for (const ref of refs) {
      const hash = refHash(ref);
      if (this.files.chunks.has(hash)) this.confirm(peer, hash);
      else {
        // Two writers may offer the same bytes: both are confirmed once they are here.
        const known = this.incoming.get(hash);
        if (known) known.peers.add(peer);
        else this.incoming.set(hash, { peers: new Set([peer]), size: refSize(ref) });
        if (!this.origin.has(hash)) this.origin.set(hash, peer);
      }
    }
  }

  /** Writer: the peer holds these chunks (fsynced). */
  onHave(peer: PeerSync, hashes: string[]): void {
    const offered = this.offeredTo.get(peer);
    const pushed = this.pushedTo.get(peer);
    for (const h of hashes) {
      offered?.delete(h);
      const size = pushed?.chunks.get(h);
      if (pushed && size !== undefined) {
        pushed.chunks.delete(h);
        pushed.bytes -= size;
      }
      this.files.pushed(h);
    }
  }

  private confirm(peer: PeerSync, hash: string): void {
    let list = this.haves.get(peer);
    if (!list) this.haves.set(peer, (list = []));
    list.push(hash);
  }

  private wantsAny(hash: string): boolean {
    return this.files.wants(hash) || this.incoming.has(hash);
  }

  /** After `peer`'s changes were applied: chunks wanted now are asked of it first. */
  noteOrigin(peer: PeerSync): void {
    for (const h of this.files.wanted()) if (!this.origin.has(h)) this.origin.set(h, peer);
  }

  onWant(peer: PeerSync, hashes: string[]): void {
    for (const hash of hashes) {
      const data = this.files.readChunk(hash);
      if (data) this.send(peer, { type: 'chunk', hash, data });
      else if (this.wantsAny(hash)) {
        let waiting = this.relay.get(hash);
        if (!waiting) this.relay.set(hash, (waiting = new Set()));
        waiting.add(peer);
      } else {
        // Rewritten and swept before it was pushed: nothing to push (a later version replaced it).
        this.files.pushed(hash);
        this.send(peer, { type: 'chunk', hash, data: null });
      }
    }
  }

  /** A chunk from `peer`; false when its bytes do not match its hash (refused). */
  onChunk(peer: PeerSync, msg: ChunkMessage): boolean {
    const asked = this.inFlight.get(msg.hash);
    if (asked?.peer === peer) this.forget(msg.hash);
    if (msg.data === null) {
      const now = Date.now();
      this.notBefore.set(msg.hash, now + (this.files.strandedChunk(msg.hash, now) ? STRANDED_RETRY_MS : RETRY_MS));
      if (this.origin.get(msg.hash) === peer) this.origin.delete(msg.hash);
      const offered = this.incoming.get(msg.hash);
      offered?.peers.delete(peer);
      if (offered?.peers.size === 0) this.incoming.delete(msg.hash);
      return true;
    }
    const relayTo = this.relay.get(msg.hash);
    // The hub keeps what its writers push (bytes before metadata); anywhere else an unasked chunk
    // (or one asked long ago and no longer needed) is ignored, never stored.
    const hub = !this.pushes;
    if (!this.wantsAny(msg.hash) && !relayTo && !hub) return true;
    if (this.wantsAny(msg.hash) || hub) {
      if (!this.files.addChunk(msg.hash, msg.data)) {
        this.traffic.refused++;
        return false;
      }
      this.traffic.received++;
      this.moved(msg.data.length);
      const offered = this.incoming.get(msg.hash);
      this.incoming.delete(msg.hash);
      for (const p of offered?.peers ?? []) if (this.peers.has(p)) this.confirm(p, msg.hash);
      if (hub && !offered?.peers.has(peer)) this.confirm(peer, msg.hash);
    }
    this.origin.delete(msg.hash);
    this.relay.delete(msg.hash);
    for (const p of relayTo ?? []) if (this.peers.has(p)) this.send(p, msg);
    return true;
  }

  onPeerClosed(peer: PeerSync): void {
    this.offeredTo.delete(peer);
    this.pushedTo.delete(peer);
    this.haves.delete(peer);
    for (const [h, i] of this.incoming) {
      i.peers.delete(peer);
      if (i.peers.size === 0) this.incoming.delete(h);
    }
    for (const [h, f] of this.inFlight) if (f.peer === peer) this.forget(h);
    for (const [h, p] of this.origin) if (p === peer) this.origin.delete(h);
    for (const [h, waiting] of this.relay) {
      waiting.delete(peer);
      if (waiting.size === 0) this.relay.delete(h);
    }
  }

  /** Asks for wanted chunks while there is room in flight. Caller holds the replica's lock. */
  pump(now = Date.now()): void {
    for (const [h, f] of this.inFlight) if (now - f.since > WANT_TIMEOUT_MS) this.forget(h);
    for (const [h, waiting] of this.relay) {
      if (this.files.wants(h)) continue;
      // No longer referenced here (rewritten meanwhile): the waiters ask again or move on.
      for (const p of waiting) if (this.peers.has(p)) this.send(p, { type: 'chunk', hash: h, data: null });
      this.relay.delete(h);
    }
    if (this.peers.size === 0) return;
    this.sendHaves();
    this.push();
    this.offer();
    if (this.inFlight.size >= MAX_IN_FLIGHT_CHUNKS || this.inFlightBytes >= MAX_IN_FLIGHT_BYTES) return;
    const batches = new Map<PeerSync, string[]>();
    for (const h of this.wantedAll()) {
      if (this.inFlight.size >= MAX_IN_FLIGHT_CHUNKS) break;
      if (this.inFlight.has(h)) continue;
      const size = this.incoming.get(h)?.size ?? this.files.wantedSize(h);
      if (this.inFlight.size > 0 && this.inFlightBytes + size > MAX_IN_FLIGHT_BYTES) break;
      const retry = this.notBefore.get(h);
      if (retry !== undefined) {
        if (retry > now) continue;
        this.notBefore.delete(h);
      }
      const peer = this.pick(h);
      let batch = batches.get(peer);
      if (!batch) batches.set(peer, (batch = []));
      batch.push(h);
      this.inFlight.set(h, { peer, since: now, size });
      this.inFlightBytes += size;
    }
    for (const [peer, hashes] of batches) {
      for (let i = 0; i < hashes.length; i += MAX_WANT_HASHES) {
        peer.connection.send({ type: 'chunk-want', hashes: hashes.slice(i, i + MAX_WANT_HASHES) });
      }
    }
    if (this.notBefore.size > 10_000) for (const h of this.notBefore.keys()) if (!this.wantsAny(h)) this.notBefore.delete(h);
  }

  /** Chunks this replica fetches: those its files wait for, then those writers offered. */
  private *wantedAll(): IterableIterator<string> {
    yield* this.files.wanted();
    for (const h of this.incoming.keys()) if (!this.files.wants(h)) yield h;
  }

  private sendHaves(): void {
    for (const [peer, hashes] of this.haves) {
      for (let i = 0; i < hashes.length; i += MAX_WANT_HASHES) {
        const batch = hashes.slice(i, i + MAX_WANT_HASHES);
        this.traffic.confirmed += batch.length;
        peer.connection.send({ type: 'chunk-have', hashes: batch });
      }
    }
    this.haves.clear();
  }

  /**
   * Writer: sends each peer the outbox's chunks it has not sent it yet, while at most
   * PUSH_WINDOW_BYTES are unconfirmed. Called before the `files` document may go out (the
   * replica's checkFilesHold), so on the ordered connection the chunks precede their metadata.
   */
  push(): void {
    if (!this.pushes || this.files.outbox.size === 0) return;
    for (const peer of this.peers) {
      let st = this.pushedTo.get(peer);
      if (!st) this.pushedTo.set(peer, (st = { chunks: new Map(), bytes: 0 }));
      for (const [hash, size] of this.files.outbox) {
        if (st.chunks.has(hash)) continue;
        if (st.bytes > 0 && st.bytes + size > PUSH_WINDOW_BYTES) break;
        const data = this.files.readChunk(hash);
        if (!data) {
          // Swept: a later version replaced it, nothing to push.
          this.files.pushed(hash);
          continue;
        }
        st.chunks.set(hash, size);
        st.bytes += size;
        this.traffic.pushed++;
        this.send(peer, { type: 'chunk', hash, data });
      }
    }
  }

  /** Writer, after a restart: offers each peer the chunks to recheck (at most MAX_OFFERED unconfirmed). */
  private offer(): void {
    if (!this.pushes || this.files.recheck.size === 0) return;
    for (const peer of this.peers) {
      let offered = this.offeredTo.get(peer);
      if (!offered) this.offeredTo.set(peer, (offered = new Set()));
      const refs: string[] = [];
      for (const [hash, size] of this.files.recheck) {
        if (offered.size >= MAX_OFFERED) break;
        if (offered.has(hash)) continue;
        offered.add(hash);
        refs.push(makeRef(hash, size));
      }
      for (let i = 0; i < refs.length; i += MAX_WANT_HASHES) {
        const batch = refs.slice(i, i + MAX_WANT_HASHES);
        this.traffic.offers += batch.length;
        peer.connection.send({ type: 'chunk-offer', refs: batch });
      }
    }
  }

  /** Chunks asked for and not yet received. */
  get asked(): number {
    return this.inFlight.size;
  }

  /** Bytes of the chunks asked for and not yet received. */
  get askedBytes(): number {
    return this.inFlightBytes;
  }

  private forget(hash: string): void {
    const f = this.inFlight.get(hash);
    if (!f) return;
    this.inFlight.delete(hash);
    this.inFlightBytes -= f.size;
  }

  private pick(hash: string): PeerSync {
    const o = this.origin.get(hash);
    if (o && this.peers.has(o)) return o;
    for (const p of this.incoming.get(hash)?.peers ?? []) if (this.peers.has(p)) return p;
    const all = [...this.peers];
    return all[this.turn++ % all.length]!;
  }

  private send(peer: PeerSync, msg: ChunkMessage): void {
    if (msg.data) {
      this.traffic.sent++;
      this.moved(msg.data.length);
    }
    peer.connection.send(msg);
  }

  private moved(bytes: number): void {
    this.movedSinceCollect += bytes;
    if (this.movedSinceCollect < COLLECT_EVERY_BYTES) return;
    this.movedSinceCollect = 0;
    collectGarbage();
  }
}
