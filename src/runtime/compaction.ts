/**
 * History compaction: an Automerge document keeps every change it ever saw, so memory and the
 * cost of each sync message grow with the writes since the first start, not with the state.
 * The cloud therefore starts a new *epoch* of a document now and then: a document rebuilt from
 * the current state (`rebuildDoc`). Edges move to it and re-apply on top of it what they
 * changed that the new base does not have (`carryOver`). The protocol around it is in
 * replica.ts ("Epochs") and docs/faults.md.
 */
import * as A from '@automerge/automerge';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DocRoot } from './doc-store.js';

/** Values copied per Automerge change when rebuilding (WASM memory grows to the largest change). */
const UNITS_PER_CHANGE = 1000;

type Path = (string | number)[];

function isMap(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  if (Array.isArray(v) || v instanceof Uint8Array || v instanceof Date) return false;
  return !(v instanceof A.Counter) && !(v instanceof A.ImmutableString);
}

/** A deep copy of a value read from a document, fit to be put into another one. */
export function copyValue(v: unknown): unknown {
  if (v instanceof A.Counter) return new A.Counter(v.value);
  if (v instanceof A.ImmutableString) return new A.ImmutableString(v.val);
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (v instanceof Date) return new Date(v.getTime());
  if (Array.isArray(v)) return v.map(copyValue);
  if (isMap(v)) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = copyValue(x);
    return out;
  }
  return v;
}

function getIn(root: unknown, path: Path): unknown {
  let at = root;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string | number, unknown>)[key];
  }
  return at;
}

/**
 * A new document (no history) holding the same state as `doc`, made by `actor` (default: a
 * new one). Maps of the first two levels (a table and its buckets, a global's slot, the files
 * map and each file's entry) are created first, then their entries are copied in changes of at
 * most UNITS_PER_CHANGE values. The state is read with one `toJS` (reading through the
 * document's proxies took longer than writing); writing is what costs: about 2 s for 12,000
 * rows of 7 columns, which is why the cloud runs it in a worker (rebuildInWorker).
 */
export function rebuildDoc(doc: A.Doc<DocRoot>, actor: string = randomBytes(16).toString('hex')): A.Doc<DocRoot> {
  const units: { path: string[]; value: unknown }[] = [];
  const shells: string[][] = [];
  for (const [k, v] of Object.entries(A.toJS(doc) as Record<string, unknown>)) {
    if (!isMap(v)) {
      units.push({ path: [k], value: v });
      continue;
    }
    shells.push([k]);
    for (const [c, w] of Object.entries(v)) {
      if (!isMap(w)) {
        units.push({ path: [k, c], value: w });
        continue;
      }
      shells.push([k, c]);
      for (const [g, x] of Object.entries(w)) units.push({ path: [k, c, g], value: x });
    }
  }
  let out = A.change(A.init<DocRoot>({ actor }), { message: 'epoch base' }, (d) => {
    for (const path of shells) {
      const parent = getIn(d, path.slice(0, -1)) as Record<string, unknown>;
      parent[path[path.length - 1]!] = {};
    }
  });
  for (let i = 0; i < units.length; i += UNITS_PER_CHANGE) {
    const batch = units.slice(i, i + UNITS_PER_CHANGE);
    out = A.change(out, { message: 'epoch base' }, (d) => {
      for (const { path, value } of batch) {
        const parent = getIn(d, path.slice(0, -1)) as Record<string, unknown>;
        // toJS made these values: fresh objects of no document, put in as they are.
        parent[path[path.length - 1]!] = value;
      }
    });
  }
  return out;
}

/**
 * rebuildDoc on a worker thread, from the saved document; resolves to the saved rebuilt one.
 * The worker's Automerge memory goes away with it. null when the compiled worker is not next
 * to this module (running from the TypeScript sources): the caller rebuilds in-process.
 */
export function rebuildInWorker(saved: Uint8Array): Promise<Uint8Array> | null {
  const file = new URL('./compaction-worker.js', import.meta.url);
  if (file.protocol !== 'file:' || !existsSync(fileURLToPath(file))) return null;
  return new Promise((resolve, reject) => {
    // execArgv: [] — a worker inherits the parent's options, `--import ./edgstr-preload.js`
    // included, which would start a second cloud replica on the same data dir in the worker.
    const worker = new Worker(file, { workerData: { saved }, execArgv: [] });
    let result: Uint8Array | null = null;
    worker.once('message', (bytes: Uint8Array) => (result = bytes));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (result) resolve(result);
      else reject(new Error(`compaction worker exited with code ${code} and no result`));
    });
  });
}

