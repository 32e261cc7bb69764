import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KeyRangeRegistry, readGrantedRange, writeGrantedRange } from '../../src/runtime/key-ranges.js';

const dirs: string[] = [];
const scratch = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'edgstr-ranges-'));
  dirs.push(d);
  return d;
};
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('KeyRangeRegistry (the cloud grants one slot per node id)', () => {
  it('grants a free claim, else the lowest free slot, never one slot to two node ids', () => {
    const r = new KeyRangeRegistry(scratch(), { 'edge-1': 1, 'edge-2': 2 });
    expect(r.grant('edge-2', 2)).toBe(2);
    expect(r.grant('pi-kitchen', null)).toBe(3);
    // Operator-named edges that claim a taken slot (e.g. a generated edge file copied to
    // every host) get their own.
    expect(r.grant('pi-garage', 1)).toBe(4);
    expect(r.grant('pi-attic', 9)).toBe(9);
    expect(r.grant('pi-kitchen', 9)).toBe(3);
  });

  it('keeps the grants across restarts of the cloud', () => {
    const dir = scratch();
    expect(new KeyRangeRegistry(dir).grant('pi-kitchen', null)).toBe(1);
    const again = new KeyRangeRegistry(dir);
    expect(again.grant('pi-garage', 1)).toBe(2);
    expect(again.grant('pi-kitchen', null)).toBe(1);
  });

  it('says null when all 63 edge slots are granted', () => {
    const r = new KeyRangeRegistry(scratch());
    for (let i = 1; i < 64; i++) expect(r.grant(`n${i}`, null)).toBe(i);
    expect(r.grant('one-too-many', null)).toBeNull();
  });
});

describe('granted range on the edge', () => {
  it('is kept per node id: a data dir reused under another name has none', () => {
    const dir = scratch();
    expect(readGrantedRange(dir, 'pi-kitchen')).toBeNull();
    writeGrantedRange(dir, 'pi-kitchen', 5);
    expect(readGrantedRange(dir, 'pi-kitchen')).toBe(5);
    expect(readGrantedRange(dir, 'pi-garage')).toBeNull();
  });
});
