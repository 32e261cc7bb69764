/**
 * The bytes of replicated files, outside Automerge: a content-addressed store of chunks under
 * the replica's data dir (`<dataDir>/chunks/ab/abcdef…`, named by the SHA-256 of their bytes),
 * plus the streaming helpers that cut a file into chunks, check a file against a list of chunks
 * and write a file from its chunks. No helper ever holds more than one chunk of a file.
 *
 * At an edge, chunk files are written temp + rename without an fsync each (1.4 ms apiece on
 * these machines: 14 s for 10,000 small files). That is safe because a chunk is checked against
 * its hash every time it is read: one torn by a power loss is deleted and fetched again, or
 * taken again from the app's file when that still holds the bytes (see FileCrdt). The hub's
 * store is `durable` (an fsync before each rename): it confirms chunks to writers that may be
 * gone a moment later, so its copy may be the only one.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { rlog } from './util.js';

/** Size of the chunks a file is cut into (the last one of a file, or an appended one, may be smaller). */
export const CHUNK_BYTES = 256 * 1024;
/** The largest chunk a replica accepts from a peer (older runtimes' inline chunks are split to CHUNK_BYTES). */
export const MAX_CHUNK_BYTES = 1024 * 1024;

/**
 * A reference to one chunk as the `files` document holds it: `"<sha256 hex>:<size>"` (an
 * Automerge ImmutableString, one operation).
 */
export type ChunkRef = string;

const REF = /^([0-9a-f]{64}):(0|[1-9][0-9]{0,7})$/;

export function makeRef(hash: string, size: number): ChunkRef {
  return `${hash}:${size}`;
}

/** The hash and size of a reference, or null when it is not one (or names an oversized chunk). */
export function parseRef(ref: unknown): { hash: string; size: number } | null {
  if (typeof ref !== 'string') return null;
  const m = REF.exec(ref);
  if (!m) return null;
  const size = Number(m[2]);
  return size > MAX_CHUNK_BYTES ? null : { hash: m[1]!, size };
}

export const refHash = (ref: ChunkRef): string => ref.slice(0, 64);
export const refSize = (ref: ChunkRef): number => Number(ref.slice(65));

/** One string naming a list of chunks (equal lists, equal keys): the ref itself for one chunk. */
export function refsKey(refs: readonly ChunkRef[]): string {
  if (refs.length === 0) return 'empty';
  if (refs.length === 1) return refs[0]!;
  const h = createHash('sha256');
  for (const r of refs) h.update(r).update(',');
  return h.digest('hex');
}

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

export class ChunkStore {
  readonly dir: string;
  /** Chunks stored by this process (the replica sweeps unused ones every so many). */
  added = 0;

  /**
   * `durable`: every chunk is fsynced before its rename (the hub: it acknowledges chunks and
   * changes to their writer, which may die right after; see chunk-transfer.ts).
   */
  constructor(
    dataDir: string,
    readonly durable = false,
  ) {
    this.dir = join(dataDir, 'chunks');
    mkdirSync(this.dir, { recursive: true });
  }

  private file(hash: string): string {
    return join(this.dir, hash.slice(0, 2), hash);
  }

  has(hash: string): boolean {
    return existsSync(this.file(hash));
  }

