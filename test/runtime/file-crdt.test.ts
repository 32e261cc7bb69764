import { existsSync, mkdirSync, readFileSync, renameSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as A from '@automerge/automerge';
import { afterEach, describe, expect, it } from 'vitest';
import { FileCrdt, checkRelative } from '../../src/runtime/file-crdt.js';
import { tempDir } from './helpers.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function setup(name: string): { crdt: FileCrdt; root: string; outside: string } {
  const t = tempDir(name);
  cleanups.push(t.cleanup);
  const root = join(t.dir, 'app');
  mkdirSync(join(root, 'data/uploads'), { recursive: true });
  writeFileSync(join(root, 'data/config.json'), '{}');
  const crdt = new FileCrdt({ root, paths: ['data/uploads/', 'data/config.json'] }, join(t.dir, 'data'), 'files');
  return { crdt, root, outside: join(t.dir, 'outside') };
}

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
});