/** What carryOver did (tests and logs read it). */
export interface CarryOverStats {
  /** Map entries written or deleted with their value at the source's heads. */
  replaced: number;
  /** Counter increments re-applied. */
  increments: number;
  /** List appends re-applied as appends. */
  appends: number;
  /** Changes whose parent no longer exists in the target (deleted there meanwhile). */
  dropped: number;
}

/**
 * Re-applies to `target` what `source` changed after `fromHeads` (which the target's state
 * already includes), as one local change of the target:
 * - a map entry put or deleted takes its value at the source's heads (the whole entry: a row,
 *   a file's entry, a global's field);
 * - a counter that was only incremented is incremented by the same amount, so increments made
 *   elsewhere meanwhile still add up;
 * - a list that was only appended to (a file's chunks) gets the same chunks appended, so
 *   appends made elsewhere survive; any other list or text edit replaces the list.
 * Entries changed at the target meanwhile are overwritten: the re-applied change is newer.
 */
export function carryOver(
  target: A.Doc<DocRoot>,
  source: A.Doc<DocRoot>,
  fromHeads: A.Heads,
): { doc: A.Doc<DocRoot>; stats: CarryOverStats } {
  const stats: CarryOverStats = { replaced: 0, increments: 0, appends: 0, dropped: 0 };
  const toHeads = A.getHeads(source);
  const patches = A.diff(source, fromHeads, toHeads);
  if (patches.length === 0) return { doc: target, stats };
  // The state at fromHeads, only for lists (materialized once, when first needed).
  let before: unknown;
  const beforeAt = (path: Path): unknown => getIn((before ??= A.view(source, fromHeads)), path);
  const key = (p: Path): string => JSON.stringify(p);
  const replace = new Map<string, Path>();
  const incs: { path: Path; by: number }[] = [];
  /** Per list: its length as the patches go, and the values appended at its end. */
  const lists = new Map<string, { path: Path; start: number; length: number; other: boolean }>();
  for (const patch of patches) {
    const path = patch.path;
    const index = path.findIndex((p) => typeof p === 'number');
    if (patch.action === 'inc' && index < 0) {
      incs.push({ path, by: patch.value });
      continue;
    }
    if (index < 0) {
      // put, del, and anything else on a map entry: take the entry's value at the end.
      if (path.length > 0) replace.set(key(path), path);
      continue;
    }
    const listPath = path.slice(0, index);
    if (listPath.length === 0) continue;
    const k = key(listPath);
    let list = lists.get(k);
    if (!list) {
      const start = beforeAt(listPath);
      const length = Array.isArray(start) ? start.length : 0;
      list = { path: listPath, start: length, length, other: !Array.isArray(start) };
      lists.set(k, list);
    }
    const at = path[index] as number;
    if (patch.action === 'insert' && index === path.length - 1 && at === list.length) {
      list.length += patch.values.length;
    } else {
      list.other = true;
    }
  }
  for (const list of lists.values()) if (list.other) replace.set(key(list.path), list.path);
  // Only the outermost replaced entries: a deeper one is part of its ancestor's value.
  const chosen = [...replace.values()].sort((a, b) => a.length - b.length);
  /** True when a strict ancestor of `p` is replaced (its value includes p's). */
  const covered = (p: Path): boolean => {
    for (let n = 1; n < p.length; n++) if (replace.has(key(p.slice(0, n)))) return true;
    return false;
  };
  const after = source as unknown;
  const doc = A.change(target, { message: 'epoch carry-over' }, (d) => {
    for (const path of chosen) {
      if (covered(path)) continue;
      const parent = getIn(d, path.slice(0, -1));
      const last = path[path.length - 1]!;
      if (!isMap(parent)) {
        stats.dropped++;
        continue;
      }
      const value = getIn(after, path);
      if (value === undefined) {
        if (last in parent) delete parent[last as string];
      } else parent[last as string] = copyValue(value);
      stats.replaced++;
    }
    for (const { path, by } of incs) {
      if (covered(path) || replace.has(key(path))) continue;
      const counter = getIn(d, path);
      if (counter instanceof A.Counter) {
        counter.increment(by);
        stats.increments++;
      } else stats.dropped++;
    }
    for (const list of lists.values()) {
      if (list.other || covered(list.path) || list.length === list.start) continue;
      const arr = getIn(d, list.path);
      const appended = getIn(after, list.path);
      if (!Array.isArray(arr) || !Array.isArray(appended)) {
        stats.dropped++;
        continue;
      }
      for (const v of appended.slice(list.start, list.length)) arr.push(copyValue(v));
      stats.appends++;
    }
  });
  return { doc, stats };
}