  /** Stores bytes whose hash the caller computed or checked. */
  put(hash: string, data: Uint8Array): void {
    if (this.has(hash)) return;
    this.added++;
    const file = this.file(hash);
    mkdirSync(dirname(file), { recursive: true });
    const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.tmp`);
    try {
      const fd = openSync(tmp, 'w');
      try {
        writeSync(fd, data);
        if (this.durable) fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, file);
    } catch (err: unknown) {
      rmSync(tmp, { force: true });
      throw err;
    }
  }

  /**
   * The chunk's bytes, checked against its hash; null when absent or damaged (then deleted).
   * With `scratch` (at least MAX_CHUNK_BYTES), the bytes are a view of it, valid until its next
   * use: writing a file from its chunks then allocates nothing per chunk (every 256 KiB buffer
   * left to the garbage collector is RSS until it runs).
   */
  read(hash: string, scratch?: Buffer): Uint8Array | null {
    const file = this.file(hash);
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return null;
    }
    let data: Buffer;
    try {
      const size = statSync(file).size;
      if (size > MAX_CHUNK_BYTES) data = Buffer.alloc(0);
      else {
        data = scratch && scratch.length >= size ? scratch.subarray(0, size) : Buffer.allocUnsafe(size);
        let at = 0;
        while (at < size) {
          const n = readSync(fd, data, at, size - at, at);
          if (n === 0) break;
          at += n;
        }
        data = data.subarray(0, at);
      }
    } finally {
      closeSync(fd);
    }
    if (sha256(data) === hash) return data;
    rlog.warn(`chunk ${hash.slice(0, 12)}… is damaged: deleted, it is fetched again`);
    rmSync(file, { force: true });
    return null;
  }

  /** Deletes every chunk not in `keep`; returns how many it deleted. */
  sweep(keep: (hash: string) => boolean): number {
    let deleted = 0;
    for (const sub of readdirSync(this.dir)) {
      const dir = join(this.dir, sub);
      let names: string[];
      try {
        names = readdirSync(dir);
      } catch {
        continue;
      }
      for (const name of names) {
        if (name.endsWith('.tmp') || !keep(name)) {
          try {
            unlinkSync(join(dir, name));
            deleted++;
          } catch {
            // Gone already.
          }
        }
      }
    }
    return deleted;
  }
}

/** What {@link ingestFile} found. */
export interface Ingested {
  /** How many of `expected`'s chunks the file starts with. */
  matched: number;
  /** The file's chunks after the matched ones (cut at CHUNK_BYTES), stored; [] when it ends there. */
  tail: ChunkRef[];
  /** The file holds exactly `expected`. */
  equal: boolean;
}

/**
 * Reads a file chunk by chunk and compares it with `expected` (the chunks a document holds for
 * it): the matched prefix is checked by hash (and stored when the store lacks it: the file is
 * then where its bytes come from), the rest is cut into new chunks and stored. With
 * `verifyOnly`, stops at the first difference and cuts no new chunks. null when the file
 * cannot be read (gone meanwhile).
 */
export function ingestFile(abs: string, store: ChunkStore, expected: readonly ChunkRef[], verifyOnly = false): Ingested | null {
  let fd: number;
  try {
    fd = openSync(abs, 'r');
  } catch {
    return null;
  }
  const buf = scratchBuffer();
  try {
    let pos = 0;
    /** Reads up to n bytes at pos; returns the bytes read (a view of a reused buffer). */
    const readAt = (n: number): Buffer => {
      const target = buf;
      let got = 0;
      while (got < n) {
        const r = readSync(fd, target, got, n - got, pos + got);
        if (r === 0) break;
        got += r;
      }
      return target.subarray(0, got);
    };
    let matched = 0;
    for (const ref of expected) {
      const size = refSize(ref);
      const bytes = readAt(size);
      if (bytes.length !== size) break;
      const hash = sha256(bytes);
      if (hash !== refHash(ref)) break;
      if (!store.has(hash)) store.put(hash, bytes);
      matched++;
      pos += size;
    }
    const tail: ChunkRef[] = [];
    if (matched === expected.length) {
      const next = readAt(1);
      if (next.length === 0) return { matched, tail, equal: true };
    }
    if (verifyOnly) return { matched, tail, equal: false };
    for (;;) {
      const bytes = readAt(CHUNK_BYTES);
      if (bytes.length === 0) break;
      const hash = sha256(bytes);
      store.put(hash, bytes);
      tail.push(makeRef(hash, bytes.length));
      pos += bytes.length;
    }
    return { matched, tail, equal: false };
  } finally {
    closeSync(fd);
  }
}

/**
 * Writes `abs` from its chunks (temp + fsync + rename, streamed: one chunk at a time). Returns
 * the hashes it could not read (absent or damaged), in which case nothing was written.
 */
export function writeFromChunks(abs: string, store: ChunkStore, refs: readonly ChunkRef[]): string[] {
  mkdirSync(dirname(abs), { recursive: true });
  const tmp = join(dirname(abs), `.${basename(abs)}.${randomBytes(4).toString('hex')}.edgstr-tmp`);
  const fd = openSync(tmp, 'w');
  let ok = false;
  try {
    for (const ref of refs) {
      const data = store.read(refHash(ref), scratchBuffer());
      if (!data) {
        const missing = refs.map(refHash).filter((h, i, all) => all.indexOf(h) === i && !store.has(h));
        return missing.length > 0 ? missing : [refHash(ref)];
      }
      writeSync(fd, data);
    }
    fsyncSync(fd);
    ok = true;
  } finally {
    closeSync(fd);
    if (!ok) rmSync(tmp, { force: true });
  }
  renameSync(tmp, abs);
  return [];
}

let scratch: Buffer | null = null;
/** One buffer for the synchronous helpers here (they never run concurrently: Node is single-threaded). */
function scratchBuffer(): Buffer {
  return (scratch ??= Buffer.allocUnsafe(MAX_CHUNK_BYTES));
}

/** Splits bytes already in memory (an older runtime's inline chunk) into stored chunks. */
export function storeBytes(store: ChunkStore, data: Uint8Array): ChunkRef[] {
  const refs: ChunkRef[] = [];
  for (let at = 0; at < data.length; at += CHUNK_BYTES) {
    const piece = data.subarray(at, Math.min(data.length, at + CHUNK_BYTES));
    const hash = sha256(piece);
    store.put(hash, piece);
    refs.push(makeRef(hash, piece.length));
  }
  return refs;
}

/** The sha256 of bytes: a received chunk is stored only when it matches the hash asked for. */
export const chunkHash = sha256;
