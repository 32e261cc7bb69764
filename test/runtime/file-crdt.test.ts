import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import { afterEach, describe, expect, it } from 'vitest';
import { CHUNK_BYTES, refSize } from '../../src/runtime/chunk-store.js';
import { DocStore, genesisChanges } from '../../src/runtime/doc-store.js';
import { FileCrdt, checkRelative } from '../../src/runtime/file-crdt.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const PATHS = ['data/uploads/', 'data/config.json', 'data/history.jsonl'];

function setup(name: string): { crdt: FileCrdt; root: string; outside: string; dataDir: string } {
  const t = tempDir(name);
  cleanups.push(t.cleanup);
  const root = join(t.dir, 'app');
  mkdirSync(join(root, 'data/uploads'), { recursive: true });
  writeFileSync(join(root, 'data/config.json'), '{}');
  const dataDir = join(t.dir, 'data');
  const crdt = new FileCrdt({ root, paths: PATHS }, dataDir, 'files');
  cleanups.push(() => crdt.store.close());
  return { crdt, root, outside: join(t.dir, 'outside'), dataDir };
}

function syncBoth(a: FileCrdt, b: FileCrdt): void {
  sync(a, b);
  sync(b, a);
}

const history = (root: string): string => readFileSync(join(root, 'data/history.jsonl'), 'utf8');

/** The document's changes, then the chunks the receiver asks for (what ChunkTransfer does over the wire). */
function sync(from: FileCrdt, to: FileCrdt, chunks = true): void {
  const changes = A.getAllChanges(from.store.doc);
  to.receive((doc, patches) => A.applyChanges(doc, changes, { patchCallback: (p) => void patches.push(...p) })[0], true);
  if (chunks) fetchChunks(from, to);
}

function fetchChunks(from: FileCrdt, to: FileCrdt): void {
  for (const hash of [...to.wanted()]) {
    const data = from.readChunk(hash);
    if (data) expect(to.addChunk(hash, data)).toBe(true);
  }
}

