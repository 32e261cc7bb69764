/**
 * The shape every CRDT (tables, files, globals) has towards the replica: one persisted
 * Automerge document, plus the two directions between it and the app's own state.
 */
import type * as A from '@automerge/automerge';
import type { DocRoot, DocStore } from './doc-store.js';

/** Work to do once the document's new changes are durably persisted (e.g. delete log rows). */
export type AfterPersist = () => void;

/**
 * Merges remote sync messages into `doc` and returns the new document; pushes the patches
 * Automerge computed on the way into `patches` (no second diff of the same changes).
 */
export type RemoteUpdate = (doc: A.Doc<DocRoot>, patches: A.Patch[]) => A.Doc<DocRoot>;

export interface CrdtAdapter {
  readonly store: DocStore;
  /**
   * True when the document is the only durable copy of this state (globals live in memory):
   * a local commit captures and writes it before the client is answered. Tables and files are
   * durable in the app's own storage (SQLite with its change log, the files on disk), so their
   * capture follows right after the answer, and a restart captures what a crash left behind.
   */
  readonly volatile: boolean;
  /** App state -> document: records local changes as (at most) one Automerge change. */
  capture(): AfterPersist | null;
  /**
   * Runs `update` (which merges a remote sync message into the document) and writes whatever it
   * changed back into the app's state, without capturing it again. Local changes not yet
   * captured are captured first (unless `captureFirst` is false: a fresh edge taking the cloud's
   * copy), so a remote change never silently overwrites them.
   */
  receive(update: RemoteUpdate, captureFirst: boolean): AfterPersist | null;
  /**
   * True when mark() needs the document to mirror the app (the replica captures right before
   * it): files and globals roll back by restoring the document. Tables keep the values of rows
   * not yet captured themselves, so a local request does not pay for an Automerge change.
   */
  readonly captureBeforeMark: boolean;
  /** A point to roll back to (after capture() when captureBeforeMark). */
  mark(): unknown;
  /** Undoes every local change made since `mark` (restoring from the document) and drops it. */
  rollback(mark: unknown): void;
  /** First start without a cloud copy: put the app's current state into the document. */
  seed(): void;
  /** Document -> app state, everything (start-up, after the first sync from the cloud). */
  reconcile(): void;
  /** Local changes not yet captured into the document. */
  pending(): number;
  close(): void;
}
