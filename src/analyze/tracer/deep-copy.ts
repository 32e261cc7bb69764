/**
 * Deep copies for checkpoints and in-place restores. Plain data (objects, arrays, Maps, Sets,
 * Dates, typed arrays) is copied; everything else (functions, class instances that hold native
 * handles, promises, ...) is kept by reference, because it cannot be recreated and is not state
 * the app mutates through plain assignments.
 */

function isPlainObject(v: object): boolean {
  const p = Object.getPrototypeOf(v) as unknown;
  return p === Object.prototype || p === null;
}

/** True when `deepCopy` would copy `v` (rather than keep the reference). */
export function isCopyable(v: unknown): v is object {
  if (v === null || typeof v !== 'object') return false;
  // a frozen value cannot change: nothing to checkpoint or restore
  if (Object.isFrozen(v) && !ArrayBuffer.isView(v)) return false;
  return Array.isArray(v) || v instanceof Map || v instanceof Set || v instanceof Date || ArrayBuffer.isView(v) || isPlainObject(v);
}

export function deepCopy<T>(v: T, seen = new Map<unknown, unknown>()): T {
  if (!isCopyable(v)) return v;
  const hit = seen.get(v);
  if (hit !== undefined) return hit as T;
  let out: unknown;
  if (Array.isArray(v)) {
    const a: unknown[] = [];
    seen.set(v, a);
    for (const x of v) a.push(deepCopy(x, seen));
    out = a;
  } else if (v instanceof Map) {
    const m = new Map();
    seen.set(v, m);
    for (const [k, x] of v) m.set(k, deepCopy(x, seen));
    out = m;
  } else if (v instanceof Set) {
    const s = new Set();
    seen.set(v, s);
    for (const x of v) s.add(deepCopy(x, seen));
    out = s;
  } else if (v instanceof Date) {
    out = new Date(v.getTime());
  } else if (ArrayBuffer.isView(v)) {
    out = (v as unknown as { slice(): unknown }).slice();
  } else {
    const o: Record<string | symbol, unknown> = Object.create(Object.getPrototypeOf(v) as object | null) as Record<string, unknown>;
    seen.set(v, o);
    for (const k of Object.keys(v)) o[k] = deepCopy((v as Record<string, unknown>)[k], seen);
    out = o;
  }
  return out as T;
}

/** Copies of the own enumerable fields of any object (class instances included). */
export function copyFields(obj: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(obj)) out[k] = deepCopy((obj as Record<string, unknown>)[k]);
  return out;
}

/** Makes `target` equal to `copy` again without replacing the object (a const stays bound to it). */
export function restoreInPlace(target: unknown, copy: unknown, seen = new WeakSet<object>()): void {
  if (target !== null && typeof target === 'object') {
    if (seen.has(target)) return;
    seen.add(target);
  }
  if (target instanceof Map && copy instanceof Map) {
    target.clear();
    for (const [k, x] of copy) target.set(k, deepCopy(x));
  } else if (target instanceof Set && copy instanceof Set) {
    target.clear();
    for (const x of copy) target.add(deepCopy(x));
  } else if (Array.isArray(target) && Array.isArray(copy)) {
    target.length = 0;
    for (const x of copy) target.push(deepCopy(x));
  } else if (target instanceof Date && copy instanceof Date) {
    target.setTime(copy.getTime());
  } else if (ArrayBuffer.isView(target) && ArrayBuffer.isView(copy)) {
    (target as unknown as { set(a: unknown): void }).set(copy);
  } else if (target !== null && typeof target === 'object' && copy !== null && typeof copy === 'object') {
    restoreFields(target, copy as Record<string, unknown>, seen);
  }
}

/** Restores own fields: deletes added ones, puts back the others (nested data restored in place). */
export function restoreFields(target: object, fields: Record<string, unknown>, seen = new WeakSet<object>()): void {
  seen.add(target);
  const t = target as Record<string, unknown>;
  for (const k of Object.keys(t)) if (!(k in fields)) delete t[k];
  for (const [k, x] of Object.entries(fields)) {
    const cur = t[k];
    if (isCopyable(cur) && isCopyable(x) && cur !== x && sameKind(cur, x)) restoreInPlace(cur, x, seen);
    else if (cur !== x) t[k] = deepCopy(x);
  }
}

function sameKind(a: object, b: object): boolean {
  return Object.getPrototypeOf(a) === Object.getPrototypeOf(b);
}

/** Rough size of a value (nodes visited, capped): large values are restored only when dirty. */
export function roughSize(v: unknown, cap = 20000): number {
  let n = 0;
  const stack: unknown[] = [v];
  const seen = new Set<unknown>();
  while (stack.length && n < cap) {
    const x = stack.pop();
    n++;
    if (!isCopyable(x) || seen.has(x)) continue;
    seen.add(x);
    if (ArrayBuffer.isView(x)) n += (x as unknown as { byteLength: number }).byteLength / 8;
    else if (x instanceof Map) for (const [k, y] of x) stack.push(k, y);
    else if (x instanceof Set || Array.isArray(x)) for (const y of x) stack.push(y);
    else if (!(x instanceof Date)) for (const y of Object.values(x)) stack.push(y);
  }
  return n;
}
