/**
 * The probe runtime (`globalThis.__edgstr$rt`) that instrumented modules call, and the current
 * execution. The analyzer runs one execution at a time; flags (Uint8Array per id) make every
 * probe after the first of its kind per execution a single array load, and the slow path checks
 * through AsyncLocalStorage that the event really belongs to the current execution (background
 * timers of earlier work do not count).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ExecTrace, HiddenState } from './protocol.js';
import { copyFields, deepCopy, isCopyable, restoreFields, restoreInPlace, roughSize } from './deep-copy.js';
import { isHandle, isLibraryObject, stateDigest } from './state-digest.js';

export interface ExecStore {
  id: string;
}
export const als = new AsyncLocalStorage<ExecStore>();

const VALUES_PER_STMT = 8;
const SMALL = 2000;

const MAP_WRITES = new Set(['set', 'add', 'delete', 'clear']);
const ARRAY_WRITES = new Set(['push', 'pop', 'shift', 'unshift', 'splice', 'sort', 'reverse', 'fill', 'copyWithin']);
const TYPED_WRITES = new Set(['set', 'fill', 'sort', 'reverse', 'copyWithin']);

/**
 * Methods that only look (or hand work to a database, whose tables are traced on their own): a
 * call of one of them on a library object is a read without a state comparison, so that e.g. a
 * cache's hit counter does not turn `cache.get` into a write.
 */
const LOOK_METHODS = new Set([
  'get', 'mget', 'has', 'peek', 'keys', 'values', 'entries', 'forEach', 'size', 'getTtl', 'getStats', 'dump', 'info', 'count',
  'listeners', 'listenerCount', 'eventNames', 'rawListeners', 'getMaxListeners', 'emit',
  'toString', 'toJSON', 'valueOf', 'find', 'filter', 'map', 'some', 'every', 'includes', 'indexOf', 'at', 'slice', 'join',
  'all', 'each', 'run', 'exec', 'prepare', 'query', 'execute', 'raw', 'select', 'where', 'transaction', 'serialize',
  'then', 'catch', 'finally', 'send', 'json', 'render', 'status', 'call', 'apply', 'bind',
  // connections and pools (their bookkeeping is not the app's state; their tables are traced)
  'connect', 'acquire', 'release', 'getConnection', 'authenticate', 'sync', 'close', 'end', 'ping', 'model', 'define', 'collection',
  // loggers and streams (what they write goes to files or sockets, traced on their own)
  'log', 'info', 'warn', 'error', 'debug', 'trace', 'fatal', 'verbose', 'silly', 'child', 'write',
  // pure helpers
  'sign', 'verify', 'hash', 'compare', 'validate', 'parse', 'format', 'stringify', 'encode', 'decode', 'digest', 'sendMail', 'request', 'fetch',
]);

/**
 * Methods that write by their name, on any library object, as Map#set/delete do (DESIGN.md §3: a
 * Map's set/delete/clear is a write whatever it changed): a cache's `del` of a key that is not
 * there is still the service writing the cache. Other names are judged by the state comparison.
 */
const WRITE_METHODS = new Set([
  'set', 'mset', 'del', 'delete', 'remove', 'clear', 'reset', 'flushAll', 'flush', 'take', 'put', 'add', 'insert', 'update', 'upsert',
  'push', 'pop', 'shift', 'unshift', 'incr', 'decr', 'increment', 'decrement', 'ttl', 'touch', 'expire',
  'on', 'once', 'addListener', 'prependListener', 'prependOnceListener', 'off', 'removeListener', 'removeAllListeners',
  'destroy', 'regenerate',
]);

/** Is calling `name` on `recv` a write? Decided by the receiver's run-time type. */
export function isMutatingCall(recv: unknown, name: string): boolean {
  if (recv instanceof Map || recv instanceof Set || recv instanceof WeakMap || recv instanceof WeakSet) return MAP_WRITES.has(name);
  if (Array.isArray(recv)) return ARRAY_WRITES.has(name);
  if (ArrayBuffer.isView(recv)) return TYPED_WRITES.has(name);
  if (recv instanceof Date) return name.startsWith('set');
  return false;
}

