/**
 * A fresh edge's first sync: it waits for the heads the hub announced in `hello` (and the
 * hub's epochs), so it can make its tables and files equal to the cloud's copy instead of
 * serving its snapshot. Also the wait for the cloud's key-range grant at start-up.
 */
import * as A from '@automerge/automerge';
import type { CrdtAdapter } from './adapter.js';

export class InitialSync {
  /** The hub's heads and epochs from its last `hello` (edge). */
  hubHeads: Record<string, string[]> | null = null;
  hubEpochs: Record<string, number> = {};
  private onSynced: (() => void) | null = null;

  /** Resolves true once `check` finds every document at the hub's heads, false after `timeoutMs`. */
  wait(timeoutMs: number): Promise<boolean> {
    return waitFor(timeoutMs, (done) => {
      this.onSynced = done;
    }, () => {
      this.onSynced = null;
    });
  }

  /** After each batch of sync messages: resolves `wait` once the documents hold the hub's heads. */
  check(adapters: ReadonlyMap<string, CrdtAdapter>): void {
    if (!this.onSynced || !this.hubHeads) return;
    for (const [docId, a] of adapters) {
      const heads = this.hubHeads[docId];
      const epoch = this.hubEpochs[docId] ?? 0;
      if (epoch > a.store.epoch) return;
      if (epoch === a.store.epoch && heads && !A.hasHeads(a.store.doc, heads)) return;
    }
    this.onSynced();
  }
}

/**
 * A one-shot wait: `arm` receives the function that ends it (true); after `timeoutMs` it ends
 * false. `disarm` runs either way.
 */
export function waitFor(timeoutMs: number, arm: (done: () => void) => void, disarm: () => void): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      disarm();
      resolve(false);
    }, timeoutMs);
    arm(() => {
      clearTimeout(timer);
      disarm();
      resolve(true);
    });
  });
}
