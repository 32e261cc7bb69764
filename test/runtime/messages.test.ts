import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { parseWireMessage, syncMessageHasChanges } from '../../src/runtime/sync/messages.js';

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

describe('parseWireMessage: epochs', () => {
  const head = 'ab'.repeat(32);
  const data = new Uint8Array([1, 2, 3]);
  it('reads the epoch of a sync message (absent: 0) and the epoch offer and fresh request', () => {
    expect(parseWireMessage({ type: 'sync', docId: 'files', data }, 100)).toMatchObject({ epoch: 0 });
    expect(parseWireMessage({ type: 'sync', docId: 'files', epoch: 3, data }, 100)).toMatchObject({ epoch: 3 });
    expect(parseWireMessage({ type: 'epoch', docId: 'db-app', epoch: 2, base: [head], data }, 100)).toEqual({ type: 'epoch', docId: 'db-app', epoch: 2, base: [head], data });
    expect(parseWireMessage({ type: 'fresh', docId: 'globals' }, 100)).toEqual({ type: 'fresh', docId: 'globals' });
    expect(parseWireMessage({ type: 'hello', heads: { files: [head] }, epochs: { files: 4 } }, 100)).toEqual({ type: 'hello', heads: { files: [head] }, epochs: { files: 4 } });
  });
  it('refuses bad epochs, bases and oversized offers with a reason', () => {
    for (const bad of [
      { type: 'sync', docId: 'files', epoch: -1, data },
      { type: 'sync', docId: 'files', epoch: 1.5, data },
      { type: 'sync', docId: 'files', epoch: '2', data },
      { type: 'epoch', docId: 'files', epoch: 0, base: [], data },
      { type: 'epoch', docId: 'files', epoch: 1, base: ['nothex'], data },
      { type: 'epoch', docId: 'files', epoch: 1, base: 'x', data },
      { type: 'epoch', docId: 'files', epoch: 1, base: [], data: new Uint8Array(101) },
      { type: 'epoch', docId: '../x', epoch: 1, base: [], data },
      { type: 'fresh', docId: 7 },
      { type: 'hello', heads: {}, epochs: { files: -2 } },
    ]) {
      expect(typeof parseWireMessage(bad, 100), JSON.stringify(bad)).toBe('string');
    }
  });
});

describe('parseWireMessage: key ranges and refusals', () => {
  it('reads a claim (a slot or null) and a grant, and a refusal with its reason', () => {
    expect(parseWireMessage({ type: 'range', rangeIndex: null }, 1000)).toEqual({ type: 'range', rangeIndex: null });
    expect(parseWireMessage({ type: 'range', rangeIndex: 7 }, 1000)).toEqual({ type: 'range', rangeIndex: 7 });
    expect(parseWireMessage({ type: 'refused', reason: 'node id "a" is already connected' }, 1000)).toEqual({ type: 'refused', reason: 'node id "a" is already connected' });
  });

  it('refuses the cloud slot, slots out of range, missing or oversized fields', () => {
    expect(parseWireMessage({ type: 'range', rangeIndex: 0 }, 1000)).toBe('bad rangeIndex');
    expect(parseWireMessage({ type: 'range', rangeIndex: 64 }, 1000)).toBe('bad rangeIndex');
    expect(parseWireMessage({ type: 'range', rangeIndex: 1.5 }, 1000)).toBe('bad rangeIndex');
    expect(parseWireMessage({ type: 'range' }, 1000)).toBe('bad rangeIndex');
    expect(parseWireMessage({ type: 'refused' }, 1000)).toBe('bad reason');
    expect(parseWireMessage({ type: 'refused', reason: 'x'.repeat(501) }, 1000)).toBe('bad reason');
  });
});

describe('parseWireMessage: table messages', () => {
  const row = ['kv', '["color"]', 1, ['color', 'blue', { $b: '00ff' }], 3, 'edge-1', { v: [4, 'cloud'] }];
  const page = { type: 'tpage', db: 'db-app', from: 0, to: 5, head: 5, more: false, rows: [row], cols: { kv: ['k', 'v', 'b'] } };

  it('accepts pulls, acknowledgements and pages', () => {
    expect(parseWireMessage({ type: 'tpull', db: 'db-app', after: 7 }, 1000)).toEqual({ type: 'tpull', db: 'db-app', after: 7 });
    expect(parseWireMessage({ type: 'tack', db: 'db-app', v: 3, upTo: 9 }, 1000)).toEqual({ type: 'tack', db: 'db-app', v: 3, upTo: 9 });
    expect(parseWireMessage(page, 1000)).toEqual(page);
    expect(parseWireMessage({ ...page, rows: [['kv', '[1]', 2, null, 9, 'e', null]], cols: undefined }, 1000)).toMatchObject({ type: 'tpage' });
  });

  it('refuses malformed table messages with a reason', () => {
    const bad: [unknown, RegExp][] = [
      [{ type: 'tpull', db: 'db app', after: 1 }, /bad db/],
      [{ type: 'tpull', db: 'db-app', after: -1 }, /bad after/],
      [{ type: 'tack', db: 'db-app', v: 1.5 }, /bad v/],
      [{ ...page, to: -1 }, /bounds/],
      [{ ...page, from: 6 }, /bounds/],
      [{ ...page, more: 'no' }, /bad more/],
      [{ ...page, cols: { kv: [1] } }, /column name/],
      [{ ...page, rows: [row.slice(0, 6)] }, /bad row/],
      [{ ...page, rows: [['kv', 'not json', 1, null, 1, 's', null]] }, /bad row key/],
      [{ ...page, rows: [['kv', '[1]', 0, null, 1, 's', null]] }, /causal length/],
      [{ ...page, rows: [['kv', '[1]', 1, [{ x: 1 }], 1, 's', null]] }, /bad row values/],
      [{ ...page, rows: [['kv', '[1]', 1, [1], 1, 's', { v: [1] }]] }, /column version/],
      [{ ...page, rows: Array.from({ length: 10_001 }, () => row) }, /bad rows/],
    ];
    for (const [msg, reason] of bad) expect(parseWireMessage(msg, 1000)).toMatch(reason);
    expect(parseWireMessage({ ...page, rows: Array.from({ length: 50 }, () => row) }, 1000)).toMatch(/larger than 1000 bytes/);
  });
});
