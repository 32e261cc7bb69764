/**
 * The layout of one replicated file in the `files` document.
 *
 *   doc.files[relPath] = { chunks: [bytes, bytes, ...] }   file = concatenation of the chunks
 *
 * A local change that only appends pushes one chunk onto the list, so appends made concurrently
 * at two replicas are both kept (Automerge orders concurrent list inserts the same way on every
 * replica, so the bytes are identical everywhere). Any other change replaces the whole entry: a
 * rewrite concurrent with an append wins over it (the append went into the replaced list).
 *
 * Documents written before this layout hold `{ data: bytes, hash }` per path; they are still
 * read as one chunk, and the first local change of such a path rewrites it in the new layout.
 */
import * as A from '@automerge/automerge';
import { sha256Hex } from './util.js';

export interface ChunkedEntry {
  chunks: Uint8Array[];
}
/** What `doc.files[rel]` may hold: the chunked layout or the whole-file one from older runtimes. */
export type StoredEntry = ChunkedEntry | { data: Uint8Array; hash: string };

export interface Content {
  data: Uint8Array;
  hash: string;
}

/**
 * Materializes entries, caching the result per path. The cache key names the chunk list
 * (its Automerge object id) and its length: chunks are only ever pushed onto a list, never
 * edited or removed, and a rewrite creates a new list, so the same key means the same bytes.
 */
export class ContentCache {
  private readonly cache = new Map<string, { key: string; content: Content }>();

  /** The file's bytes, or null when the entry is not in either layout (logged by the caller). */
  get(rel: string, entry: unknown): Content | null {
    const key = entryKey(entry);
    if (key === null) return null;
    const hit = this.cache.get(rel);
    if (hit && hit.key === key) return hit.content;
    // Checked on a miss only: a list with the same key holds the chunks already checked.
    if (isChunked(entry) && !entry.chunks.every((c) => c instanceof Uint8Array)) return null;
    const data = concat(entryChunks(entry as StoredEntry));
    const content = { data, hash: sha256Hex(data) };
    this.cache.set(rel, { key, content });
    return content;
  }

  forget(rel: string): void {
    this.cache.delete(rel);
  }
}

/** The chunk to append when `local` only extends `stored`, or null when it is a rewrite. */
export function appendedChunk(stored: Uint8Array, local: Uint8Array): Uint8Array | null {
  if (local.length <= stored.length) return null;
  for (let i = 0; i < stored.length; i++) if (local[i] !== stored[i]) return null;
  return local.slice(stored.length);
}

/** True when the entry is in the chunked layout (so a chunk can be pushed onto it). */
export function isChunked(entry: unknown): entry is ChunkedEntry {
  return typeof entry === 'object' && entry !== null && Array.isArray((entry as ChunkedEntry).chunks);
}

function entryKey(entry: unknown): string | null {
  if (isChunked(entry)) return `${A.getObjectId(entry.chunks) ?? ''}:${entry.chunks.length}`;
  if (typeof entry === 'object' && entry !== null) {
    const old = entry as { data?: unknown; hash?: unknown };
    if (old.data instanceof Uint8Array && typeof old.hash === 'string') return `${A.getObjectId(entry) ?? ''}:${old.hash}`;
  }
  return null;
}

function entryChunks(entry: StoredEntry): Uint8Array[] {
  return 'chunks' in entry ? entry.chunks : [entry.data];
}

function concat(chunks: Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
