/**
 * CRDT-Files: replicated files under one root. The `files` Automerge document holds only
 * metadata, the ordered chunk refs of each file (layout and merge rules: file-chunks.ts); the
 * bytes are in the chunk store under the data dir (chunk-store.ts), never in Automerge and never
 * whole in memory: files are cut, checked and written one chunk at a time.
 *
 * Local changes are found by scanning the replicated paths on every capture (size + mtime; a
 * file whose size or mtime moved is streamed against its entry's chunks), which also catches
 * renames and deletes made by any code. A pure append pushes refs (concurrent appends both
 * survive); any other change replaces the entry (last writer wins).
 *
 * A remote change is written (temp + fsync + rename, streamed from the chunk store) once all
 * its chunks are in the store; until then the app keeps the file it has, the path is *pending*
 * and its missing chunks are *wanted* (the replica fetches them from its peers: chunk-transfer.ts).
 * A remote path that is not one of the replicated paths, or that escapes the root (`..`,
 * absolute, through a symlink), is refused and logged, never written.
 */
import * as A from '@automerge/automerge';
import { lstatSync, mkdirSync, readdirSync, realpathSync, unlinkSync, type Stats } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import type { AfterPersist, CrdtAdapter, RemoteUpdate } from './adapter.js';
import { chunkHash, ChunkStore, ingestFile, refHash, refSize, refsKey, storeBytes, writeFromChunks, type ChunkRef } from './chunk-store.js';
import { DocStore, genesisChanges } from './doc-store.js';
import { newEntry, readEntry, refValues } from './file-chunks.js';
import { errorMessage, rlog } from './util.js';

/** A file's content as a list of chunk refs (`key` names the list). */
interface Version {
  refs: ChunkRef[];
  key: string;
}
/** What the file on disk holds, as of its size and mtime then. */
interface OnDisk {
  mtimeMs: number;
  size: number;
  version: Version;
}
interface Stat {
  mtimeMs: number;
  size: number;
}

/** How FileCrdt stores and hands over chunks (see the constructor). */
export interface FileCrdtOptions {
  /**
   * A writer that pushes the chunks of its new versions to its peers before their metadata
   * (an edge): captured chunks go into the outbox until a peer holds them (chunk-transfer.ts).
   */
  pushes?: boolean;
  /** Chunks are fsynced as they are stored (the hub, which acknowledges them). */
  durable?: boolean;
  /**
   * A pending version none of whose missing chunks arrived for this long is *stranded*: no
   * longer counted as pending (pendingChanges, the session barrier), reported in health, and
   * still asked for now and then. Default DEFAULT_STRAND_AFTER_MS.
   */
  strandAfterMs?: number;
}

/** Default of FileCrdtOptions.strandAfterMs. */
export const DEFAULT_STRAND_AFTER_MS = 30_000;

/** Chunks stored without a file naming them yet (pushed before their metadata) are kept this long. */
const UNNAMED_CHUNK_KEEP_MS = 10 * 60_000;

/** New chunks stored between two sweeps of unused ones. */
const SWEEP_AFTER_CHUNKS = 1024;

/** Files captured per Automerge change (see capture). */
const FILES_PER_CHANGE = 250;

const version = (refs: ChunkRef[]): Version => ({ refs, key: refsKey(refs) });

export class FileCrdt implements CrdtAdapter {
  readonly store: DocStore;
  readonly chunks: ChunkStore;
  readonly volatile = false;
  readonly captureBeforeMark = true;
  private readonly root: string;
  private readonly paths: string[];
  /** The document's entries (kept beside it: reading 10,000 entries through its proxies on every scan costs too much). */
  private readonly index = new Map<string, Version>();
  /** The files on disk, as last captured or written. */
  private readonly seen = new Map<string, OnDisk>();
  /** Paths whose document version waits for chunks, with the chunks it waits for. */
  private readonly pendingPaths = new Map<string, Set<string>>();
  /** Chunk hash -> the pending paths that wait for it. */
  private readonly waiting = new Map<string, Set<string>>();
  /** The size of each chunk in `waiting` (from its ref). */
  private readonly sizes = new Map<string, number>();
  /** Per pending path, when it last made progress (became pending, or a chunk of it arrived). */
  private readonly progress = new Map<string, number>();
  /** Stranded paths already logged (each logged once per version). */
  private readonly strandLogged = new Set<string>();
  /** Writer: chunks of local versions no peer has confirmed holding yet (hash -> size). */
  readonly outbox = new Map<string, number>();
  /**
   * Writer, after a restart: chunks of the document's versions to check with the hub (offered by
   * hash, fetched by the hub if it lacks them) before any metadata leaves (hash -> size).
   */
  readonly recheck = new Map<string, number>();
  /** Chunks put into the outbox so far (the writer's hold window watches it grow). */
  outboxAdds = 0;
  /** Chunks stored here, and when: one pushed before its metadata is not swept meanwhile. */
  private readonly arrived = new Map<string, number>();
  private readonly pushes: boolean;
  private readonly strandAfterMs: number;
  private readonly malformed = new Set<string>();
  /** Paths refused so far (each logged once). */
  readonly refused: string[] = [];

