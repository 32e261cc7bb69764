/**
 * The layout of one replicated file in the `files` document: metadata only, the bytes are in
 * the chunk store (chunk-store.ts).
 *
 *   doc.files[relPath] = { refs: ["<sha256>:<size>", ...] }   file = the chunks concatenated
 *
 * Each ref is an ImmutableString (one Automerge operation, not one per character). A local
 * change that only appends pushes refs onto the list, so appends made concurrently at two
 * replicas are both kept (Automerge orders concurrent list inserts the same way everywhere, so
 * the bytes are identical everywhere). Any other change replaces the whole entry with a new
 * map: a rewrite concurrent with an append wins over it (the append went into the replaced
 * list). Chunks the file shares with its previous version keep their refs (a rewrite of the
 * end of a big file sends only the new end).
 *
 * Older runtimes kept the bytes inline: `{ chunks: [bytes, ...] }`, and before that
 * `{ data: bytes, hash }`. Such entries are read as their bytes and migrated (FileCrdt moves the
 * bytes into the chunk store and rewrites the entry in the new layout).
 */
import * as A from '@automerge/automerge';
import { parseRef, type ChunkRef } from './chunk-store.js';

/** What `doc.files[rel]` holds, as FileCrdt reads it. */
export type ReadEntry =
  | { kind: 'refs'; refs: ChunkRef[] }
  /** An older runtime's inline bytes, in order. */
  | { kind: 'inline'; pieces: Uint8Array[] }
  | { kind: 'malformed' };

export function readEntry(entry: unknown): ReadEntry {
  if (typeof entry !== 'object' || entry === null) return { kind: 'malformed' };
  const e = entry as { refs?: unknown; chunks?: unknown; data?: unknown; hash?: unknown };
  if (Array.isArray(e.refs)) {
    const refs: ChunkRef[] = [];
    for (const r of e.refs) {
      const s = r instanceof A.ImmutableString ? r.val : r;
      if (parseRef(s) === null) return { kind: 'malformed' };
      refs.push(s as string);
    }
    return { kind: 'refs', refs };
  }
  if (Array.isArray(e.chunks)) {
    return e.chunks.every((c) => c instanceof Uint8Array) ? { kind: 'inline', pieces: e.chunks as Uint8Array[] } : { kind: 'malformed' };
  }
  if (e.data instanceof Uint8Array && typeof e.hash === 'string') return { kind: 'inline', pieces: [e.data] };
  return { kind: 'malformed' };
}

/** A new entry (a rewrite) in the document's layout. */
export function newEntry(refs: readonly ChunkRef[]): { refs: A.ImmutableString[] } {
  return { refs: refs.map((r) => new A.ImmutableString(r)) };
}

/** Refs as list values to push onto an entry (an append). */
export const refValues = (refs: readonly ChunkRef[]): A.ImmutableString[] => refs.map((r) => new A.ImmutableString(r));