interface GlobalEntry {
  get: () => unknown;
  set: ((v: unknown) => void) | null;
  ref?: unknown;
  copy?: unknown;
  small?: boolean;
  /** A library object: its fields are restored only after an execution changed them. */
  lib?: boolean;
}
interface InstanceEntry {
  obj: object;
  fields?: Record<string, unknown>;
  small?: boolean;
}

export interface Sizes {
  stmts: number;
  globals: number;
  fields: number;
}

export class Runtime {
  s: Uint8Array;
  gr: Uint8Array;
  gw: Uint8Array;
  private fr: Uint8Array;
  private fw: Uint8Array;
  private vc: Uint8Array;
  cur: ExecTrace | null = null;
  /** Raw values of the current execution; fingerprinted when the trace is fetched. */
  rawValues: [number, unknown][] = [];
  readonly globals = new Map<number, GlobalEntry>();
  private readonly longLived = new WeakSet<object>();
  private readonly instances: InstanceEntry[] = [];
  private readonly instanceIndex = new WeakMap<object, InstanceEntry>();
  private readonly dirtyGlobals = new Set<number>();
  private readonly dirtyInstances = new Set<InstanceEntry>();
  /** Library objects a method was called on in this execution: state digest before the first call. */
  private readonly watched = new Map<number, { recv: object; before: string }>();
  checkpointed = false;
  /** Objects the middleware hung on this execution's request: digest when first seen there. */
  private readonly hiddenSeen = new Map<object, { name: string; before: string }>();
  private readonly hiddenIds = new WeakMap<object, number>();
  /** Values of the app's module-level bindings at the checkpoint (the globals probes cover them). */
  private readonly boundValues = new WeakSet<object>();

  constructor(sizes: Sizes = { stmts: 0, globals: 0, fields: 0 }) {
    this.s = new Uint8Array(sizes.stmts + 1);
    this.gr = new Uint8Array(sizes.globals + 1);
    this.gw = new Uint8Array(sizes.globals + 1);
    this.fr = new Uint8Array(sizes.fields + 1);
    this.fw = new Uint8Array(sizes.fields + 1);
    this.vc = new Uint8Array(sizes.stmts + 1);
  }

  /**
   * Ids are handed out as the server loads its modules (load-instrument.ts), so the flag arrays
   * grow on the slow path of the first probe past their end (an out-of-range flag reads as
   * undefined, which takes the slow path).
   */
  private static grown(a: Uint8Array, id: number): Uint8Array {
    if (id < a.length) return a;
    const b = new Uint8Array(Math.max(id + 1, a.length * 2));
    b.set(a);
    return b;
  }
  private growStmts(id: number): void {
    if (id < this.s.length && id < this.vc.length) return;
    this.s = Runtime.grown(this.s, id);
    this.vc = Runtime.grown(this.vc, id);
  }
  private growGlobals(id: number): void {
    if (id < this.gr.length && id < this.gw.length) return;
    this.gr = Runtime.grown(this.gr, id);
    this.gw = Runtime.grown(this.gw, id);
  }
  private growFields(id: number): void {
    if (id < this.fr.length && id < this.fw.length) return;
    this.fr = Runtime.grown(this.fr, id);
    this.fw = Runtime.grown(this.fw, id);
  }

  /** The current execution when the caller runs on its behalf, else null. */
  inExec(): ExecTrace | null {
    const cur = this.cur;
    if (cur === null) return null;
    const st = als.getStore();
    return st && st.id === cur.id ? cur : null;
  }