  constructor(files: { root: string; paths: string[] }, dataDir: string, docId: string, options: FileCrdtOptions = {}) {
    this.pushes = options.pushes ?? false;
    this.strandAfterMs = options.strandAfterMs ?? DEFAULT_STRAND_AFTER_MS;
    mkdirSync(files.root, { recursive: true });
    this.root = realpathSync(files.root);
    this.paths = files.paths.filter((p) => {
      if (checkRelative(p.endsWith('/') ? p.slice(0, -1) : p) === null) return true;
      rlog.warn(`replicated path "${p}" is not a plain path inside ${files.root}: ignored`);
      return false;
    });
    this.store = new DocStore(dataDir, docId);
    this.store.ensureGenesis(genesisChanges('files', (d) => {
      d.files = {};
    }));
    this.chunks = new ChunkStore(dataDir, options.durable ?? false);
    this.rebuildIndex();
  }

  capture(): AfterPersist | null {
    const local = this.scan();
    const appends = new Map<string, ChunkRef[]>();
    const rewrites = new Map<string, ChunkRef[]>();
    /** Appended to while its newer version waited for chunks: written once they are here. */
    const stillPending: string[] = [];
    for (const [rel, st] of local) {
      const disk = this.seen.get(rel);
      // Unchanged since captured or written (a pending path keeps its older version: not a change).
      if (disk && disk.mtimeMs === st.mtimeMs && disk.size === st.size) continue;
      const doc = this.index.get(rel);
      // What the app changed: the version on disk, older than the document's while pending.
      const base = disk && doc && disk.version.key !== doc.key ? disk.version : doc;
      const got = ingestFile(join(this.root, rel), this.chunks, base?.refs ?? []);
      if (!got) continue;
      let onDisk: Version;
      if (doc && base && got.equal) onDisk = base;
      else if (doc && base && got.matched === base.refs.length) {
        // An append, also to an older version still on disk: the bytes go after the
        // document's (what the app would have appended to had the chunks been here).
        appends.set(rel, got.tail);
        this.toOutbox(got.tail);
        this.index.set(rel, version(doc.refs.concat(got.tail)));
        onDisk = base === doc ? this.index.get(rel)! : version(base.refs.concat(got.tail));
      } else {
        onDisk = version([...(base?.refs.slice(0, got.matched) ?? []), ...got.tail]);
        rewrites.set(rel, onDisk.refs);
        this.toOutbox(got.tail);
        this.index.set(rel, onDisk);
      }
      // The stat from before the read: a write during it shows as a change at the next scan.
      this.seen.set(rel, { ...st, version: onDisk });
      if (this.index.get(rel)!.key === onDisk.key) this.clearPending(rel);
      else stillPending.push(rel);
    }
    const deletes: string[] = [];
    for (const [rel, v] of this.index) {
      // A path never written here (its chunks still on their way) is not a local delete.
      if (local.has(rel) || !this.isReplicated(rel)) continue;
      if (this.seen.has(rel) || (!this.pendingPaths.has(rel) && this.allPresent(v.refs))) deletes.push(rel);
    }
    if (rewrites.size === 0 && appends.size === 0 && deletes.length === 0) return null;
    type Edit = [kind: 'append' | 'rewrite', rel: string, refs: ChunkRef[]] | [kind: 'delete', rel: string];
    const edits: Edit[] = [
      ...[...appends].map(([rel, refs]): Edit => ['append', rel, refs]),
      ...[...rewrites].map(([rel, refs]): Edit => ['rewrite', rel, refs]),
      ...deletes.map((rel): Edit => ['delete', rel]),
    ];
    // Automerge's memory grows to its largest change and never shrinks: 10,000 new files in
    // one change grew the capturing edge's RSS by 217 MiB at its peak, in changes of 250 by 133.
    for (let i = 0; i < edits.length; i += FILES_PER_CHANGE) {
      this.store.doc = A.change(this.store.doc, (d) => {
        const files = d.files as Record<string, { refs: A.ImmutableString[] }>;
        for (const edit of edits.slice(i, i + FILES_PER_CHANGE)) {
          if (edit[0] === 'append') files[edit[1]]!.refs.push(...refValues(edit[2]));
          // A new object, so a concurrent append (into the old list) does not mix into the rewrite.
          else if (edit[0] === 'rewrite') files[edit[1]] = newEntry(edit[2]);
          else delete files[edit[1]];
        }
      });
    }
    for (const rel of deletes) {
      this.index.delete(rel);
      this.seen.delete(rel);
      this.clearPending(rel);
    }
    for (const rel of stillPending) this.materialize(rel);
    this.sweepIfGrown();
    return null;
  }

