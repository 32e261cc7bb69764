import * as A from '@automerge/automerge';
import { describe, expect, it } from 'vitest';
import { carryOver, rebuildDoc } from '../../src/runtime/compaction.js';
import type { DocRoot } from '../../src/runtime/doc-store.js';

const actor = (n: number): string => n.toString(16).padStart(32, '0');
const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

/** A document shaped like the runtime's: a table with buckets, a global's slot, files. */
function sample(): A.Doc<DocRoot> {
  let d = A.change(A.init<DocRoot>({ actor: actor(1) }), (x) => {
    x.notes = { b00: {}, b01: {} };
    x.counter = { k: new A.ImmutableString('number'), b: 10, c: new A.Counter(0), m: {}, v: new A.ImmutableString('') };
    x.files = { 'a.log': { chunks: [bytes(1)] }, 'b.txt': { chunks: [bytes(2)] } };
  });
  for (let i = 0; i < 50; i++) {
    d = A.change(d, (x) => {
      const bucket = (x.notes as Record<string, Record<string, unknown>>)[i % 2 ? 'b01' : 'b00']!;
      bucket[`[${i}]`] = { id: i, title: new A.ImmutableString(`note ${i}`), body: bytes(i) };
      ((x.counter as Record<string, unknown>).c as A.Counter).increment(1);
    });
  }
  return d;
}

const plain = (d: unknown): string => JSON.stringify(A.toJS(d as A.Doc<DocRoot>), (_k, v: unknown) =>
  v instanceof Uint8Array ? `bytes:${[...v].join(',')}` : v);

describe('rebuildDoc', () => {
  it('keeps the state, its types and nothing of the history', () => {
    const d = sample();
    const r = rebuildDoc(d, actor(9));
    expect(plain(r)).toBe(plain(d));
    const slot = r.counter as Record<string, unknown>;
    expect(slot.c).toBeInstanceOf(A.Counter);
    expect(slot.k).toBeInstanceOf(A.ImmutableString);
    expect((r.files as Record<string, { chunks: unknown[] }>)['a.log']!.chunks[0]).toBeInstanceOf(Uint8Array);
    expect(A.stats(r).numChanges).toBeLessThan(A.stats(d).numChanges);
    expect(A.getChangesMetaSince(r, []).every((c) => c.actor === actor(9))).toBe(true);
  });
});

describe('carryOver', () => {
  /** The cloud's old document at `base`, the edge's copy with its own writes after it, and the new epoch. */
  function setup(): { base: A.Heads; edge: A.Doc<DocRoot>; epoch: A.Doc<DocRoot> } {
    const cloud = sample();
    const base = A.getHeads(cloud);
    const edge = A.clone(cloud, actor(2));
    const epoch = rebuildDoc(cloud, actor(3));
    return { base, edge, epoch };
  }

  it('re-applies rows put and deleted, counter increments as increments, and appends as appends', () => {
    const { base, edge: e0, epoch: p0 } = setup();
    const edge = A.change(e0, (x) => {
      const notes = x.notes as Record<string, Record<string, Record<string, unknown>>>;
      notes.b00!['[100]'] = { id: 100, title: new A.ImmutableString('offline'), body: bytes(9) };
      notes.b01!['[1]']!.title = new A.ImmutableString('edited at the edge');
      delete notes.b00!['[2]'];
      ((x.counter as Record<string, unknown>).c as A.Counter).increment(3);
      (x.files as Record<string, { chunks: Uint8Array[] }>)['a.log']!.chunks.push(bytes(7));
    });
    // Meanwhile, in the new epoch: another edge increments and appends too.
    const epoch = A.change(p0, (x) => {
      ((x.counter as Record<string, unknown>).c as A.Counter).increment(4);
      (x.files as Record<string, { chunks: Uint8Array[] }>)['a.log']!.chunks.push(bytes(8));
      (x.notes as Record<string, Record<string, unknown>>).b01!['[201]'] = { id: 201 };
    });
    const { doc, stats } = carryOver(epoch, edge, base);
    const notes = doc.notes as Record<string, Record<string, Record<string, unknown>>>;
    expect(String(notes.b00!['[100]']!.title)).toBe('offline');
    expect(String(notes.b01!['[1]']!.title)).toBe('edited at the edge');
    expect(notes.b00!['[2]']).toBeUndefined();
    expect(notes.b01!['[201]']).toBeDefined();
    expect(((doc.counter as Record<string, unknown>).c as A.Counter).value).toBe(50 + 3 + 4);
    const chunks = (doc.files as Record<string, { chunks: Uint8Array[] }>)['a.log']!.chunks.map((c) => c[0]);
    expect(chunks.sort()).toEqual([1, 7, 8]);
    expect(stats).toMatchObject({ increments: 1, appends: 1, dropped: 0 });
  });

  it('replaces a rewritten list and a whole new row, and does nothing without own changes', () => {
    const { base, edge: e0, epoch } = setup();
    expect(carryOver(epoch, e0, base).doc).toBe(epoch);
    const edge = A.change(e0, (x) => {
      (x.files as Record<string, unknown>)['b.txt'] = { chunks: [bytes(5), bytes(6)] };
      (x.files as Record<string, { chunks: Uint8Array[] }>)['a.log']!.chunks.splice(0, 1);
    });
    const { doc } = carryOver(epoch, edge, base);
    const files = doc.files as Record<string, { chunks: Uint8Array[] }>;
    expect(files['b.txt']!.chunks.map((c) => c[0])).toEqual([5, 6]);
    expect(files['a.log']!.chunks).toHaveLength(0);
    expect(plain(doc)).toBe(plain(edge));
  });

  it('merges two edges carrying over concurrently into the same epoch', () => {
    const { base, edge: e1, epoch } = setup();
    const e2 = A.clone(e1, actor(4));
    const w1 = A.change(e1, (x) => ((x.counter as Record<string, unknown>).c as A.Counter).increment(5));
    const w2 = A.change(e2, (x) => ((x.counter as Record<string, unknown>).c as A.Counter).increment(7));
    const at1 = carryOver(A.clone(epoch, actor(5)), w1, base).doc;
    const at2 = carryOver(A.clone(epoch, actor(6)), w2, base).doc;
    const merged = A.merge(A.clone(at1), at2);
    expect(((merged.counter as Record<string, unknown>).c as A.Counter).value).toBe(50 + 5 + 7);
  });
});

describe('rebuildInWorker (the compiled runtime, as generated projects run it)', () => {
  it('rebuilds on a worker thread to the same state', async () => {
    // npm test builds dist/ before vitest runs; the worker is only there compiled.
    const dist = new URL('../../dist/runtime/compaction.js', import.meta.url).href;
    const mod = (await import(dist)) as { rebuildInWorker: (saved: Uint8Array) => Promise<Uint8Array> | null };
    const d = sample();
    const job = mod.rebuildInWorker(A.save(d));
    expect(job, 'dist/runtime/compaction-worker.js is missing: run `npm run build` first').not.toBeNull();
    const rebuilt = A.load<DocRoot>(await job!);
    expect(plain(rebuilt)).toBe(plain(d));
    expect(A.stats(rebuilt).numChanges).toBeLessThan(A.stats(d).numChanges);
  });
});
