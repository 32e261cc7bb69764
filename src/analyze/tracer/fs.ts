/**
 * fs hooks: every path-taking function of fs, fs/promises and the stream constructors is
 * wrapped to record (op, path) for the current execution — library code (express's
 * res.sendFile -> send -> fs) included — and to back up a file under the app before its first
 * write, so it can be restored (or deleted when it did not exist) after each execution.
 */
import { AsyncLocalStorage, AsyncResource } from 'node:async_hooks';
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FileEvent } from './protocol.js';
import type { Runtime } from './runtime.js';

type Op = FileEvent['op'];
/** Which argument positions hold paths, and what the call does to them. */
const PROBES = new Set(['stat', 'lstat', 'access', 'exists']);
const SPECS: Record<string, [Op, Op?]> = {
  readFile: ['read'], createReadStream: ['read'], readdir: ['read'], opendir: ['read'], stat: ['read'], lstat: ['read'],
  access: ['read'], exists: ['read'], realpath: ['read'], readlink: ['read'],
  writeFile: ['write'], appendFile: ['write'], createWriteStream: ['write'], mkdir: ['write'], truncate: ['write'],
  utimes: ['write'], mkdtemp: ['write'],
  unlink: ['delete'], rm: ['delete'], rmdir: ['delete'],
  rename: ['delete', 'write'], copyFile: ['read', 'write'], cp: ['read', 'write'], link: ['read', 'write'], symlink: ['read', 'write'],
  open: ['read'],
};

/**
 * Node implements rm/rmdir (recursive) with the public fs functions (lstat, readdir, unlink,
 * rmdir): those inner calls are seen by the hooks. Their deletes are real (and must be backed
 * up), but their lstat/readdir only serve the removal: they read no state of the service.
 */
const REMOVERS = new Set(['rm', 'rmdir']);
const insideRemoval = new AsyncLocalStorage<boolean>();

type Fn = (...args: unknown[]) => unknown;

function toPath(p: unknown): string | null {
  if (typeof p === 'string') return path.resolve(p);
  if (Buffer.isBuffer(p)) return path.resolve(p.toString());
  if (p instanceof URL && p.protocol === 'file:') return fileURLToPath(p);
  return null;
}

function openOp(flags: unknown): Op {
  if (typeof flags === 'string') return /[wa+]/.test(flags) ? 'write' : 'read';
  if (typeof flags === 'number') return flags & (fs.constants.O_WRONLY | fs.constants.O_RDWR) ? 'write' : 'read';
  return 'read';
}

export class FsHooks {
  /** path -> backup file, or null when the path did not exist at the checkpoint. */
  private readonly backups = new Map<string, string | null>();
  private n = 0;
  private suspended = false;
  private readonly orig = { copyFileSync: fs.copyFileSync, statSync: fs.statSync, rmSync: fs.rmSync, mkdirSync: fs.mkdirSync, existsSync: fs.existsSync };

  constructor(
    private readonly rt: Runtime,
    /** Root of the app copy: only files under it are backed up and restored. */
    private readonly root: string,
    private readonly backupDir: string,
  ) {}

  install(): void {
    const fsp = fs.promises as unknown as Record<string, Fn>;
    const target = fs as unknown as Record<string, Fn>;
    for (const [name, ops] of Object.entries(SPECS)) {
      for (const variant of [name, `${name}Sync`]) {
        if (typeof target[variant] === 'function') target[variant] = this.wrap(target[variant]!, ops, name === 'open', PROBES.has(name), REMOVERS.has(name), name === 'mkdir');
      }
      if (typeof fsp[name] === 'function') fsp[name] = this.wrap(fsp[name]!, ops, name === 'open', PROBES.has(name), REMOVERS.has(name), name === 'mkdir');
    }
    syncBuiltinESMExports();
  }

  private wrap(orig: Fn, ops: [Op, Op?], isOpen: boolean, probe: boolean, remover: boolean, mkdir: boolean): Fn {
    const self = this;
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      const nested = insideRemoval.getStore() === true;
      // `mkdir -p` of a folder that is there changes nothing (an ORM opening a connection does it)
      const noop = mkdir && self.isDirectory(args[0]);
      if (!self.suspended && !noop) {
        const first = isOpen ? openOp(args[1]) : ops[0];
        self.event(first, args[0], args[1] && typeof args[1] === 'object' ? (args[1] as { flags?: unknown; flag?: unknown }) : null, probe, nested);
        if (ops[1]) self.event(ops[1], args[1], null, false, nested);
      }
      if (!remover || nested) return orig.apply(this, args);
      // The caller's callback runs in the caller's context again, not inside the removal.
      const last = args.length - 1;
      if (typeof args[last] === 'function') args[last] = AsyncResource.bind(args[last] as Fn);
      return insideRemoval.run(true, () => orig.apply(this, args));
    };
    Object.defineProperties(wrapped, Object.getOwnPropertyDescriptors(orig));
    return wrapped;
  }

  private isDirectory(p: unknown): boolean {
    const abs = toPath(p);
    if (!abs) return false;
    try {
      return this.orig.statSync(abs).isDirectory();
    } catch {
      return false;
    }
  }

  private event(op: Op, p: unknown, options: { flags?: unknown; flag?: unknown } | null, probe: boolean, nested: boolean): void {
    const abs = toPath(p);
    if (!abs) return;
    if (op === 'read' && options && (options.flags !== undefined || options.flag !== undefined)) {
      op = openOp(options.flags ?? options.flag);
    }
    if (nested && op === 'read') return;
    if (op !== 'read') this.backup(abs);
    const cur = this.rt.inExec();
    if (cur && !cur.files.some((f) => f.op === op && f.path === abs && Boolean(f.probe) === probe)) cur.files.push(probe ? { op, path: abs, probe } : { op, path: abs });
  }

  /** Saves the checkpoint state of a path before its first change. */
  private backup(abs: string): void {
    if (!this.rt.checkpointed || this.backups.has(abs)) return;
    const rel = path.relative(this.root, abs);
    if (rel.startsWith('..') || path.isAbsolute(rel) || rel.split(path.sep).includes('node_modules')) return;
    this.suspended = true;
    try {
      let st: fs.Stats | undefined;
      try {
        st = this.orig.statSync(abs);
      } catch {
        st = undefined;
      }
      if (!st) this.backups.set(abs, null);
      else if (st.isFile()) {
        const dest = path.join(this.backupDir, `f${this.n++}`);
        this.orig.copyFileSync(abs, dest);
        this.backups.set(abs, dest);
      } else this.backups.set(abs, '');
    } finally {
      this.suspended = false;
    }
  }

  /** Puts every changed path back as it was at the checkpoint. */
  restore(): void {
    this.suspended = true;
    try {
      const entries = [...this.backups.entries()].sort((a, b) => b[0].length - a[0].length);
      for (const [abs, saved] of entries) {
        if (saved === null) this.orig.rmSync(abs, { recursive: true, force: true });
        else if (saved === '') this.orig.mkdirSync(abs, { recursive: true });
      }
      for (const [abs, saved] of entries) {
        if (saved) {
          this.orig.mkdirSync(path.dirname(abs), { recursive: true });
          this.orig.copyFileSync(saved, abs);
        }
      }
    } finally {
      this.suspended = false;
    }
  }
}
