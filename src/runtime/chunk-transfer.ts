/**
 * Moving file chunks between replicas. The `files` document travels with Automerge's sync
 * protocol and carries only chunk refs; a replica whose merged document references chunks its
 * store lacks asks a peer for them (`chunk-want`) and gets one `chunk` message per chunk:
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
 * - **Checked.** Bytes are stored only when their SHA-256 is the hash asked for, and only
 *   chunks this replica asked for (or relays) are accepted: a peer cannot fill the disk.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { FileCrdt } from './file-crdt.js';
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
  private turn = 0;
  private movedSinceCollect = 0;
  readonly traffic: ChunkTraffic = { received: 0, sent: 0, refused: 0 };

  constructor(
    private readonly files: FileCrdt,
    private readonly peers: ReadonlySet<PeerSync>,
  ) {}

  /** After `peer`'s changes were applied: chunks wanted now are asked of it first. */
  noteOrigin(peer: PeerSync): void {
    for (const h of this.files.wanted()) if (!this.origin.has(h)) this.origin.set(h, peer);
  }

  onWant(peer: PeerSync, hashes: string[]): void {
    for (const hash of hashes) {
      const data = this.files.readChunk(hash);
      if (data) this.send(peer, { type: 'chunk', hash, data });
      else if (this.files.wants(hash)) {
        let waiting = this.relay.get(hash);
        if (!waiting) this.relay.set(hash, (waiting = new Set()));
        waiting.add(peer);
      } else this.send(peer, { type: 'chunk', hash, data: null });
    }
  }

  /** A chunk from `peer`; false when its bytes do not match its hash (refused). */
  onChunk(peer: PeerSync, msg: ChunkMessage): boolean {
    const asked = this.inFlight.get(msg.hash);
    if (asked?.peer === peer) this.forget(msg.hash);
    if (msg.data === null) {
      this.notBefore.set(msg.hash, Date.now() + RETRY_MS);
      if (this.origin.get(msg.hash) === peer) this.origin.delete(msg.hash);
      return true;
    }
    const relayTo = this.relay.get(msg.hash);
    // Unasked (or asked long ago and no longer needed): ignored, never stored.
    if (!this.files.wants(msg.hash) && !relayTo) return true;
    if (this.files.wants(msg.hash)) {
      if (!this.files.addChunk(msg.hash, msg.data)) {
        this.traffic.refused++;
        return false;
      }
      this.traffic.received++;
      this.moved(msg.data.length);
    }
    this.origin.delete(msg.hash);
    this.relay.delete(msg.hash);
    for (const p of relayTo ?? []) if (this.peers.has(p)) this.send(p, msg);
    return true;
  }

  onPeerClosed(peer: PeerSync): void {
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
    if (this.inFlight.size >= MAX_IN_FLIGHT_CHUNKS || this.inFlightBytes >= MAX_IN_FLIGHT_BYTES) return;
    const batches = new Map<PeerSync, string[]>();
    for (const h of this.files.wanted()) {
      if (this.inFlight.size >= MAX_IN_FLIGHT_CHUNKS) break;
      if (this.inFlight.has(h)) continue;
      const size = this.files.wantedSize(h);
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
    if (this.notBefore.size > 10_000) for (const h of this.notBefore.keys()) if (!this.files.wants(h)) this.notBefore.delete(h);
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