  // ---- probes called by instrumented code (names are short: they are in every statement)
  S(id: number): boolean {
    this.growStmts(id);
    // between executions (start-up included) the flag short-cuts later hits; begin() clears it
    if (this.cur === null) {
      this.s[id] = 1;
      return false;
    }
    const cur = this.inExec();
    if (cur) {
      this.s[id] = 1;
      cur.stmts.push(id);
    }
    return false;
  }
  v<T>(id: number, value: T): T {
    if (id >= this.vc.length) this.growStmts(id);
    if (this.cur === null || this.vc[id]! >= VALUES_PER_STMT) return value;
    if (this.inExec()) {
      this.vc[id]!++;
      this.rawValues.push([id, value]);
    }
    return value;
  }
  R(id: number): boolean {
    this.growGlobals(id);
    if (this.cur === null) {
      this.gr[id] = 1;
      return false;
    }
    const cur = this.inExec();
    if (cur) {
      this.gr[id] = 1;
      cur.globalReads.push(id);
    }
    return false;
  }
  W(id: number): boolean {
    this.growGlobals(id);
    this.dirtyGlobals.add(id);
    const cur = this.inExec();
    if (cur) {
      this.gw[id] = 1;
      cur.globalWrites.push(id);
    }
    return false;
  }
  m<T>(id: number, recv: T, name: string): T {
    if (isMutatingCall(recv, name)) {
      if (!this.gw[id]) this.W(id);
      return recv;
    }
    // an instance of one of the app's own classes: its fields are traced as Class#field already
    const library = isLibraryObject(recv) && !this.longLived.has(recv);
    if (WRITE_METHODS.has(name) && library) {
      if (!this.gw[id]) this.W(id);
      return recv;
    }
    if (!this.gr[id]) this.R(id);
    // a library object's own methods may write it: compare its state when the execution ends
    if (!this.gw[id] && this.cur !== null && !this.watched.has(id) && !LOOK_METHODS.has(name) && library && this.inExec()) {
      this.watched.set(id, { recv, before: stateDigest(recv) });
    }
    return recv;
  }

  /**
   * `req[name] = value` in the current execution, as the request's prototype chain saw it
   * (http.ts). A library object no module-level binding of the app holds is digested now,
   * before the app uses it, and again when the execution ends (settleHidden).
   */
  seeOnRequest(name: string, value: unknown): void {
    if (this.cur === null || !this.inExec() || !isLibraryObject(value) || isHandle(value)) return;
    if (this.boundValues.has(value) || this.longLived.has(value) || this.hiddenSeen.has(value)) return;
    this.hiddenSeen.set(value, { name: `req.${name}`, before: stateDigest(value) });
  }

  /** The request-borne objects of the current execution, and whether each changed. */
  settleHidden(): HiddenState[] {
    const out: HiddenState[] = [];
    for (const [obj, seen] of this.hiddenSeen) {
      let n = this.hiddenIds.get(obj);
      if (n === undefined) this.hiddenIds.set(obj, (n = ++this.hiddenCount));
      const kind = (Object.getPrototypeOf(obj) as { constructor?: { name?: string } } | null)?.constructor?.name || 'Object';
      out.push({ name: seen.name, kind, obj: `${process.pid}:${n}`, changed: stateDigest(obj) !== seen.before });
    }
    this.hiddenSeen.clear();
    return out;
  }
  private hiddenCount = 0;

