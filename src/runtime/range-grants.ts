/**
 * The key-range side of a replica (key-ranges.ts has the registry and the slot arithmetic).
 * Cloud: grants each claiming edge its slot. Edge: keeps the slot it was granted, and knows
 * whether it may generate keys now (granted, and not refused as a twin of a live node id).
 */
import type { CrdtAdapter } from './adapter.js';
import type { ReplicaConfig } from './api.js';
import { waitFor } from './initial-sync.js';
import { KeyRangeRegistry, readGrantedRange, writeGrantedRange } from './key-ranges.js';
import type { RangeMessage } from './sync/messages.js';
import type { PeerSync } from './sync/peer-sync.js';
import { TableCrdt } from './table-crdt.js';
import { SLOTS } from './table-schema.js';
import { rlog } from './util.js';

export class RangeGrants {
  /**
   * The slot generated keys are allocated in (key-ranges.ts). Edge: null until the cloud
   * granted one (or while the cloud refuses this node id); the cloud: 0.
   */
  rangeIndex: number | null;
  /**
   * Edge: whether keys may be generated in `rangeIndex`: the cloud granted it (now or before),
   * or it is the generated edge file's slot, which the cloud reserves for that node id. Not
   * while the cloud refuses this node id (another replica with it is live).
   */
  usable: boolean;
  /** Edge: the grant kept in the data dir. */
  private persisted: number | null;
  private onGranted: (() => void) | null = null;
  /** Cloud: the slot of each node id. */
  private readonly registry: KeyRangeRegistry | null;
  /** Edge: the reason the cloud last refused this node id (logged once per refusal). */
  refusedBy: string | null = null;

  constructor(private readonly config: ReplicaConfig) {
    this.registry = config.role === 'cloud' ? new KeyRangeRegistry(config.dataDir, config.reservedRanges) : null;
    // An edge takes the slot it was granted before (kept in its data dir) over its config's claim.
    const granted = config.role === 'edge' ? readGrantedRange(config.dataDir, config.nodeId) : null;
    this.persisted = granted;
    this.rangeIndex = granted ?? config.rangeIndex;
    this.usable = this.rangeIndex !== null;
  }

  /** What health reports: the slot keys are generated in now, or null. */
  get current(): number | null {
    return this.usable || this.config.role === 'cloud' ? this.rangeIndex : null;
  }

  /**
   * Cloud: grants the claiming edge its slot. Edge: takes the granted slot. Caller holds the
   * lock. Returns false when the message is refused (an edge's `range` without a slot).
   */
  onMessage(peer: PeerSync, msg: RangeMessage, adapters: Iterable<CrdtAdapter>): boolean {
    if (this.registry) {
      const slot = this.registry.grant(peer.connection.remoteId, msg.rangeIndex);
      if (slot === null) {
        rlog.warn(`${this.config.nodeId}: no key range left for ${peer.connection.remoteId} (all ${SLOTS - 1} are granted): its inserts go to the cloud`);
        return true;
      }
      if (slot !== msg.rangeIndex) rlog.info(`${this.config.nodeId}: ${peer.connection.remoteId} allocates keys in range ${slot}`);
      peer.connection.send({ type: 'range', rangeIndex: slot });
      return true;
    }
    if (msg.rangeIndex === null) return false;
    this.refusedBy = null;
    if (this.persisted !== msg.rangeIndex) {
      writeGrantedRange(this.config.dataDir, this.config.nodeId, msg.rangeIndex);
      this.persisted = msg.rangeIndex;
    }
    if (msg.rangeIndex !== this.rangeIndex) {
      rlog.info(`${this.config.nodeId}: the cloud granted key range ${msg.rangeIndex}`);
      this.rangeIndex = msg.rangeIndex;
      for (const a of adapters) if (a instanceof TableCrdt) a.setRangeIndex(msg.rangeIndex);
    }
    this.usable = true;
    this.onGranted?.();
    return true;
  }

  /** Edge: the cloud refused this node id; serve without generating keys until it accepts it. */
  onRefused(reason: string): void {
    if (this.refusedBy !== reason) rlog.warn(`${this.config.nodeId}: the cloud refused this edge: ${reason}`);
    this.refusedBy = reason;
    this.usable = false;
  }

  /** Whether a request since `marks` generated a key (it must not commit without a usable slot). */
  insertedSince(adapters: Iterable<CrdtAdapter>, marks: unknown[]): boolean {
    return [...adapters].some((a, i) => a instanceof TableCrdt && a.generatedKeysSince(marks[i]));
  }

  /** Resolves true once a slot is granted, false after `timeoutMs`. */
  wait(timeoutMs: number): Promise<boolean> {
    return waitFor(timeoutMs, (done) => {
      this.onGranted = done;
    }, () => {
      this.onGranted = null;
    });
  }
}
