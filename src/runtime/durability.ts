/**
 * When the replica's documents are fsynced, and what waits for it. Appends (DocStore.persist)
 * are written at once, so a kill -9 keeps them; the fsync follows in the background, and only
 * then are the change-log rows the appends cover deleted: a power loss can never lose a change
 * that is in neither the log nor the document.
 */
import type { AfterPersist } from './adapter.js';
import type { DocStore } from './doc-store.js';
import { type Mutex, errorMessage, rlog } from './util.js';

export class Durability {
  /** Work that waits for the documents' fsync (deleting captured change-log rows). */
  private readonly waiting: AfterPersist[] = [];
  /** The background fsync round in flight, if any. */
  private round: Promise<void> | null = null;

  constructor(
    private readonly stores: () => DocStore[],
    private readonly mutex: Mutex,
    private readonly isClosed: () => boolean,
  ) {}

  /** Runs `after` once everything appended so far is fsynced. */
  afterSync(after: AfterPersist | null): void {
    if (after) this.waiting.push(after);
  }

  /** fsyncs now (blocking) and runs what waited for it. Caller holds the lock. */
  syncNow(): void {
    for (const store of this.stores()) store.sync();
    for (const after of this.waiting.splice(0)) after();
  }

  /**
   * syncNow without blocking the event loop (a blocking fsync after every request delayed the
   * next one by milliseconds): the fsyncs run on the thread pool, what waited for them runs
   * afterwards under the lock. At most one round in flight; the next background flush picks up
   * whatever was appended meanwhile. Caller holds the lock.
   */
  syncInBackground(): void {
    if (this.round) return;
    const afters = this.waiting.splice(0);
    this.round = Promise.all(this.stores().map((store) => store.syncAsync()))
      .then(() => this.mutex.run(() => {
        // After close() the databases are closed: close() runs them itself (syncNow).
        if (!this.isClosed()) for (const after of afters) after();
        else this.waiting.unshift(...afters);
      }))
      .catch((err: unknown) => {
        // The frames stay marked unsynced and the log rows stay: the next round retries.
        this.waiting.unshift(...afters);
        rlog.warn(`fsync of the documents failed: ${errorMessage(err)}`);
      })
      .finally(() => {
        this.round = null;
      });
  }

  /** Resolves when no background round is in flight. */
  async idle(): Promise<void> {
    await this.round;
  }
}