  receive(update: RemoteUpdate, captureFirst: boolean): AfterPersist | null {
    if (captureFirst) this.capture();
    const before = A.getHeads(this.store.doc);
    const patches: A.Patch[] = [];
    this.store.doc = update(this.store.doc, patches);
    const after = A.getHeads(this.store.doc);
    if (before.join() === after.join()) return null;
    const dirty = new Set<string>();
    let whole = false;
    for (const patch of patches) {
      if (patch.path[0] !== 'files') continue;
      if (typeof patch.path[1] === 'string') dirty.add(patch.path[1]);
      else whole = true;
    }
    if (whole) {
      this.reconcile();
      return null;
    }
    const files = this.docFiles();
    const inline: [string, Uint8Array[]][] = [];
    for (const rel of dirty) {
      if (rel in files) this.indexEntry(rel, files[rel], inline);
      else this.index.delete(rel);
    }
    this.migrate(inline);
    for (const rel of dirty) this.materialize(rel);
    this.sweepIfGrown();
    return null;
  }

  mark(): null {
    return null;
  }

  /**
   * Puts every replicated file back as it was at the last capture (begin() captured right
   * before the mark, and remote changes wait for the lock): the chunks of that version are in
   * the store, since it was captured or written from there.
   */
  rollback(): void {
    const local = this.scan();
    for (const [rel, st] of local) {
      const disk = this.seen.get(rel);
      if (!disk) this.removeLocal(rel);
      else if (disk.mtimeMs !== st.mtimeMs || disk.size !== st.size) this.writeVersion(rel, disk.version);
    }
    for (const [rel, disk] of this.seen) if (!local.has(rel)) this.writeVersion(rel, disk.version);
  }

  seed(): void {
    this.capture();
  }

  /** Document -> files, everything (start-up, first sync, a new epoch); then drops unused chunks. */
  reconcile(): void {
    this.rebuildIndex();
    this.pendingPaths.clear();
    this.progress.clear();
    this.waiting.clear();
    this.sizes.clear();
    for (const rel of this.index.keys()) this.materialize(rel);
    for (const rel of this.scan().keys()) if (!this.index.has(rel)) this.materialize(rel);
    this.sweep();
  }

  /**
   * Deletes the chunks no file uses any more: neither the document's version of a path nor
   * the one on disk (a pending path's older version, which a rollback may need). Runs whenever
   * the files are made equal to the document, and after every SWEEP_AFTER_CHUNKS new chunks
   * (a file rewritten all day would otherwise fill the disk until the next restart). A peer
   * still asking for a deleted chunk is told it is gone; its document moves on to the version
   * that replaced it.
   */
  sweep(): number {
    this.sweptAt = this.chunks.added;
    const keep = new Set<string>(this.waiting.keys());
    for (const h of this.outbox.keys()) keep.add(h);
    for (const h of this.recheck.keys()) keep.add(h);
    const recent = Date.now() - UNNAMED_CHUNK_KEEP_MS;
    for (const [h, at] of this.arrived) {
      if (at >= recent) keep.add(h);
      else this.arrived.delete(h);
    }
    for (const v of this.index.values()) for (const r of v.refs) keep.add(refHash(r));
    for (const d of this.seen.values()) for (const r of d.version.refs) keep.add(refHash(r));
    const swept = this.chunks.sweep((h) => keep.has(h));
    if (swept > 0) rlog.info(`files: deleted ${swept} chunks no file uses any more`);
    return swept;
  }

