/**
 * Appends HAR entries so the file is valid HAR after every exchange without rewriting what is
 * already there. The file always ends in `]}}` (the entries array is the last key of `log`, `log`
 * the last key of the document); each append overwrites those three bytes in place with
 * `,<entry>]}}`, so the cost of an exchange does not grow with the recording.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../cli/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readTraffic } from '../model/traffic.js';
import type { EdgstrEntry } from './har-entry.js';

const TAIL = ']}}';
const CREATOR = { name: 'edgstr', version: '0.1.0' };

export class HarWriter {
  private chain: Promise<void> = Promise.resolve();
  private failure: unknown = undefined;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly fh: FileHandle,
    /** Offset of the `]}}` tail. */
    private end: number,
    private entries: number,
  ) {}

  /**
   * Opens FILE for appending: creates a fresh HAR, or continues a valid existing one (an existing
   * file that is not valid HAR is refused, never overwritten).
   */
  static async open(file: string): Promise<HarWriter> {
    let entries = 0;
    // An empty file (e.g. created with touch) holds no recording: start it afresh.
    if (existsSync(file) && !(statSync(file).isFile() && statSync(file).size === 0)) {
      entries = prepareExisting(file);
    } else {
      checkWritableDir(file);
      try {
        writeFileAtomic(file, `{"log":{"version":"1.2","creator":${JSON.stringify(CREATOR)},"pages":[],"entries":[${TAIL}`);
      } catch (err) {
        throw new UserError(`${file}: cannot create the HAR file (${errCode(err)}); choose a writable --out path`);
      }
    }
    let fh: FileHandle;
    try {
      fh = await open(file, 'r+');
    } catch (err) {
      throw new UserError(`${file}: cannot open the HAR file for writing (${errCode(err)}); choose a writable --out path`);
    }
    const size = (await fh.stat()).size;
    return new HarWriter(file, fh, size - TAIL.length, entries);
  }

  get count(): number {
    return this.entries;
  }

  /**
   * Queues one entry; resolves when it is on disk. Appends keep call order; entries queued while
   * a write is in flight go out together in the next single positional write.
   */
  append(entry: EdgstrEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => this.add(entry, (err) => (err === undefined ? resolve() : reject(err))));
  }

  /**
   * append() without a promise per entry (the recorder calls this once per exchange): `done` is
   * called once the entry is on disk, or with the error that kept it off.
   */
  add(entry: EdgstrEntry, done: (err?: unknown) => void): void {
    if (this.closed) {
      done(new Error('HAR writer is closed'));
      return;
    }
    this.queue.push({ json: JSON.stringify(entry), done });
    if (!this.writing) this.chain = this.drain();
  }

  private queue: { json: string; done: (err?: unknown) => void }[] = [];
  private writing = false;

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        if (this.failure !== undefined) {
          for (const b of batch) settle(b.done, this.failure);
          continue;
        }
        let text = this.entries === 0 ? '' : ',';
        for (let i = 0; i < batch.length; i++) text += i === 0 ? batch[i]!.json : `,${batch[i]!.json}`;
        const buf = Buffer.from(text + TAIL);
        try {
          await writeFully(this.fh, buf, this.end);
        } catch (err) {
          this.failure = err;
          for (const b of batch) settle(b.done, err);
          continue;
        }
        this.end += buf.length - TAIL.length;
        this.entries += batch.length;
        for (const b of batch) settle(b.done, undefined);
      }
    } finally {
      this.writing = false;
    }
  }

  /** Waits for queued appends, syncs and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.chain;
    try {
      await this.fh.sync();
    } finally {
      await this.fh.close();
    }
  }
}

/** Calls one append's callback; what it throws surfaces as an uncaught exception, not in the drain loop. */
function settle(done: (err?: unknown) => void, err: unknown): void {
  try {
    if (err === undefined) done();
    else done(err);
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown;
    });
  }
}

async function writeFully(fh: FileHandle, buf: Buffer, position: number): Promise<void> {
  let off = 0;
  while (off < buf.length) {
    const { bytesWritten } = await fh.write(buf, off, buf.length - off, position + off);
    off += bytesWritten;
  }
}

/**
 * Checks an existing file is valid HAR and, when its layout is not the append-ready one (e.g. a
 * pretty-printed HAR from a browser), rewrites it once, atomically, into that layout.
 * Returns its number of entries.
 */
function prepareExisting(file: string): number {
  if (statSync(file).isDirectory()) throw new UserError(`${file}: is a directory; give --out a file path`);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UserError(`${file}: cannot read the existing HAR file (${errCode(err)}); choose another --out path`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new UserError(`${file}: exists but is not valid HAR (not JSON); move it away or choose another --out path`);
  }
  const log = isObject(doc) ? doc.log : undefined;
  if (!isObject(log) || !Array.isArray(log.entries)) {
    throw new UserError(`${file}: exists but is not valid HAR (no log.entries array); move it away or choose another --out path`);
  }
  // The full check readers will apply (readTraffic), so what we append to stays readable.
  try {
    readTraffic(file);
  } catch (err) {
    const why = err instanceof UserError ? err.message.replace(/^.*?HAR file is invalid at /, 'invalid at ').replace(/; record it again.*$/, '') : String(err);
    throw new UserError(`${file}: exists but is not valid HAR (${why}); move it away or choose another --out path`);
  }
  const entries = log.entries as unknown[];
  const docKeys = Object.keys(doc as object);
  const logKeys = Object.keys(log);
  const appendReady = text.endsWith(TAIL) && docKeys.at(-1) === 'log' && logKeys.at(-1) === 'entries';
  if (!appendReady) {
    const { entries: _e, ...rest } = log;
    const { log: _l, ...top } = doc as Record<string, unknown>;
    try {
      writeFileAtomic(file, JSON.stringify({ ...top, log: { ...rest, entries } }));
    } catch (err) {
      throw new UserError(`${file}: cannot rewrite the existing HAR for appending (${errCode(err)}); choose a writable --out path`);
    }
  }
  return entries.length;
}

/** Names the actual problem (a file where a directory should be, no write permission) up front. */
function checkWritableDir(file: string): void {
  let dir = dirname(resolve(file));
  while (!existsSync(dir)) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  if (!statSync(dir).isDirectory()) throw new UserError(`${file}: ${dir} is not a directory; choose another --out path`);
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UserError(`${file}: directory ${dir} is not writable; choose a writable --out path`);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}
