/**
 * CRDT-JSON: replicated globals (module-level bindings, `Class#field`s) as one Automerge doc.
 *
 *   doc[name] = { k: kind, b: base, c: Counter, m: { key: json }, v: json }
 *
 * Each global's slot is created by a deterministic genesis change. A number is `b + c`: the
 * first replica to see it sets the base (last-writer-wins, all replicas start from the same
 * snapshot so they agree), and every later local change of +d is `c.increment(d)`, so
 * concurrent increments add up. Maps and plain objects merge per key (values JSON, last writer
 * wins); anything else (arrays, strings, ...) is one JSON value.
 */
import * as A from '@automerge/automerge';
import type { AfterPersist, CrdtAdapter, RemoteUpdate } from './adapter.js';
import { DocStore, genesisChanges, type DocRoot } from './doc-store.js';
import { rlog } from './util.js';

export interface GlobalBinding {
  get: () => unknown;
  set: (value: unknown) => void;
}

type Kind = 'unset' | 'number' | 'map' | 'object' | 'json';
interface Slot {
  k: A.ImmutableString | string;
  b: number;
  c: A.Counter;
  m: Record<string, A.ImmutableString | string>;
  v: A.ImmutableString | string;
}

function kindOf(value: unknown): Kind {
  if (typeof value === 'number' && Number.isFinite(value)) return 'number';
  if (value instanceof Map) return 'map';
  if (value !== null && typeof value === 'object') {
    const proto = Object.getPrototypeOf(value) as unknown;
    if (proto === Object.prototype || proto === null || isLibraryObject(value)) return 'object';
  }
  return 'json';
}

/**
 * An instance of a library class held in a global (a node-cache, a session store): replicated by
 * its data fields, updated in place, so that it keeps its class and methods.
 */
function isLibraryObject(value: object): boolean {
  return !(Array.isArray(value) || value instanceof Set || value instanceof Date || ArrayBuffer.isView(value) || value instanceof RegExp || value instanceof Promise);
}

/** A library object's machinery rather than its data: methods, timers, sockets and other handles. */
function isMachinery(v: unknown): boolean {
  if (typeof v === 'function') return true;
  if (v === null || typeof v !== 'object') return false;
  return '_idleTimeout' in v || '_handle' in v || typeof (v as { hasRef?: unknown }).hasRef === 'function';
}

const str = (v: A.ImmutableString | string | undefined): string => (v === undefined ? '' : String(v));
const encode = (v: unknown): string => (v === undefined ? 'undefined' : JSON.stringify(v) ?? 'null');
const decode = (s: string): unknown => (s === 'undefined' || s === '' ? undefined : JSON.parse(s));

/** Entries of a Map (keys JSON-encoded so numbers stay numbers) or of a plain object. */
function entriesOf(value: unknown, kind: Kind): Map<string, string> {
  const out = new Map<string, string>();
  if (kind === 'map') for (const [k, v] of value as Map<unknown, unknown>) out.set(JSON.stringify(k), encode(v));
  else for (const [k, v] of Object.entries(value as object)) if (!isMachinery(v)) out.set(k, encode(v));
  return out;
}

export class JsonCrdt implements CrdtAdapter {
  readonly store: DocStore;
  readonly volatile = true;

  constructor(
    private readonly names: string[],
    private readonly bindings: (name: string) => GlobalBinding | undefined,
    dataDir: string,
    docId: string,
  ) {
    this.store = new DocStore(dataDir, docId);
    for (const name of names) {
      this.store.ensureGenesis(genesisChanges(`global:${name}`, (d) => {
        d[name] = { k: new A.ImmutableString('unset'), b: 0, c: new A.Counter(0), m: {}, v: new A.ImmutableString('') };
      }));
    }
  }

  private slot(name: string): Slot | undefined {
    return this.store.doc[name] as Slot | undefined;
  }

