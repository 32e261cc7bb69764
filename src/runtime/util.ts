/**
 * Small helpers the runtime needs. The runtime is copied into generated projects alone, so it
 * cannot use src/util: everything here depends on node built-ins only.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** Runtime log lines go to stderr with a prefix so they can be told apart from the app's. */
export const rlog = {
  info: (msg: string): void => {
    if (process.env.EDGSTR_QUIET !== '1') process.stderr.write(`[edgstr] ${msg}\n`);
  },
  warn: (msg: string): void => {
    process.stderr.write(`[edgstr] warning: ${msg}\n`);
  },
};

/**
 * A FIFO async lock. Every operation that touches the documents or the app's state (capture,
 * remote apply, a local transaction from begin to commit/rollback) runs under it, so a remote
 * change never lands in the middle of a locally served request.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private users = 0;

  /** True while someone holds the lock or waits for it. */
  get busy(): boolean {
    return this.users > 0;
  }

  /** Resolves with a release function once every earlier holder has released. */
  acquire(): Promise<() => void> {
    let resolveHeld!: () => void;
    const held = new Promise<void>((resolve) => {
      resolveHeld = resolve;
    });
    this.users++;
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.users--;
      resolveHeld();
    };
    const ready = this.tail.then(() => release);
    this.tail = this.tail.then(() => held);
    return ready;
  }

  async run<T>(fn: () => Promise<T> | T): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }
}

/** Writes a file durably and atomically: temp file beside it, fsync, rename, fsync the dir. */
export function writeFileDurable(file: string, data: Uint8Array | string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = join(dirname(file), `.${basename(file)}.${randomBytes(4).toString('hex')}.edgstr-tmp`);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
    fsyncDir(dirname(file));
  } catch (err: unknown) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/** fsync of a directory makes a rename durable; some platforms refuse it, which is harmless. */
export function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Directories cannot be opened for fsync on every platform (e.g. Windows); best effort.
  }
}

export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/** FNV-1a, 32 bit: a cheap, stable hash to pick a row's bucket. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
