/**
 * Plain-language notes: what eventual consistency would mean for each piece of replicated state,
 * and what data it ships out of the cloud (issue 6). Derived only from the state's kind, whether
 * the service reads and/or writes it, and the text of the statements that touch it, so the same
 * rules apply to any app.
 */
import type { StateKind } from './types.js';

const STALE = 'may return data up to the sync delay old: changes made at the cloud or at other edges show up only after they sync';

/** SQL or query-builder inserts, in source text. */
const INSERT = /\binsert\b/i;
/** SQL or query-builder updates and deletes (knex `.del()`), in source text. */
const MUTATE = /\b(update|delete|del|replace|upsert|increment|decrement)\b|on\s+conflict/i;
/** Map/Set/array mutators on a global. */
const COLLECTION = /\.(set|add|push|unshift|splice|delete|clear)\s*\(/;
/** Only removals (cache invalidation), no additions. */
const REMOVE = /\.(delete|clear)\s*\(/;
const ADD = /\.(set|add|push|unshift|splice)\s*\(|=/;

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when a statement updates the global by a relative amount (`n++`, `n += k`, `this.n--`). */
export function looksLikeCounter(name: string, texts: readonly string[]): boolean {
  const field = escapeRe(name.includes('#') ? name.slice(name.indexOf('#') + 1) : name);
  const re = new RegExp(`(\\+\\+|--)\\s*(this\\.)?${field}(?![\\w$])|(^|[^\\w$])${field}\\s*(\\+\\+|--|[+-]=)`);
  return texts.some((t) => re.test(t));
}

/** What eventual consistency means for one piece of state. */
export function consistencyNote(kind: StateKind, name: string, reads: boolean, writes: boolean, texts: readonly string[]): string {
  if (!writes) return `${STALE}.`;
  switch (kind) {
    case 'table': {
      const inserts = texts.some((t) => INSERT.test(t));
      const mutates = texts.some((t) => MUTATE.test(t));
      if (inserts && !mutates) {
        const base = 'inserts from different edges all survive; keys are allocated in disjoint ranges per replica (the cloud grants each edge node id its own range on first contact; an edge without one yet, or whose node id is already live elsewhere, forwards inserts to the cloud)';
        return reads ? `${base}; reads at one edge do not include rows inserted at other edges until they sync.` : `${base}.`;
      }
      if (reads) {
        return `two edges can both act on the same row before they see each other's write (e.g. both take the last seat); after sync one edge's change to that row wins.`;
      }
      if (mutates) return `updates or deletes of the same row at two edges are merged after sync: one edge's change to that row wins.`;
      return `writes from different edges are merged after sync; when two edges change the same row, one change wins.`;
    }
    case 'global': {
      if (looksLikeCounter(name, texts)) return 'increments from all edges add up, but each edge shows its own count until synced.';
      if (texts.length > 0 && texts.every((t) => REMOVE.test(t) && !ADD.test(t))) {
        return 'an entry removed at one edge is removed at the others only after they sync; until then they may still answer from it (e.g. a stale cache entry).';
      }
      if (texts.some((t) => COLLECTION.test(t))) {
        return 'entries added at different edges are all kept after sync; until then each edge sees only its own, and a key set at two edges keeps one of the values.';
      }
      return 'each edge holds its own value until synced; if two edges assign it concurrently, one assignment wins.';
    }
    case 'file':
      return reads
        ? 'each edge reads its own copy; if two edges write the same file before syncing, one version wins and the other is lost.'
        : 'files written at different edges are all kept; if two edges write the same file before syncing, one version wins.';
    default: {
      const never: never = kind;
      throw new Error(`unknown state kind ${String(never)}`);
    }
  }
}

/** What leaves the cloud when this state is replicated: data the client did not send itself. */
export function exposureNote(kind: StateKind, name: string, reads: boolean, rows: number | undefined): string {
  switch (kind) {
    case 'table':
      if (reads) {
        const count = rows === undefined ? '' : ` (${rows} row${rows === 1 ? '' : 's'} at analysis time)`;
        return `the whole table ${name}${count} is copied to every edge, including rows other clients created`;
      }
      return `table ${name} is replicated: rows written by any client at any edge reach every other edge`;
    case 'file':
      return reads ? `file ${name} is copied to every edge` : `file ${name} written at one edge reaches every other edge`;
    case 'global':
      return reads
        ? `the in-memory value of ${name} (shared by all clients) is copied to every edge`
        : `the value of ${name} written at one edge reaches every other edge`;
    default: {
      const never: never = kind;
      throw new Error(`unknown state kind ${String(never)}`);
    }
  }
}
