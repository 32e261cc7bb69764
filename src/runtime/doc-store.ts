/**
 * One Automerge document persisted incrementally under the data dir.
 *
 * File format: a sequence of frames `[u32 big-endian length][bytes]`; the bytes of every frame
 * are an Automerge chunk (a full `save()` or a `saveIncremental()`), so the concatenation of all
 * frames loads with `loadIncremental`. Each append is written to the file (the OS page cache)
 * before the client gets its answer, which is what `kill -9` cannot undo; `sync()` fsyncs it
 * (the replica does so in the background, every flush interval, before it deletes the change-log
 * rows the frame covers, so even a power loss cannot lose a change between log and document).
 * A torn last frame (crash during the append) is dropped: it was never acknowledged. Every so
 * often the file is compacted to a single `save()` (temp + fsync + rename).
 *
 * A document past its first epoch (see compaction.ts) starts with a metadata frame,
 * `EDGSTR-EPOCH\n{"epoch":N}`, which is not an Automerge chunk (those start with 0x85).
 */
import * as A from '@automerge/automerge';
import { closeSync, existsSync, fsync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { rlog, sha256Hex, writeFileDurable } from './util.js';

/** Documents are plain JSON-ish objects at the root; each CRDT narrows this itself. */
export type DocRoot = Record<string, unknown>;

const COMPACT_EVERY_FRAMES = 500;
const EPOCH_MAGIC = 'EDGSTR-EPOCH\n';

function frame(bytes: Uint8Array): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(bytes.length, 0);
  return Buffer.concat([header, bytes]);
}

function epochFrame(epoch: number): Buffer {
  return frame(Buffer.from(`${EPOCH_MAGIC}${JSON.stringify({ epoch })}`));
}

function readEpoch(chunk: Uint8Array): number | null {
  const head = Buffer.from(chunk.subarray(0, EPOCH_MAGIC.length)).toString('latin1');
  if (head !== EPOCH_MAGIC) return null;
  const meta = JSON.parse(Buffer.from(chunk.subarray(EPOCH_MAGIC.length)).toString('utf8')) as { epoch?: unknown };
  if (!Number.isSafeInteger(meta.epoch) || (meta.epoch as number) < 1) throw new Error(`bad epoch frame ${JSON.stringify(meta)}`);
  return meta.epoch as number;
}

/** The file an archived epoch of a document is kept in (the cloud keeps them for stale edges). */
export function archiveFile(dataDir: string, docId: string, epoch: number, ext: 'automerge' | 'hashes'): string {
  return join(dataDir, `${docId.replace(/[^A-Za-z0-9_.-]/g, '_')}.epoch-${epoch}.${ext}`);
}

/**
 * A change built deterministically (fixed actor, time 0) from configuration only: every
 * replica that builds it gets the same bytes and hash, so skeleton maps (a table's buckets,
 * the files map, a global's slots) are created once for the whole system and never conflict.
 */
export function genesisChanges(key: string, build: (d: DocRoot) => void): A.Change[] {
  const actor = sha256Hex(`edgstr-genesis:${key}`).slice(0, 32);
  const doc = A.change(A.init<DocRoot>({ actor }), { time: 0, message: `genesis ${key}` }, build);
  return A.getAllChanges(doc);
}

export class DocStore {
  doc: A.Doc<DocRoot>;
  private frames = 0;
  private readonly file: string;
  /** Append descriptor, kept open between appends (reopened after a compaction). */
  private fd: number | null = null;
  /** Frames written since the last fsync. */
  private unsynced = false;
  /** fsyncs in flight per descriptor: a descriptor is closed only once none is left. */
  private readonly inFlight = new Map<number, number>();
  private readonly closeLater = new Set<number>();
  /** True when the document was created now (no file on disk): first start of this replica. */
  readonly fresh: boolean;
  /** The document's epoch: 0 until its history is first compacted (compaction.ts). */
  epoch = 0;
  /** This process's actor id for the document. */
  readonly actor: string;