describe('CRDT-Files', () => {
  it('replicates writes, renames and deletes found by scanning, nested directories included', () => {
    const a = setup('fa');
    const b = setup('fb');
    writeFileSync(join(a.root, 'data/uploads/one.bin'), Buffer.from([0, 1, 2, 255]));
    mkdirSync(join(a.root, 'data/uploads/deep/er'), { recursive: true });
    writeFileSync(join(a.root, 'data/uploads/deep/er/two.txt'), 'two');
    writeFileSync(join(a.root, 'data/config.json'), '{"x":1}');
    writeFileSync(join(a.root, 'data/not-replicated.txt'), 'local only');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    expect([...readFileSync(join(b.root, 'data/uploads/one.bin'))]).toEqual([0, 1, 2, 255]);
    expect(readFileSync(join(b.root, 'data/uploads/deep/er/two.txt'), 'utf8')).toBe('two');
    expect(readFileSync(join(b.root, 'data/config.json'), 'utf8')).toBe('{"x":1}');
    expect(existsSync(join(b.root, 'data/not-replicated.txt'))).toBe(false);
    renameSync(join(a.root, 'data/uploads/one.bin'), join(a.root, 'data/uploads/renamed.bin'));
    unlinkSync(join(a.root, 'data/uploads/deep/er/two.txt'));
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    expect(existsSync(join(b.root, 'data/uploads/one.bin'))).toBe(false);
    expect(existsSync(join(b.root, 'data/uploads/renamed.bin'))).toBe(true);
    expect(existsSync(join(b.root, 'data/uploads/deep/er/two.txt'))).toBe(false);
  });

  it('refuses remote paths that escape the root, including through a symlink', () => {
    const a = setup('esc');
    mkdirSync(a.outside, { recursive: true });
    symlinkSync(a.outside, join(a.root, 'data/uploads/link'));
    const evil = ['../x', '/tmp/abs', 'data/uploads/../../x', 'data/uploads/link/x.txt', 'data/uploads/a\\..\\x', 'data/other'];
    a.crdt.receive((doc, patches) => A.change(doc, { patchCallback: (p) => void patches.push(...p) }, (d) => {
      for (const p of evil) (d.files as Record<string, unknown>)[p] = { data: new Uint8Array([1]), hash: 'h' };
    }), true);
    expect(existsSync(join(a.outside, 'x.txt'))).toBe(false);
    expect(existsSync('/tmp/abs')).toBe(false);
    expect(a.crdt.refused.sort()).toEqual([...evil].sort());
    // A symlink is never followed when scanning either.
    writeFileSync(join(a.outside, 'secret.txt'), 'outside');
    a.crdt.capture();
    expect(Object.keys(a.crdt.store.doc.files as object).filter((p) => p.includes('secret'))).toEqual([]);
  });

  it('validates relative paths', () => {
    expect(checkRelative('data/a.txt')).toBeNull();
    for (const bad of ['', '/a', 'a/../b', './a', 'a//b', 'C:/x', 'a\0b']) expect(checkRelative(bad)).not.toBeNull();
  });

  it('rolls local changes back to the document', () => {
    const a = setup('frb');
    writeFileSync(join(a.root, 'data/uploads/keep.txt'), 'keep');
    a.crdt.capture();
    writeFileSync(join(a.root, 'data/uploads/keep.txt'), 'changed');
    writeFileSync(join(a.root, 'data/uploads/new.txt'), 'new');
    a.crdt.rollback();
    expect(readFileSync(join(a.root, 'data/uploads/keep.txt'), 'utf8')).toBe('keep');
    expect(existsSync(join(a.root, 'data/uploads/new.txt'))).toBe(false);
  });

  it('keeps both of two concurrent appends, in the same order on both replicas', () => {
    const a = setup('app-a');
    const b = setup('app-b');
    writeFileSync(join(a.root, 'data/history.jsonl'), '{"n":0}\n');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    expect(history(b.root)).toBe('{"n":0}\n');
    appendFileSync(join(a.root, 'data/history.jsonl'), '{"n":"a"}\n');
    appendFileSync(join(b.root, 'data/history.jsonl'), '{"n":"b"}\n');
    // Binary appends (NUL bytes, invalid UTF-8) merge the same way.
    writeFileSync(join(a.root, 'data/uploads/blob.bin'), Buffer.from([0, 255]));
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    appendFileSync(join(a.root, 'data/uploads/blob.bin'), Buffer.from([0xc3, 0]));
    appendFileSync(join(b.root, 'data/uploads/blob.bin'), Buffer.from([0xfe]));
    a.crdt.capture();
    b.crdt.capture();
    syncBoth(a.crdt, b.crdt);
    const lines = history(a.root).split('\n');
    expect(lines[0]).toBe('{"n":0}');
    expect(lines.slice(1).sort()).toEqual(['', '{"n":"a"}', '{"n":"b"}']);
    expect(readFileSync(join(b.root, 'data/history.jsonl'))).toEqual(readFileSync(join(a.root, 'data/history.jsonl')));
    const blob = [...readFileSync(join(a.root, 'data/uploads/blob.bin'))];
    expect(blob).toHaveLength(5);
    expect(blob.slice(0, 2)).toEqual([0, 255]);
    expect([...readFileSync(join(b.root, 'data/uploads/blob.bin'))]).toEqual(blob);
    // Nothing left to capture: the merged file is what the document holds.
    const heads = A.getHeads(a.crdt.store.doc).join();
    a.crdt.capture();
    b.crdt.capture();
    expect(A.getHeads(a.crdt.store.doc).join()).toBe(heads);
    expect(A.getHeads(b.crdt.store.doc).join()).toBe(heads);
  });

  it('a rewrite concurrent with an append ends identical on both replicas (the rewrite wins)', () => {
    const a = setup('rw-a');
    const b = setup('rw-b');
    writeFileSync(join(a.root, 'data/history.jsonl'), 'one\n');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    appendFileSync(join(a.root, 'data/history.jsonl'), 'two\n');
    writeFileSync(join(b.root, 'data/history.jsonl'), 'rewritten\n');
    a.crdt.capture();
    b.crdt.capture();
    syncBoth(a.crdt, b.crdt);
    expect(history(a.root)).toBe('rewritten\n');
    expect(history(b.root)).toBe('rewritten\n');
    // A shrink is a rewrite, and appends after it merge again.
    writeFileSync(join(a.root, 'data/history.jsonl'), 're');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    appendFileSync(join(b.root, 'data/history.jsonl'), 'x');
    b.crdt.capture();
    sync(b.crdt, a.crdt);
    expect(history(a.root)).toBe('rex');
    expect(history(b.root)).toBe('rex');
  });

  it('rolls a local append back, and the next append is captured as usual', () => {
    const a = setup('rba');
    const b = setup('rbb');
    writeFileSync(join(a.root, 'data/history.jsonl'), 'kept\n');
    a.crdt.capture();
    const heads = A.getHeads(a.crdt.store.doc).join();
    appendFileSync(join(a.root, 'data/history.jsonl'), 'failed request\n');
    a.crdt.rollback();
    expect(history(a.root)).toBe('kept\n');
    a.crdt.capture();
    expect(A.getHeads(a.crdt.store.doc).join()).toBe(heads);
    appendFileSync(join(a.root, 'data/history.jsonl'), 'next\n');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    expect(history(b.root)).toBe('kept\nnext\n');
  });

  it('reads documents persisted in the whole-file layout, and keeps chunks across a restart', () => {
    const a = setup('old');
    // What a runtime before chunks persisted: { data, hash } per path.
    a.crdt.receive((doc, patches) => A.change(doc, { patchCallback: (p) => void patches.push(...p) }, (d) => {
      (d.files as Record<string, unknown>)['data/history.jsonl'] = { data: new TextEncoder().encode('old\n'), hash: 'sha-of-old' };
    }), true);
    expect(history(a.root)).toBe('old\n');
    appendFileSync(join(a.root, 'data/history.jsonl'), 'new\n');
    a.crdt.capture();
    a.crdt.store.persist();
    a.crdt.store.close();
    rmSync(join(a.root, 'data/history.jsonl'));
    const again = new FileCrdt({ root: a.root, paths: PATHS }, a.dataDir, 'files');
    cleanups.push(() => again.store.close());
    again.reconcile();
    expect(history(a.root)).toBe('old\nnew\n');
    appendFileSync(join(a.root, 'data/history.jsonl'), 'after restart\n');
    again.capture();
    const b = setup('old-b');
    sync(again, b.crdt);
    expect(history(b.root)).toBe('old\nnew\nafter restart\n');
  });

  it('moves a big file in chunks: the document holds refs only, and a changed end sends only the new end', () => {
    const a = setup('big-a');
    const b = setup('big-b');
    const size = 12 * CHUNK_BYTES + 1234;
    writeFileSync(join(a.root, 'data/uploads/big.bin'), randomBytes(size));
    a.crdt.capture();
    const refs = refsOf(a.crdt, 'data/uploads/big.bin');
    expect(refs).toHaveLength(13);
    expect(refs.every((r) => refSize(r) <= CHUNK_BYTES)).toBe(true);
    // Metadata only: the saved document is a few KB for a file of 3 MB.
    expect(A.save(a.crdt.store.doc).length).toBeLessThan(8 * 1024);
    sync(a.crdt, b.crdt, false);
    expect(existsSync(join(b.root, 'data/uploads/big.bin'))).toBe(false);
    expect(b.crdt.pending()).toBe(1);
    expect([...b.crdt.wanted()]).toHaveLength(13);
    fetchChunks(a.crdt, b.crdt);
    expect(b.crdt.pending()).toBe(0);
    expect(sameBytes(join(b.root, 'data/uploads/big.bin'), join(a.root, 'data/uploads/big.bin'))).toBe(true);
    // Rewriting the last bytes keeps the refs of the unchanged chunks: one chunk to send.
    const fd = readFileSync(join(a.root, 'data/uploads/big.bin'));
    fd[size - 1] = fd[size - 1]! ^ 0xff;
    writeFileSync(join(a.root, 'data/uploads/big.bin'), fd);
    a.crdt.capture();
    sync(a.crdt, b.crdt, false);
    expect([...b.crdt.wanted()]).toHaveLength(1);
    fetchChunks(a.crdt, b.crdt);
    expect(readFileSync(join(b.root, 'data/uploads/big.bin')).equals(fd)).toBe(true);
  });

  it('keeps the old file while a remote version waits for its chunks, and an append made meanwhile survives', () => {
    const a = setup('wait-a');
    const b = setup('wait-b');
    writeFileSync(join(a.root, 'data/history.jsonl'), 'v1\n');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    appendFileSync(join(a.root, 'data/history.jsonl'), 'from a\n');
    a.crdt.capture();
    sync(a.crdt, b.crdt, false);
    expect(history(b.root)).toBe('v1\n');
    expect(b.crdt.pending()).toBe(1);
    // Not a local change: capturing again changes nothing.
    const heads = A.getHeads(b.crdt.store.doc).join();
    b.crdt.capture();
    expect(A.getHeads(b.crdt.store.doc).join()).toBe(heads);
    // The app appends to the version it has: the line goes after the remote one.
    appendFileSync(join(b.root, 'data/history.jsonl'), 'from b\n');
    b.crdt.capture();
    expect(b.crdt.pending()).toBe(1);
    fetchChunks(a.crdt, b.crdt);
    expect(history(b.root)).toBe('v1\nfrom a\nfrom b\n');
    sync(b.crdt, a.crdt);
    expect(history(a.root)).toBe('v1\nfrom a\nfrom b\n');
  });

  it('rolls a request back to the file on disk while a remote version still waits for its chunks', () => {
    const a = setup('rbp-a');
    const b = setup('rbp-b');
    writeFileSync(join(a.root, 'data/uploads/x.json'), '{"v":1}');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    writeFileSync(join(a.root, 'data/uploads/x.json'), '{"v":2}');
    a.crdt.capture();
    sync(a.crdt, b.crdt, false);
    expect(b.crdt.pending()).toBe(1);
    // A request at b rewrites the file, then fails: back to what b had, still pending.
    writeFileSync(join(b.root, 'data/uploads/x.json'), '{"v":"failed"}');
    b.crdt.rollback();
    expect(readFileSync(join(b.root, 'data/uploads/x.json'), 'utf8')).toBe('{"v":1}');
    const heads = A.getHeads(b.crdt.store.doc).join();
    b.crdt.capture();
    expect(A.getHeads(b.crdt.store.doc).join()).toBe(heads);
    fetchChunks(a.crdt, b.crdt);
    expect(readFileSync(join(b.root, 'data/uploads/x.json'), 'utf8')).toBe('{"v":2}');
  });

  it('does not take a stale file it never captured for a local change while the new version waits for chunks (a fresh edge)', () => {
    const a = setup('fresh-a');
    const b = setup('fresh-b');
    writeFileSync(join(a.root, 'data/uploads/x.txt'), 'the cloud\'s version');
    a.crdt.capture();
    // b starts from an older snapshot of the file and takes the cloud's copy without capturing first.
    writeFileSync(join(b.root, 'data/uploads/x.txt'), 'snapshot');
    const changes = A.getAllChanges(a.crdt.store.doc);
    b.crdt.receive((doc, patches) => A.applyChanges(doc, changes, { patchCallback: (p) => void patches.push(...p) })[0], false);
    expect(b.crdt.pending()).toBe(1);
    const heads = A.getHeads(b.crdt.store.doc).join();
    b.crdt.capture();
    expect(A.getHeads(b.crdt.store.doc).join()).toBe(heads);
    fetchChunks(a.crdt, b.crdt);
    expect(readFileSync(join(b.root, 'data/uploads/x.txt'), 'utf8')).toBe('the cloud\'s version');
  });

  it('resumes a transfer interrupted by a restart, and refuses bytes that do not match their hash', () => {
    const a = setup('rs-a');
    const b = setup('rs-b');
    writeFileSync(join(a.root, 'data/uploads/big.bin'), randomBytes(6 * CHUNK_BYTES));
    a.crdt.capture();
    sync(a.crdt, b.crdt, false);
    const wanted = [...b.crdt.wanted()];
    expect(wanted).toHaveLength(6);
    expect(b.crdt.addChunk(wanted[0]!, new Uint8Array([1, 2, 3]))).toBe(false);
    for (const h of wanted.slice(0, 3)) b.crdt.addChunk(h, a.crdt.readChunk(h)!);
    b.crdt.store.persist();
    b.crdt.store.close();
    const again = new FileCrdt({ root: b.root, paths: PATHS }, b.dataDir, 'files');
    cleanups.push(() => again.store.close());
    again.reconcile();
    expect(existsSync(join(b.root, 'data/uploads/big.bin'))).toBe(false);
    expect([...again.wanted()].sort()).toEqual(wanted.slice(3).sort());
    fetchChunks(a.crdt, again);
    expect(again.pending()).toBe(0);
    expect(sameBytes(join(b.root, 'data/uploads/big.bin'), join(a.root, 'data/uploads/big.bin'))).toBe(true);
  });

  it('strands a version whose chunks do not come: not pending any more, the older file kept, written if they come after all', () => {
    const a = setup('st-a');
    const b = setup('st-b');
    const rel = 'data/uploads/doc.txt';
    writeFileSync(join(a.root, rel), 'first');
    a.crdt.capture();
    sync(a.crdt, b.crdt);
    const strandAfterMs = 40;
    b.crdt.store.persist();
    b.crdt.store.close();
    const late = new FileCrdt({ root: b.root, paths: PATHS }, b.dataDir, 'files', { strandAfterMs });
    cleanups.push(() => late.store.close());
    late.reconcile();
    writeFileSync(join(a.root, rel), 'second, whose chunk only its writer has');
    a.crdt.capture();
    sync(a.crdt, late, false);
    const now = Date.now();
    expect(late.pending(now)).toBe(1);
    expect(late.stranded(now)).toEqual([]);
    // Receiving the same version again does not restart its clock.
    sync(a.crdt, late, false);
    expect(late.pending(now + strandAfterMs + 1)).toBe(0);
    expect(late.stranded(now + strandAfterMs + 1)).toEqual([rel]);
    expect(late.strandedChunk([...late.wanted()][0]!, now + strandAfterMs + 1)).toBe(true);
    // Nor does an append on top of it (a log appended to everywhere would never strand).
    appendFileSync(join(a.root, rel), ', and more');
    a.crdt.capture();
    sync(a.crdt, late, false);
    expect(late.stranded(now + strandAfterMs + 1)).toEqual([rel]);
    expect(readFileSync(join(b.root, rel), 'utf8')).toBe('first');
    fetchChunks(a.crdt, late);
    expect(late.stranded(now + strandAfterMs + 1)).toEqual([]);
    expect(readFileSync(join(b.root, rel), 'utf8')).toBe('second, whose chunk only its writer has, and more');
  });

  it('a writer keeps the chunks of its new versions in its outbox until a peer holds them', () => {
    const t = setup('ob');
    t.crdt.store.close();
    const w = new FileCrdt({ root: t.root, paths: PATHS }, t.dataDir, 'files', { pushes: true });
    cleanups.push(() => w.store.close());
    writeFileSync(join(t.root, 'data/uploads/big.bin'), randomBytes(2 * CHUNK_BYTES + 5));
    w.capture();
    // Three chunks of big.bin, one of data/config.json.
    expect(w.outbox.size).toBe(4);
    appendFileSync(join(t.root, 'data/uploads/big.bin'), 'more');
    w.capture();
    // The append's new chunk only.
    expect(w.outbox.size).toBe(5);
    for (const h of [...w.outbox.keys()]) w.pushed(h);
    expect(w.outbox.size).toBe(0);
    expect(w.outboxAdds).toBe(5);
  });

  it('sweeps chunks no version uses any more, keeping the older version a pending path still has on disk', () => {
    const a = setup('sw-a');
    const b = setup('sw-b');
    const chunkFiles = (dataDir: string): number =>
      readdirSync(join(dataDir, 'chunks')).reduce((n, sub) => n + readdirSync(join(dataDir, 'chunks', sub)).length, 0);
    for (const v of ['one', 'two', 'three']) {
      writeFileSync(join(a.root, 'data/uploads/s.txt'), v);
      a.crdt.capture();
    }
    expect(chunkFiles(a.dataDir)).toBe(4); // config.json + three versions of s.txt
    expect(a.crdt.sweep()).toBe(2);
    expect(chunkFiles(a.dataDir)).toBe(2);
    sync(a.crdt, b.crdt);
    writeFileSync(join(a.root, 'data/uploads/s.txt'), 'four');
    a.crdt.capture();
    sync(a.crdt, b.crdt, false);
    // b still shows "three" (pending "four"): its chunk stays for a rollback.
    expect(b.crdt.sweep()).toBe(0);
    fetchChunks(a.crdt, b.crdt);
    expect(readFileSync(join(b.root, 'data/uploads/s.txt'), 'utf8')).toBe('four');
    expect(b.crdt.sweep()).toBe(1);
  });

  it('reads a damaged chunk as missing (deleted, fetched again)', () => {
    const a = setup('dmg');
    writeFileSync(join(a.root, 'data/config.json'), '{"a":1}');
    a.crdt.capture();
    const hash = refsOf(a.crdt, 'data/config.json')[0]!.slice(0, 64);
    writeFileSync(join(a.dataDir, 'chunks', hash.slice(0, 2), hash), 'torn');
    expect(a.crdt.readChunk(hash)).toBeNull();
    expect(existsSync(join(a.dataDir, 'chunks', hash.slice(0, 2), hash))).toBe(false);
  });

  it('migrates a data dir of the inline-bytes runtime on load: bytes into the chunk store, refs into the document', () => {
    const t = tempDir('migrate');
    cleanups.push(t.cleanup);
    const root = join(t.dir, 'app');
    const dataDir = join(t.dir, 'data');
    const old = new DocStore(dataDir, 'files');
    old.ensureGenesis(genesisChanges('files', (d) => {
      d.files = {};
    }));
    const big = randomBytes(CHUNK_BYTES + 10);
    old.doc = A.change(old.doc, (d) => {
      const files = d.files as Record<string, unknown>;
      files['data/history.jsonl'] = { chunks: [new TextEncoder().encode('one\n'), new TextEncoder().encode('two\n')] };
      files['data/uploads/big.bin'] = { data: new Uint8Array(big), hash: 'whatever' };
    });
    old.persist();
    old.close();
    const crdt = new FileCrdt({ root, paths: PATHS }, dataDir, 'files');
    cleanups.push(() => crdt.store.close());
    crdt.reconcile();
    expect(history(root)).toBe('one\ntwo\n');
    expect(readFileSync(join(root, 'data/uploads/big.bin')).equals(big)).toBe(true);
    const entry = (crdt.store.doc.files as Record<string, { refs?: unknown[] }>)['data/uploads/big.bin']!;
    expect(entry.refs).toHaveLength(2);
    expect(Object.keys(entry)).toEqual(['refs']);
  });

  // 1,000 by default (about 1-2 ms per file here, mostly creating files: the unit tier stays
  // quick); EDGSTR_MANY_FILES=10000 for the size. scripts/bench-files.mjs measures
  // 10,000 between two replicas over socket.io, with their memory.
  it('replicates many small files with a document of metadata only', () => {
    const a = setup('many-a');
    const b = setup('many-b');
    const n = Number(process.env.EDGSTR_MANY_FILES ?? 1000);
    mkdirSync(join(a.root, 'data/uploads/many'), { recursive: true });
    for (let i = 0; i < n; i++) writeFileSync(join(a.root, `data/uploads/many/f${i}.txt`), `file ${i} ${'x'.repeat(i % 200)}\n`);
    let t = performance.now();
    a.crdt.capture();
    const captureMs = performance.now() - t;
    t = performance.now();
    a.crdt.capture();
    const rescanMs = performance.now() - t;
    t = performance.now();
    sync(a.crdt, b.crdt);
    const syncMs = performance.now() - t;
    const saved = A.save(a.crdt.store.doc).length;
    console.log(`${n} files: capture ${Math.round(captureMs)} ms, rescan ${Math.round(rescanMs)} ms, sync+write ${Math.round(syncMs)} ms, saved document ${Math.round(saved / 1024)} KiB`);
    expect(readdirSync(join(b.root, 'data/uploads/many'))).toHaveLength(n);
    for (const i of [0, 1, Math.floor(n / 2), n - 1]) {
      expect(readFileSync(join(b.root, `data/uploads/many/f${i}.txt`), 'utf8')).toBe(`file ${i} ${'x'.repeat(i % 200)}\n`);
    }
    // About 100 bytes of document per file (the hash is most of it).
    expect(saved).toBeLessThan(n * 150);
  }, 120_000);
});

function refsOf(crdt: FileCrdt, rel: string): string[] {
  const entry = (crdt.store.doc.files as Record<string, { refs: A.ImmutableString[] }>)[rel]!;
  return entry.refs.map((r) => r.val);
}


/** Deep equality of big buffers is slow in expect(): compare bytes directly. */
const sameBytes = (x: string, y: string): boolean => readFileSync(x).equals(readFileSync(y));