  private sweptAt = 0;

  private sweepIfGrown(): void {
    if (this.chunks.added - this.sweptAt >= SWEEP_AFTER_CHUNKS) this.sweep();
  }

  /**
   * Paths whose latest version waits for chunks that are still coming (stranded ones are not
   * counted: see FileCrdtOptions.strandAfterMs).
   */
  pending(now = Date.now()): number {
    let n = 0;
    for (const rel of this.pendingPaths.keys()) if (!this.isStranded(rel, now)) n++;
    return n;
  }

  /**
   * Paths whose document version names chunks that did not arrive for strandAfterMs (their
   * writer died before any replica got them, or an older runtime sent the version): the app
   * keeps the older file; they are still asked for, now and then, and written if they come.
   */
  stranded(now = Date.now()): string[] {
    const out: string[] = [];
    for (const rel of this.pendingPaths.keys()) {
      if (!this.isStranded(rel, now)) continue;
      out.push(rel);
      if (!this.strandLogged.has(rel)) {
        this.strandLogged.add(rel);
        rlog.warn(`files: the latest version of ${rel} names ${this.pendingPaths.get(rel)!.size} chunk(s) no peer provided for ${this.strandAfterMs} ms: keeping the older file (it is written if they come)`);
      }
    }
    return out;
  }

  /** Whether every pending path waiting for `hash` is stranded (asked for less often). */
  strandedChunk(hash: string, now = Date.now()): boolean {
    const rels = this.waiting.get(hash);
    if (!rels) return false;
    for (const rel of rels) if (!this.isStranded(rel, now)) return false;
    return true;
  }

  private isStranded(rel: string, now: number): boolean {
    return now - (this.progress.get(rel) ?? now) > this.strandAfterMs;
  }

  /** Writer: a peer holds this chunk now (fsynced): it leaves the outbox. */
  pushed(hash: string): void {
    this.outbox.delete(hash);
    this.recheck.delete(hash);
  }

  /**
   * Writer, at a restart: the outbox lived in memory, so versions captured before a crash may
   * not have reached the hub. Every chunk of the document's versions this store holds is offered
   * to the hub by hash (`recheck`): it confirms the ones it has at once (a lookup each) and
   * fetches the others, before the metadata naming them may leave.
   */
  offerAllHeld(): void {
    if (!this.pushes) return;
    for (const v of this.index.values()) {
      for (const r of v.refs) if (!this.recheck.has(refHash(r)) && this.chunks.has(refHash(r))) this.recheck.set(refHash(r), refSize(r));
    }
  }

  private toOutbox(refs: ChunkRef[]): void {
    if (!this.pushes) return;
    for (const r of refs) {
      if (this.outbox.has(refHash(r))) continue;
      this.outbox.set(refHash(r), refSize(r));
      this.outboxAdds++;
    }
  }

  close(): void {}

  /** Chunks some pending path waits for (the replica asks its peers for them). */
  wanted(): IterableIterator<string> {
    return this.waiting.keys();
  }

  wants(hash: string): boolean {
    return this.waiting.has(hash);
  }

  /** The size of a wanted chunk, from its ref. */
  wantedSize(hash: string): number {
    return this.sizes.get(hash) ?? 0;
  }

  /** A stored chunk's bytes (checked against its hash), or null. */
  readChunk(hash: string): Uint8Array | null {
    return this.chunks.read(hash);
  }

  /**
   * A chunk from a peer: stored if its bytes match `hash`; every pending path that has all its
   * chunks now is written. False when the bytes do not match.
   */
  addChunk(hash: string, data: Uint8Array): boolean {
    if (chunkHash(data) !== hash) return false;
    this.chunks.put(hash, data);
    const rels = this.waiting.get(hash);
    // Pushed before the metadata naming it (chunk-transfer.ts): kept a while by sweep.
    if (!rels) this.arrived.set(hash, Date.now());
    this.waiting.delete(hash);
    this.sizes.delete(hash);
    for (const rel of rels ?? []) {
      const missing = this.pendingPaths.get(rel);
      missing?.delete(hash);
      this.progress.set(rel, Date.now());
      if (missing?.size === 0) {
        this.pendingPaths.delete(rel);
        this.materialize(rel);
      }
    }
    return true;
  }