  constructor(readonly dataDir: string, readonly docId: string) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, `${docId.replace(/[^A-Za-z0-9_.-]/g, '_')}.automerge`);
    // A fresh actor per process start: an actor id is never reused for a different change
    // even when the previous process died between making a change and persisting it.
    const actor = randomBytes(16).toString('hex');
    this.actor = actor;
    this.fresh = !existsSync(this.file);
    let torn = false;
    if (this.fresh) this.doc = A.init<DocRoot>({ actor });
    else {
      const { chunks, tornBytes } = readFrames(this.file);
      this.frames = chunks.length;
      torn = tornBytes > 0;
      ({ epoch: this.epoch, doc: this.doc } = loadChunks(chunks, actor));
    }
    // Everything loaded is already on disk: start incremental saving from here.
    A.saveIncremental(this.doc);
    // Appending after a torn frame would hide every later frame: rewrite the file first.
    if (torn) this.compact();
  }

  /**
   * Applies deterministic genesis changes that the document does not have yet. Past the first
   * epoch the skeleton is part of the rebuilt base, under other change hashes: only the
   * root keys it does not hold yet (a table or global added by a later deployment) get theirs.
   */
  ensureGenesis(changes: A.Change[]): void {
    if (this.epoch > 0) {
      const keys = Object.keys(A.applyChanges(A.init<DocRoot>(), changes)[0]);
      if (keys.every((k) => k in this.doc)) return;
    }
    const [next] = A.applyChanges(this.doc, changes);
    this.doc = next;
  }

  /**
   * Starts epoch `epoch` with `doc` (a rebuilt document, see compaction.ts): the file is
   * rewritten atomically, so a crash leaves either the old epoch or the new one.
   */
  replace(doc: A.Doc<DocRoot>, epoch: number): void {
    this.doc = doc;
    this.epoch = epoch;
    this.compact();
    A.saveIncremental(this.doc);
  }

  /** Keeps the current document as the archive of its epoch, with the hashes of all its changes. */
  archive(): void {
    const hashes = A.getChangesMetaSince(this.doc, []).map((c) => Buffer.from(c.hash, 'hex'));
    writeFileDurable(archiveFile(this.dataDir, this.docId, this.epoch, 'hashes'), Buffer.concat(hashes));
    writeFileDurable(archiveFile(this.dataDir, this.docId, this.epoch, 'automerge'), frame(A.save(this.doc)));
  }

  /**
   * Appends what changed since the last persist (written, not yet fsynced: see the header).
   * Returns false if nothing changed.
   */
  persist(): boolean {
    const bytes = A.saveIncremental(this.doc);
    if (bytes.length === 0) return false;
    if (this.frames >= COMPACT_EVERY_FRAMES) {
      this.compact();
      return true;
    }
    this.fd ??= openSync(this.file, 'a');
    const header = Buffer.alloc(4);
    header.writeUInt32BE(bytes.length, 0);
    writeSync(this.fd, Buffer.concat([header, bytes]));
    this.unsynced = true;
    this.frames++;
    return true;
  }

  /** fsyncs the frames appended since the last call. Returns true if there were any. */
  sync(): boolean {
    if (!this.unsynced || this.fd === null) return false;
    fsyncSync(this.fd);
    this.unsynced = false;
    return true;
  }

  /**
   * The same as sync() on the thread pool: the event loop keeps serving meanwhile. Resolves
   * once every frame appended before the call is durable.
   */
  syncAsync(): Promise<void> {
    if (!this.unsynced || this.fd === null) return Promise.resolve();
    const fd = this.fd;
    this.unsynced = false;
    this.inFlight.set(fd, (this.inFlight.get(fd) ?? 0) + 1);
    return new Promise<void>((resolve, reject) => {
      fsync(fd, (err) => {
        const left = this.inFlight.get(fd)! - 1;
        if (left > 0) this.inFlight.set(fd, left);
        else {
          this.inFlight.delete(fd);
          if (this.closeLater.delete(fd)) closeSync(fd);
        }
        if (err) {
          this.unsynced = true;
          reject(err);
        } else resolve();
      });
    });
  }

  /** Rewrites the file as one full save (temp + fsync + rename, so a crash keeps the old file). */
  compact(): void {
    const body = frame(A.save(this.doc));
    // Earlier appends go into the new file too: nothing of them is left to fsync.
    writeFileDurable(this.file, this.epoch > 0 ? Buffer.concat([epochFrame(this.epoch), body]) : body);
    this.closeFd();
    this.unsynced = false;
    this.frames = 1;
  }

  close(): void {
    this.sync();
    this.closeFd();
  }

  private closeFd(): void {
    if (this.fd !== null) {
      if (this.inFlight.has(this.fd)) this.closeLater.add(this.fd);
      else closeSync(this.fd);
    }
    this.fd = null;
  }
}

