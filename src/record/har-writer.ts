/**
 * Appends HAR entries so the file is valid HAR after every exchange without rewriting what is
 * already there. The file always ends in `]}}` (the entries array is the last key of `log`, `log`
 * the last key of the document); each append overwrites those three bytes in place with
 * `,<entry>]}}`, so the cost of an exchange does not grow with the recording.
 *
 * Entries queued during one turn of the event loop go out together, at the end of that turn, in
 * one synchronous positional write. A write into the page cache takes microseconds; going through
 * the libuv thread pool instead cost the recorder about 25 µs of CPU per exchange (thread
 * wake-ups on a busy machine) and, when the disk cannot keep up, grew an unbounded queue in
 * memory, where a synchronous write slows the proxy down instead.
 */
import { accessSync, closeSync, constants, existsSync, fstatSync, fsync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { UserError } from '../model/errors.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { readTraffic } from '../model/traffic.js';
import type { EdgstrEntry } from './har-entry.js';

const TAIL = ']}}';
const CREATOR = { name: 'edgstr', version: '0.1.0' };
/** A batch is written in pieces of about this many characters (bounds the write buffer). */
const MAX_WRITE_CHARS = 4 * 1024 * 1024;

export class HarWriter {
  private failure: unknown = undefined;
  private closed = false;
  private queue: { json: string; done: (err?: unknown) => void }[] = [];
  private scheduled: NodeJS.Immediate | undefined = undefined;

  private constructor(
    readonly file: string,
    private readonly fd: number,
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
    let fd: number;
    try {
      fd = openSync(file, 'r+');
    } catch (err) {
      throw new UserError(`${file}: cannot open the HAR file for writing (${errCode(err)}); choose a writable --out path`);
    }
    const size = fstatSync(fd).size;
    return new HarWriter(file, fd, size - TAIL.length, entries);
  }

  get count(): number {
    return this.entries;
  }

  /**
   * Queues one entry; resolves when it is on disk (in the file; fsync happens on close). Appends
   * keep call order; entries queued in the same turn of the event loop share one write.
   */
  append(entry: EdgstrEntry): Promise<void> {
    return new Promise<void>((resolve, reject) => this.add(entry, (err) => (err === undefined ? resolve() : reject(err))));
  }

  /**
   * append() without a promise per entry (the recorder calls this once per exchange): `done` is
   * called once the entry is in the file, or with the error that kept it out.
   */
  add(entry: EdgstrEntry, done: (err?: unknown) => void): void {
    if (this.closed) {
      done(new Error('HAR writer is closed'));
      return;
    }
    this.queue.push({ json: JSON.stringify(entry), done });
    this.scheduled ??= setImmediate(this.flush);
  }

  /** Writes everything queued, then calls back each entry (in order). */
  private readonly flush = (): void => {
    this.scheduled = undefined;
    const batch = this.queue;
    this.queue = [];
    let from = 0;
    while (from < batch.length) {
      if (this.failure !== undefined) {
        for (let i = from; i < batch.length; i++) settle(batch[i]!.done, this.failure);
        return;
      }
      // One piece: as many entries as fit in MAX_WRITE_CHARS (at least one), ending in the tail,
      // so the file is valid HAR after every write.
      let text = '';
      let to = from;
      while (to < batch.length && (to === from || text.length + batch[to]!.json.length < MAX_WRITE_CHARS)) {
        text += this.entries + (to - from) === 0 ? batch[to]!.json : `,${batch[to]!.json}`;
        to++;
      }
      const buf = Buffer.from(text + TAIL);
      try {
        writeFully(this.fd, buf, this.end);
      } catch (err) {
        this.failure = err;
        continue;
      }
      this.end += buf.length - TAIL.length;
      this.entries += to - from;
      for (let i = from; i < to; i++) settle(batch[i]!.done, undefined);
      from = to;
    }
  };

  /** Writes what is queued, syncs and closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.flush();
    }
    try {
      await new Promise<void>((resolve, reject) => fsync(this.fd, (err) => (err ? reject(err) : resolve())));
    } finally {
      closeSync(this.fd);
    }
  }
}

/** Calls one append's callback; what it throws surfaces as an uncaught exception, not in the flush loop. */
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

function writeFully(fd: number, buf: Buffer, position: number): void {
  let off = 0;
  while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off, position + off);
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
