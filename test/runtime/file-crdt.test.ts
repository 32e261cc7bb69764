import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import { afterEach, describe, expect, it } from 'vitest';
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

function sync(from: FileCrdt, to: FileCrdt): void {
  const changes = A.getAllChanges(from.store.doc);
  to.receive((doc, patches) => A.applyChanges(doc, changes, { patchCallback: (p) => void patches.push(...p) })[0], true);
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
});
