/**
 * The reachable state of a library object (issue #11 item 5): a module-level `new NodeCache()`,
 * an express-session `MemoryStore`, an EventEmitter, any class. Its methods mutate it out of the
 * probes' sight (`cache.set(k, v)` is a call, not an assignment), so an execution that calls a
 * method on it compares a digest of everything reachable from it before and after.
 *
 * The digest covers own fields (string and symbol keys), nested objects, arrays, Maps, Sets,
 * Dates and typed arrays; a function counts by identity (an added listener changes the digest);
 * timers and OS handles count by identity only (their bookkeeping changes on its own). Fields
 * held in `#private` slots cannot be seen by any reflection and are not covered.
 */
import { createHash, type Hash } from 'node:crypto';
import { Stream } from 'node:stream';

const MAX_NODES = 200_000;

/** An object of a class (or a plain object) whose methods may hold state: not a builtin collection. */
export function isLibraryObject(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v) || v instanceof Map || v instanceof Set || v instanceof WeakMap || v instanceof WeakSet) return false;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer || v instanceof Date || v instanceof RegExp || v instanceof Promise || v instanceof Error) return false;
  return !Object.isFrozen(v);
}

/** Timers, sockets, streams, servers and native handles: their own bookkeeping is not the app's state. */
export function isHandle(v: object): boolean {
  const o = v as Record<string, unknown>;
  // Streams too (sockets, requests, responses, log files): their buffers and counters move on
  // their own, and a request reaches every other one through its socket and response.
  return v instanceof Stream || '_idleTimeout' in o || '_handle' in o || typeof (o as { hasRef?: unknown }).hasRef === 'function';
}

export function stateDigest(root: object): string {
  const hash = createHash('sha1');
  const ids = new Map<unknown, number>();
  let nodes = 0;
  const idOf = (x: unknown): number => {
    let id = ids.get(x);
    if (id === undefined) ids.set(x, (id = ids.size));
    return id;
  };
  const visit = (v: unknown, h: Hash, depth: number): void => {
    if (++nodes > MAX_NODES) return;
    switch (typeof v) {
      case 'object':
        break;
      case 'function':
        h.update(`f${idOf(v)};`);
        return;
      case 'symbol':
        h.update(`y${String(v)};`);
        return;
      default:
        h.update(`${typeof v}:${String(v)};`);
        return;
    }
    if (v === null) {
      h.update('n;');
      return;
    }
    if (ids.has(v)) {
      h.update(`r${ids.get(v)!};`);
      return;
    }
    idOf(v);
    if (depth > 0 && isHandle(v)) {
      h.update('h;');
      return;
    }
    if (v instanceof Date) h.update(`d${v.getTime()};`);
    else if (ArrayBuffer.isView(v)) h.update(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    else if (v instanceof Map) {
      h.update(`M${v.size}{`);
      for (const [k, x] of v) {
        visit(k, h, depth + 1);
        visit(x, h, depth + 1);
      }
      h.update('}');
    } else if (v instanceof Set) {
      h.update(`S${v.size}{`);
      for (const x of v) visit(x, h, depth + 1);
      h.update('}');
    } else if (Array.isArray(v)) {
      h.update(`A${v.length}[`);
      for (const x of v) visit(x, h, depth + 1);
      h.update(']');
    } else {
      h.update('{');
      for (const k of Reflect.ownKeys(v)) {
        const d = Object.getOwnPropertyDescriptor(v, k);
        if (!d || !('value' in d)) continue; // accessors compute from the fields already visited
        h.update(`${String(k)}:`);
        visit(d.value, h, depth + 1);
      }
      h.update('}');
    }
  };
  visit(root, hash, 0);
  return hash.digest('hex');
}
