/**
 * Applying a batch of Automerge sync messages from one peer to one document: the replica calls
 * this under its lock with the messages that queued up while it was busy.
 */
import * as A from '@automerge/automerge';
import type { AfterPersist, CrdtAdapter } from '../adapter.js';
import type { DocRoot } from '../doc-store.js';
import { syncMessageHasChanges } from './messages.js';

export interface Applied {
  state: A.SyncState;
  /** Answers to send (in order) once what they acknowledge is persisted. */
  replies: Uint8Array[];
  /** True when the document may have changed (persist it, relay it). */
  changed: boolean;
  after: AfterPersist | null;
}

/**
 * Receives `datas` into the adapter's document and app state. Every message is answered before
 * the next one is read, as the protocol expects: a message without changes whose heads equal
 * ours marks our heads as already sent, so one answer after a whole batch could skip the
 * acknowledgement of changes received earlier in it, and the peer would count them as
 * unconfirmed forever. `refuse` is told about each message Automerge cannot decode (the
 * document and sync state stay as they were).
 */
export function applySyncMessages(
  adapter: CrdtAdapter,
  start: A.SyncState,
  datas: Uint8Array[],
  captureFirst: boolean,
  refuse: (err: unknown) => void,
): Applied {
  let state = start;
  const replies: Uint8Array[] = [];
  const answer = (doc: A.Doc<DocRoot>): void => {
    let reply: Uint8Array | null;
    [state, reply] = A.generateSyncMessage(doc, state);
    if (reply) replies.push(reply);
  };
  if (datas.every((d) => syncMessageHasChanges(d) === false)) {
    // Acknowledgements and requests only: the document cannot change, so no SQL transaction,
    // capture, write-back or persist (most messages an edge receives are of this kind).
    const store = adapter.store;
    const heads = A.getHeads(store.doc).join();
    for (const data of datas) {
      try {
        [store.doc, state] = A.receiveSyncMessage(store.doc, state, data);
      } catch (err: unknown) {
        refuse(err);
        continue;
      }
      answer(store.doc);
    }
    // Cannot happen for messages without changes; if it ever does, make the app match.
    if (A.getHeads(store.doc).join() !== heads) adapter.reconcile();
    return { state, replies, changed: A.getHeads(store.doc).join() !== heads, after: null };
  }
  const after = adapter.receive((doc0, patches) => {
    let doc = doc0;
    const patchCallback: A.PatchCallback<DocRoot> = (p) => {
      for (const patch of p) patches.push(patch);
    };
    for (const data of datas) {
      try {
        doc = preApplyLarge(doc, data, patchCallback);
        [doc, state] = A.receiveSyncMessage(doc, state, data, { patchCallback });
      } catch (err: unknown) {
        refuse(err);
        continue;
      }
      answer(doc);
    }
    return doc;
  }, captureFirst);
  return { state, replies, changed: true, after };
}

/** Above this size a sync message with several changes has them applied one by one first. */
const LARGE_MESSAGE_BYTES = 256 * 1024;

/**
 * Automerge's WASM memory grows to the largest batch it applies at once and never shrinks:
 * 10 changes of 1,000 rows in one call left ~43 MB of it behind, one at a time ~12 MB. So the
 * changes of a large message are loaded one by one; receiveSyncMessage then finds them present
 * (it skips known changes) and only updates the sync state. Anything undecodable is left to
 * receiveSyncMessage, which refuses it.
 */
function preApplyLarge(doc: A.Doc<DocRoot>, data: Uint8Array, patchCallback: A.PatchCallback<DocRoot>): A.Doc<DocRoot> {
  if (data.length < LARGE_MESSAGE_BYTES || syncMessageHasChanges(data) !== true) return doc;
  let changes: Uint8Array[];
  try {
    changes = A.decodeSyncMessage(data).changes;
  } catch {
    return doc;
  }
  if (changes.length < 2) return doc;
  let next = doc;
  for (const change of changes) next = A.loadIncremental(next, change, { patchCallback });
  return next;
}