  /**
   * Makes the file at `rel` equal to its document version (or deletes it): written once all
   * its chunks are stored, else left as it is and marked pending.
   */
  private materialize(rel: string): void {
    const abs = this.resolveSafe(rel);
    if (abs === null) return;
    const want = this.index.get(rel);
    if (!want) {
      this.clearPending(rel);
      this.removeLocal(rel);
      return;
    }
    const st = statOf(abs);
    const disk = this.seen.get(rel);
    const known = st !== null && disk !== undefined && disk.mtimeMs === st.mtimeMs && disk.size === st.size;
    if (known && disk.version.key === want.key) {
      this.clearPending(rel);
      return;
    }
    if (st !== null && !known) {
      // A file never captured here (a fresh edge's snapshot copy): equal to the document's
      // version, or recorded as the version on disk, so that while the document's version
      // waits for its chunks a capture does not take the stale file for a local rewrite.
      const got = ingestFile(abs, this.chunks, want.refs);
      if (got?.equal) {
        this.seen.set(rel, { ...st, version: want });
        this.clearPending(rel);
        return;
      }
      if (got) this.seen.set(rel, { ...st, version: version([...want.refs.slice(0, got.matched), ...got.tail]) });
    }
    const missing = [...new Set(want.refs.map(refHash))].filter((h) => !this.chunks.has(h));
    if (missing.length > 0) {
      this.setPending(rel, missing, want.refs);
      return;
    }
    const bad = this.writeVersion(rel, want);
    if (bad.length > 0) this.setPending(rel, bad, want.refs);
    else this.clearPending(rel);
  }

  /** Writes a version from the store; the chunks it lacks (nothing written then). */
  private writeVersion(rel: string, v: Version): string[] {
    const abs = join(this.root, rel);
    try {
      const missing = writeFromChunks(abs, this.chunks, v.refs);
      if (missing.length > 0) return missing;
      const st = lstatSync(abs);
      this.seen.set(rel, { mtimeMs: st.mtimeMs, size: st.size, version: v });
    } catch (err: unknown) {
      rlog.warn(`could not write ${rel}: ${errorMessage(err)}`);
    }
    return [];
  }

  private removeLocal(rel: string): void {
    try {
      unlinkSync(join(this.root, rel));
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') rlog.warn(`could not delete ${rel}: ${errorMessage(err)}`);
    }
    this.seen.delete(rel);
  }

  private setPending(rel: string, missing: string[], refs: ChunkRef[]): void {
    // Still waiting for a chunk it waited for before (the same version, or a newer one on top
    // of it, as appends to a log are): its time without progress goes on.
    const before = this.pendingPaths.get(rel);
    const same = before !== undefined && missing.some((h) => before.has(h));
    const since = same ? this.progress.get(rel) : undefined;
    const logged = same && this.strandLogged.has(rel);
    this.clearPending(rel);
    this.progress.set(rel, since ?? Date.now());
    if (logged) this.strandLogged.add(rel);
    this.pendingPaths.set(rel, new Set(missing));
    const wanted = new Set(missing);
    for (const r of refs) if (wanted.has(refHash(r))) this.sizes.set(refHash(r), refSize(r));
    for (const h of missing) {
      let rels = this.waiting.get(h);
      if (!rels) this.waiting.set(h, (rels = new Set()));
      rels.add(rel);
    }
  }

  private clearPending(rel: string): void {
    const missing = this.pendingPaths.get(rel);
    if (!missing) return;
    this.pendingPaths.delete(rel);
    this.progress.delete(rel);
    this.strandLogged.delete(rel);
    for (const h of missing) {
      const rels = this.waiting.get(h);
      rels?.delete(rel);
      if (rels?.size === 0) {
        this.waiting.delete(h);
        this.sizes.delete(h);
      }
    }
  }

  private allPresent(refs: ChunkRef[]): boolean {
    return refs.every((r) => this.chunks.has(refHash(r)));
  }

  private docFiles(): Record<string, unknown> {
    return (this.store.doc.files ?? {}) as Record<string, unknown>;
  }

  /** The index from the document (start-up, a new epoch); entries of older runtimes are migrated. */
  private rebuildIndex(): void {
    this.index.clear();
    const files = this.docFiles();
    const inline: [string, Uint8Array[]][] = [];
    for (const rel of Object.keys(files)) this.indexEntry(rel, files[rel], inline);
    this.migrate(inline);
  }

