import * as A from '@automerge/automerge';
import { afterEach, describe, expect, it } from 'vitest';
import { JsonCrdt, type GlobalBinding } from '../../src/runtime/json-crdt.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

interface AppState {
  views: number;
  cache: Map<unknown, unknown>;
  settings: Record<string, unknown>;
  recent: unknown;
}

function setup(name: string): { crdt: JsonCrdt; s: AppState } {
  const t = tempDir(name);
  cleanups.push(t.cleanup);
  const s: AppState = { views: 10, cache: new Map(), settings: { theme: 'dark' }, recent: [] };
  const bindings: Record<string, GlobalBinding> = {
    views: { get: () => s.views, set: (v) => (s.views = v as number) },
    cache: { get: () => s.cache, set: (v) => (s.cache = v as Map<unknown, unknown>) },
    settings: { get: () => s.settings, set: (v) => (s.settings = v as Record<string, unknown>) },
    recent: { get: () => s.recent, set: (v) => (s.recent = v) },
  };
  const crdt = new JsonCrdt(Object.keys(bindings), (n) => bindings[n], `${t.dir}/data`, 'globals');
  return { crdt, s };
}

function sync(from: JsonCrdt, to: JsonCrdt): void {
  const changes = A.getAllChanges(from.store.doc);
  to.receive((doc, patches) => A.applyChanges(doc, changes, { patchCallback: (p) => void patches.push(...p) })[0], true);
}

describe('CRDT-JSON', () => {
  it('adds up concurrent increments and merges Maps and objects per key, in place', () => {
    const a = setup('ja');
    const b = setup('jb');
    a.crdt.seed();
    b.crdt.seed();
    sync(a.crdt, b.crdt);
    sync(b.crdt, a.crdt);
    const cacheRef = b.s.cache;
    const settingsRef = b.s.settings;
    a.s.views += 3;
    b.s.views += 4;
    a.s.cache.set(1, { title: 'one' });
    b.s.cache.set('two', [2]);
    a.s.settings.lang = 'fr';
    b.s.settings.theme = 'light';
    a.s.recent = ['a'];
    a.crdt.capture();
    b.crdt.capture();
    sync(a.crdt, b.crdt);
    sync(b.crdt, a.crdt);
    for (const s of [a.s, b.s]) {
      expect(s.views).toBe(17);
      expect([...s.cache].sort()).toEqual([[1, { title: 'one' }], ['two', [2]]]);
      expect(s.settings).toEqual({ theme: 'light', lang: 'fr' });
      expect(s.recent).toEqual(['a']);
    }
    expect(b.s.cache).toBe(cacheRef);
    expect(b.s.settings).toBe(settingsRef);
  });

  it('does not lose an uncaptured local increment when a remote one arrives', () => {
    const a = setup('jc');
    const b = setup('jd');
    a.crdt.seed();
    sync(a.crdt, b.crdt);
    a.s.views += 1;
    a.crdt.capture();
    b.s.views += 2; // not captured yet: receive must capture it first
    sync(a.crdt, b.crdt);
    expect(b.s.views).toBe(13);
    sync(b.crdt, a.crdt);
    expect(a.s.views).toBe(13);
  });

  it('rolls back to the document', () => {
    const a = setup('je');
    a.crdt.seed();
    a.s.views = 99;
    a.s.cache.set('x', 1);
    a.crdt.rollback();
    expect(a.s.views).toBe(10);
    expect(a.s.cache.size).toBe(0);
  });

  it('replicates a library object (a cache class with a timer) by its data fields, in place, keeping its class', () => {
    class TinyCache {
      data: Record<string, unknown> = {};
      stats = { keys: 0 };
      timer = setTimeout(() => undefined, 60_000);
      set(k: string, v: unknown): void {
        this.data[k] = { v };
        this.stats.keys = Object.keys(this.data).length;
      }
    }
    const make = (name: string) => {
      const t = tempDir(name);
      cleanups.push(t.cleanup);
      const cache = new TinyCache();
      cleanups.push(() => clearTimeout(cache.timer));
      const crdt = new JsonCrdt(['cache'], () => ({ get: () => cache, set: () => expect.fail('a const cache is updated in place') }), `${t.dir}/data`, 'globals');
      return { crdt, cache };
    };
    const a = make('jla');
    const b = make('jlb');
    a.crdt.seed();
    b.crdt.seed();
    sync(a.crdt, b.crdt);
    sync(b.crdt, a.crdt);
    a.cache.set('k', 1);
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    expect(b.cache).toBeInstanceOf(TinyCache);
    expect(b.cache.data).toEqual({ k: { v: 1 } });
    expect(b.cache.stats).toEqual({ keys: 1 });
    b.cache.set('j', 2);
    expect(b.cache.stats.keys).toBe(2);
  });
});