  /** Ends the current execution's state comparisons: a library object that changed was written. */
  settleWatched(): void {
    const cur = this.cur;
    for (const [id, w] of this.watched) {
      if (stateDigest(w.recv) === w.before) continue;
      this.dirtyGlobals.add(id);
      if (cur && !cur.globalWrites.includes(id)) cur.globalWrites.push(id);
    }
    this.watched.clear();
  }
  tR(id: number, self: object): void {
    this.growFields(id);
    if (this.fr[id] || !this.longLived.has(self)) return;
    const cur = this.inExec();
    if (cur) {
      this.fr[id] = 1;
      cur.fieldReads.push(id);
    }
  }
  tW(id: number, self: object): void {
    this.growFields(id);
    if (!this.longLived.has(self)) return;
    const e = this.instanceIndex.get(self);
    if (e) this.dirtyInstances.add(e);
    if (this.fw[id]) return;
    const cur = this.inExec();
    if (cur) {
      this.fw[id] = 1;
      cur.fieldWrites.push(id);
    }
  }
  tm<T>(id: number, self: object, name: string, recv: T): T {
    if (isMutatingCall(recv, name)) this.tW(id, self);
    else this.tR(id, self);
    return recv;
  }
  inst(self: object, _className: string): undefined {
    if (this.instanceIndex.has(self)) return undefined;
    if (!als.getStore()) {
      this.longLived.add(self);
      const e: InstanceEntry = { obj: self };
      this.instances.push(e);
      this.instanceIndex.set(self, e);
      if (this.checkpointed) this.snapshotInstance(e);
    }
    return undefined;
  }
  mod(_file: string, list: [number, () => unknown, ((v: unknown) => void) | null][]): void {
    for (const [id, get, set] of list) this.globals.set(id, { get, set });
  }

  // ---- checkpoint / restore of globals and long-lived instances
  checkpointGlobals(): { globals: number; instances: number } {
    for (const g of this.globals.values()) {
      let v: unknown;
      try {
        v = g.get();
      } catch {
        continue; // still in its temporal dead zone: the module never finished loading
      }
      g.ref = v;
      if (typeof v === 'object' && v !== null) this.boundValues.add(v);
      const lib = !isCopyable(v) && isLibraryObject(v) && !this.longLived.has(v);
      g.lib = lib;
      g.copy = isCopyable(v) ? deepCopy(v) : lib ? copyFields(v as object) : undefined;
      g.small = roughSize(v) < SMALL;
    }
    for (const e of this.instances) this.snapshotInstance(e);
    this.checkpointed = true;
    return { globals: this.globals.size, instances: this.instances.length };
  }
  private snapshotInstance(e: InstanceEntry): void {
    e.fields = copyFields(e.obj);
    e.small = roughSize(e.fields) < SMALL;
  }
  restoreGlobals(): void {
    for (const [id, g] of this.globals) {
      if (!('ref' in g)) continue;
      const dirty = this.dirtyGlobals.has(id);
      let cur: unknown;
      try {
        cur = g.get();
      } catch {
        continue;
      }
      try {
        if (cur !== g.ref && g.set) g.set(g.ref);
        if (g.copy !== undefined && (dirty || (g.small && !g.lib))) restoreInPlace(g.ref, g.copy);
      } catch {
        // a sealed or exotic value: it could not have been changed through the probes either
      }
    }
    for (const e of this.instances) {
      try {
        if (e.fields && (e.small || this.dirtyInstances.has(e))) restoreFields(e.obj, e.fields);
      } catch {
        // frozen instance
      }
    }
    this.dirtyGlobals.clear();
    this.dirtyInstances.clear();
  }
  /** JSON-able values of the checkpointed globals and instance fields (for snapshot/globals.json). */
  snapshotValues(): { globals: Map<number, unknown>; instances: object[] } {
    const globals = new Map<number, unknown>();
    for (const [id, g] of this.globals) if ('ref' in g) globals.set(id, g.copy ?? g.ref);
    return { globals, instances: this.instances.map((e) => e.obj) };
  }

  /** Starts a new execution: flags cleared, nothing attributed to it yet. */
  begin(id: string): void {
    this.s.fill(0);
    this.gr.fill(0);
    this.gw.fill(0);
    this.fr.fill(0);
    this.fw.fill(0);
    this.vc.fill(0);
    this.rawValues = [];
    this.watched.clear();
    this.hiddenSeen.clear();
    this.cur = {
      id,
      stmts: [],
      values: [],
      globalReads: [],
      globalWrites: [],
      fieldReads: [],
      fieldWrites: [],
      sql: [],
      files: [],
      outbound: [],
      endFrames: [],
      errors: [],
    };
  }
}