  capture(): AfterPersist | null {
    const work: { name: string; value: unknown; kind: Kind }[] = [];
    for (const name of this.names) {
      const binding = this.bindings(name);
      const slot = this.slot(name);
      if (!binding || !slot) continue;
      const value = binding.get();
      const kind = kindOf(value);
      if (kind !== str(slot.k) || !this.equal(slot, kind, value)) work.push({ name, value, kind });
    }
    if (work.length === 0) return null;
    this.store.doc = A.change(this.store.doc, (d) => {
      for (const { name, value, kind } of work) {
        const slot = d[name] as Slot;
        const kindChanged = str(slot.k) !== kind;
        if (kindChanged) slot.k = new A.ImmutableString(kind);
        if (kind === 'number') {
          const delta = (value as number) - (slot.b + slot.c.value);
          // The first value is a base (replicas that start from the same snapshot agree on it);
          // counters hold integers, so a fractional change also falls back to last-writer-wins.
          if (!kindChanged && Number.isSafeInteger(delta)) slot.c.increment(delta);
          else slot.b = (value as number) - slot.c.value;
        } else if (kind === 'map' || kind === 'object') {
          const entries = entriesOf(value, kind);
          for (const [k, v] of entries) if (str(slot.m[k]) !== v) slot.m[k] = new A.ImmutableString(v);
          for (const k of Object.keys(slot.m)) if (!entries.has(k)) delete slot.m[k];
        } else {
          slot.v = new A.ImmutableString(encode(value));
        }
      }
    });
    return null;
  }

  private equal(slot: Slot, kind: Kind, value: unknown): boolean {
    if (kind === 'number') return slot.b + slot.c.value === value;
    if (kind === 'json') return str(slot.v) === encode(value);
    const entries = entriesOf(value, kind);
    const keys = Object.keys(slot.m);
    return keys.length === entries.size && keys.every((k) => entries.get(k) === str(slot.m[k]));
  }

  receive(update: RemoteUpdate, captureFirst: boolean): AfterPersist | null {
    if (captureFirst) this.capture();
    const before = A.getHeads(this.store.doc);
    const patches: A.Patch[] = [];
    this.store.doc = update(this.store.doc, patches);
    const after = A.getHeads(this.store.doc);
    if (before.join() === after.join()) return null;
    const dirty = new Set<string>();
    for (const patch of patches) {
      if (typeof patch.path[0] === 'string') dirty.add(patch.path[0]);
    }
    for (const name of dirty) this.applyToApp(name);
    return null;
  }

  /** Document -> the app's binding; Maps and plain objects are updated in place. */
  applyToApp(name: string): void {
    const binding = this.bindings(name);
    const slot = this.slot(name);
    if (!binding || !slot) return;
    const kind = str(slot.k) as Kind;
    try {
      switch (kind) {
        case 'unset':
          return;
        case 'number':
          binding.set(slot.b + slot.c.value);
          return;
        case 'json':
          binding.set(decode(str(slot.v)));
          return;
        case 'map':
        case 'object': {
          const target = new Map(Object.entries(slot.m).map(([k, v]) => [k, str(v)]));
          const current = binding.get();
          if (kindOf(current) !== kind) {
            const fresh = [...target].map(([k, v]) => [kind === 'map' ? decode(k) : k, decode(v)] as const);
            binding.set(kind === 'map' ? new Map(fresh) : Object.fromEntries(fresh));
            return;
          }
          const have = entriesOf(current, kind);
          if (kind === 'map') {
            const m = current as Map<unknown, unknown>;
            for (const k of have.keys()) if (!target.has(k)) m.delete(decode(k));
            for (const [k, v] of target) if (have.get(k) !== v) m.set(decode(k), decode(v));
          } else {
            const o = current as Record<string, unknown>;
            for (const k of have.keys()) if (!target.has(k)) delete o[k];
            for (const [k, v] of target) if (have.get(k) !== v) o[k] = decode(v);
          }
          return;
        }
        default:
          throw new Error(`unknown kind ${String(kind)}`);
      }
    } catch (err: unknown) {
      rlog.warn(`could not apply global "${name}": ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  readonly captureBeforeMark = true;

  mark(): null {
    return null;
  }

  rollback(): void {
    this.reconcile();
  }

  seed(): void {
    this.capture();
  }

  reconcile(): void {
    for (const name of this.names) this.applyToApp(name);
  }

  pending(): number {
    return 0;
  }

  close(): void {}
}