/**
 * The document in a file's frames: the epoch header if any, then the first Automerge chunk
 * (usually a full save) with `load`, the appended ones with `loadIncremental` (which is several
 * times slower for a large first chunk: 1.1 s against 0.3 s for 12,000 rows).
 */
function loadChunks(chunks: Uint8Array[], actor?: string): { epoch: number; doc: A.Doc<DocRoot> } {
  let epoch = 0;
  let doc: A.Doc<DocRoot> | null = null;
  for (const [i, chunk] of chunks.entries()) {
    const e = i === 0 ? readEpoch(chunk) : null;
    if (e !== null) epoch = e;
    else doc = doc ? A.loadIncremental(doc, chunk) : A.load<DocRoot>(chunk, actor ? { actor } : undefined);
  }
  return { epoch, doc: doc ?? A.init<DocRoot>(actor ? { actor } : undefined) };
}

/** A persisted document file, read as a replica starting up would (tests and tools). */
export function readDocFile(file: string): { epoch: number; doc: A.Doc<DocRoot> } {
  return loadChunks(readFrames(file).chunks);
}

/** Whether a file name in a data dir is a document's archived epoch (the cloud keeps them). */
export const isArchiveFile = (name: string): boolean => /\.epoch-[0-9]+\.(automerge|hashes)$/.test(name);

/** The document of an archived epoch, or null if it is not on disk. */
export function loadArchive(dataDir: string, docId: string, epoch: number): A.Doc<DocRoot> | null {
  const file = archiveFile(dataDir, docId, epoch, 'automerge');
  return existsSync(file) ? readDocFile(file).doc : null;
}

/** Whether every one of `heads` is a change of the archived epoch (null: no archive). */
export function archiveHasAll(dataDir: string, docId: string, epoch: number, heads: string[]): boolean | null {
  const file = archiveFile(dataDir, docId, epoch, 'hashes');
  if (!existsSync(file)) return null;
  const buf = readFileSync(file);
  const known = new Set<string>();
  for (let at = 0; at + 32 <= buf.length; at += 32) known.add(buf.subarray(at, at + 32).toString('hex'));
  return heads.every((h) => known.has(h));
}

function readFrames(file: string): { chunks: Uint8Array[]; tornBytes: number } {
  const buf = readFileSync(file);
  const out: Uint8Array[] = [];
  let at = 0;
  while (at + 4 <= buf.length) {
    const len = buf.readUInt32BE(at);
    if (at + 4 + len > buf.length) break;
    out.push(buf.subarray(at + 4, at + 4 + len));
    at += 4 + len;
  }
  const tornBytes = buf.length - at;
  if (tornBytes > 0) rlog.warn(`${file}: dropped a torn last frame (${tornBytes} bytes) left by a crash`);
  return { chunks: out, tornBytes };
}