  private indexEntry(rel: string, raw: unknown, inline: [string, Uint8Array[]][]): void {
    const entry = readEntry(raw);
    if (entry.kind === 'refs') {
      this.index.set(rel, version(entry.refs));
      return;
    }
    this.index.delete(rel);
    if (entry.kind === 'inline') {
      // Only paths this replica would write: a refused one is logged when it is materialized.
      if (checkRelative(rel) === null && this.isReplicated(rel)) inline.push([rel, entry.pieces]);
    } else if (!this.malformed.has(rel)) {
      this.malformed.add(rel);
      rlog.warn(`ignored the replicated entry of ${JSON.stringify(rel)}: not a list of chunk refs`);
    }
  }

  /**
   * Entries written by an older runtime hold their bytes inline: the bytes go into the chunk
   * store and the entry is rewritten as refs (one change). The document's history keeps the
   * old bytes until its next epoch (compaction.ts) drops them.
   */
  private migrate(inline: [string, Uint8Array[]][]): void {
    if (inline.length === 0) return;
    const next = new Map<string, Version>();
    for (const [rel, pieces] of inline) next.set(rel, version(pieces.flatMap((p) => storeBytes(this.chunks, p))));
    this.store.doc = A.change(this.store.doc, { message: 'files: bytes moved to the chunk store' }, (d) => {
      const files = d.files as Record<string, unknown>;
      for (const [rel, v] of next) files[rel] = newEntry(v.refs);
    });
    for (const [rel, v] of next) this.index.set(rel, v);
    rlog.info(`files: moved the bytes of ${inline.length} file(s) written by an older runtime into the chunk store`);
  }

  private isReplicated(rel: string): boolean {
    return this.paths.some((p) => (p.endsWith('/') ? rel.startsWith(p) : rel === p));
  }

  /** Absolute path for a remote change, or null (logged) when it must not be written. */
  resolveSafe(rel: string): string | null {
    const problem = checkRelative(rel) ?? (this.isReplicated(rel) ? null : 'is not a replicated path');
    const abs = join(this.root, rel);
    const bad = problem ?? (abs.startsWith(this.root + sep) ? symlinkOnPath(this.root, rel) : 'escapes the root');
    if (bad === null) return abs;
    this.refused.push(rel);
    rlog.warn(`refused remote file change ${JSON.stringify(rel)}: ${bad}`);
    return null;
  }

  /** Current regular files under the replicated paths, with size and mtime (symlinks are never followed). */
  private scan(): Map<string, Stat> {
    const out = new Map<string, Stat>();
    const add = (rel: string, st: Stats): void => {
      out.set(rel, { mtimeMs: st.mtimeMs, size: st.size });
    };
    const visit = (rel: string): void => {
      let st: Stats;
      try {
        st = lstatSync(join(this.root, rel));
      } catch {
        return;
      }
      if (st.isDirectory()) {
        for (const name of readdirSync(join(this.root, rel)).sort()) {
          if (!name.includes('.edgstr-tmp')) visit(`${rel}/${name}`);
        }
      } else if (st.isFile()) add(rel, st);
    };
    for (const p of this.paths) {
      if (p.endsWith('/')) visit(p.slice(0, -1));
      else {
        try {
          const st = lstatSync(join(this.root, p));
          if (st.isFile()) add(p, st);
        } catch {
          // Not there (yet): nothing to capture.
        }
      }
    }
    return out;
  }
}

function statOf(abs: string): Stat | null {
  try {
    const st = lstatSync(abs);
    return st.isFile() ? { mtimeMs: st.mtimeMs, size: st.size } : null;
  } catch {
    return null;
  }
}

/** Why a relative path is not acceptable, or null. */
export function checkRelative(rel: unknown): string | null {
  if (typeof rel !== 'string' || rel.length === 0 || rel.length > 4096) return 'is not a path';
  if (rel.includes('\0') || rel.includes('\\')) return 'contains a NUL or backslash';
  if (isAbsolute(rel) || /^[A-Za-z]:/.test(rel)) return 'is absolute';
  if (rel.split('/').some((s) => s === '..' || s === '.' || s === '')) return 'has "..", "." or empty segments';
  return null;
}

/** A symlink anywhere between the root and the target could redirect the write outside. */
function symlinkOnPath(root: string, rel: string): string | null {
  let at = root;
  for (const segment of rel.split('/')) {
    at = join(at, segment);
    try {
      if (lstatSync(at).isSymbolicLink()) return `goes through the symlink ${at}`;
    } catch {
      return null; // Does not exist yet: created as a plain directory/file below the root.
    }
  }
  return null;
}
