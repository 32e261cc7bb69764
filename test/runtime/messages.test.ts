import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { syncMessageHasChanges } from '../../src/runtime/sync/messages.js';

describe('syncMessageHasChanges (header peek of Automerge sync messages)', () => {
  it('tells messages with changes from acknowledgements, in every round of a real exchange', () => {
    let a = A.change(A.init<Record<string, unknown>>(), (d) => {
      d.x = 1;
    });
    let b = A.change(A.init<Record<string, unknown>>(), (d) => {
      d.y = 2;
    });
    let sa = A.initSyncState();
    let sb = A.initSyncState();
    const seen: boolean[] = [];
    for (let round = 0; round < 10; round++) {
      let m: Uint8Array | null;
      [sa, m] = A.generateSyncMessage(a, sa);
      if (m) {
        expect(syncMessageHasChanges(m)).toBe(A.decodeSyncMessage(m).changes.length > 0);
        seen.push(A.decodeSyncMessage(m).changes.length > 0);
        [b, sb] = A.receiveSyncMessage(b, sb, m);
      }
      let n: Uint8Array | null;
      [sb, n] = A.generateSyncMessage(b, sb);
      if (n) {
        expect(syncMessageHasChanges(n)).toBe(A.decodeSyncMessage(n).changes.length > 0);
        seen.push(A.decodeSyncMessage(n).changes.length > 0);
        [a, sa] = A.receiveSyncMessage(a, sa, n);
      }
      if (!m && !n) break;
      if (round === 3) {
        a = A.change(a, (d) => {
          d.z = 3;
        });
      }
    }
    // Both kinds occurred, so the check above covered both answers.
    expect(seen).toContain(true);
    expect(seen).toContain(false);
  });

  it('answers null (never throws) for bytes that are not a sync message', () => {
    expect(syncMessageHasChanges(new Uint8Array([1, 2, 3]))).toBeNull();
    expect(syncMessageHasChanges(new Uint8Array([0x42, 5]))).toBeNull();
    expect(syncMessageHasChanges(new Uint8Array([0x42, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).toBeNull();
    expect(syncMessageHasChanges(new Uint8Array([0x42, 0, 0, 1, 0, 200]))).toBeNull();
  });
});
