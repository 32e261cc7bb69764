/**
 * CRDT-Files: replicated files under one root as one Automerge document.
 *
 *   doc.files[relativePath] = { chunks: [bytes, ...] }   (layout and merge rules: file-chunks.ts)
 *
 * A local change that only appends to a file pushes a chunk, so concurrent appends at two
 * replicas both survive; any other change replaces the file's entry (last writer wins).
 * Local changes are found by scanning the replicated paths on every capture (size + mtime,
 * hashed only when those moved), which also catches renames and deletes made by any code.
 * Remote changes are written atomically (temp + rename). A remote path that is not one of the
 * replicated paths, or that escapes the root (`..`, absolute, through a symlink), is refused
 * and logged, never written.
 */
import * as A from '@automerge/automerge';
import { lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, unlinkSync, type Stats } from 'node:fs';
import { isAbsolute, join, sep } from 'node:path';
import type { AfterPersist, CrdtAdapter, RemoteUpdate } from './adapter.js';
import { DocStore, genesisChanges } from './doc-store.js';
import { appendedChunk, ContentCache, isChunked, type Content } from './file-chunks.js';
import { rlog, sha256Hex, writeFileDurable } from './util.js';

interface LocalFile {
  hash: string;
  read: () => Uint8Array;
}
interface Seen {
  mtimeMs: number;
  size: number;
  hash: string;
}

export class FileCrdt implements CrdtAdapter {
  readonly store: DocStore;
  readonly volatile = false;
  private readonly root: string;
  private readonly seen = new Map<string, Seen>();
  private readonly contents = new ContentCache();
  /** Paths refused so far (each logged once). */
  readonly refused: string[] = [];

  constructor(files: { root: string; paths: string[] }, dataDir: string, docId: string) {
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
  }

  private readonly paths: string[];

  capture(): AfterPersist | null {
    const local = this.scan();
    const docFiles = this.docFiles();
    const rewrites = new Map<string, Uint8Array>();
    const appends = new Map<string, Uint8Array>();
    for (const [rel, file] of local) {
      const stored = rel in docFiles ? this.content(rel, docFiles[rel]) : undefined;
      if (stored?.hash === file.hash) continue;
      const data = file.read();
      const chunk = stored && isChunked(docFiles[rel]) ? appendedChunk(stored.data, data) : null;
      if (chunk) appends.set(rel, chunk);
      else rewrites.set(rel, data);
    }
    const deletes = Object.keys(docFiles).filter((rel) => !local.has(rel) && this.isReplicated(rel));
    if (rewrites.size === 0 && appends.size === 0 && deletes.length === 0) return null;
    this.store.doc = A.change(this.store.doc, (d) => {
      const files = d.files as Record<string, { chunks: Uint8Array[] }>;
      for (const [rel, chunk] of appends) files[rel]!.chunks.push(chunk);
      // A new object, so a concurrent append (into the old list) does not mix into the rewrite.
      for (const [rel, data] of rewrites) files[rel] = { chunks: data.length > 0 ? [data] : [] };
      for (const rel of deletes) delete files[rel];
    });
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
    if (whole) this.reconcile();
    else {
      const docFiles = this.docFiles();
      for (const rel of dirty) {
        if (!(rel in docFiles)) this.writeLocal(rel, undefined);
        else {
          const content = this.content(rel, docFiles[rel]);
          if (content) this.writeLocal(rel, content);
        }
      }
    }
    return null;
  }

  readonly captureBeforeMark = true;

  mark(): null {
    return null;
  }

  /** The document was not changed since mark (the replica holds its lock): restore from it. */
  rollback(): void {
    this.reconcile();
  }

  seed(): void {
    this.capture();
  }

  reconcile(): void {
    const docFiles = this.docFiles();
    const local = this.scan();
    for (const [rel, entry] of Object.entries(docFiles)) {
      const content = this.content(rel, entry);
      if (content && local.get(rel)?.hash !== content.hash) this.writeLocal(rel, content);
    }
    for (const rel of local.keys()) if (!(rel in docFiles)) this.writeLocal(rel, undefined);
  }

  pending(): number {
    return 0;
  }

  close(): void {}

  private docFiles(): Record<string, unknown> {
    return (this.store.doc.files ?? {}) as Record<string, unknown>;
  }

  /** The bytes the document holds for a path; null (logged once per path) when malformed. */
  private content(rel: string, entry: unknown): Content | null {
    const content = this.contents.get(rel, entry);
    if (content === null && !this.malformed.has(rel)) {
      this.malformed.add(rel);
      rlog.warn(`ignored the replicated entry of ${JSON.stringify(rel)}: neither chunks of bytes nor {data, hash}`);
    }
    return content;
  }

  private readonly malformed = new Set<string>();

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

  private writeLocal(rel: string, entry: Content | undefined): void {
    const abs = this.resolveSafe(rel);
    if (abs === null) return;
    try {
      if (entry) {
        mkdirSync(join(abs, '..'), { recursive: true });
        writeFileDurable(abs, entry.data);
        const st = lstatSync(abs);
        this.seen.set(rel, { mtimeMs: st.mtimeMs, size: st.size, hash: entry.hash });
      } else {
        unlinkSync(abs);
        this.seen.delete(rel);
        this.contents.forget(rel);
      }
    } catch (err: unknown) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') rlog.warn(`could not write ${rel}: ${String(err)}`);
    }
  }

  /** Current regular files under the replicated paths (symlinks are never followed). */
  private scan(): Map<string, LocalFile> {
    const out = new Map<string, LocalFile>();
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
      } else if (st.isFile()) {
        out.set(rel, this.entryFor(rel, st));
      }
    };
    for (const p of this.paths) {
      if (p.endsWith('/')) visit(p.slice(0, -1));
      else {
        try {
          const st = lstatSync(join(this.root, p));
          if (st.isFile()) out.set(p, this.entryFor(p, st));
        } catch {
          // Not there (yet): nothing to capture.
        }
      }
    }
    return out;
  }

  /** Hashes a file only when its size or mtime moved since it was last seen. */
  private entryFor(rel: string, st: Stats): LocalFile {
    const read = (): Uint8Array => new Uint8Array(readFileSync(join(this.root, rel)));
    const seen = this.seen.get(rel);
    if (seen && seen.mtimeMs === st.mtimeMs && seen.size === st.size) return { hash: seen.hash, read };
    const data = read();
    const hash = sha256Hex(data);
    this.seen.set(rel, { mtimeMs: st.mtimeMs, size: st.size, hash });
    return { hash, read: () => data };
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

