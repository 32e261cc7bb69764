import { describe, expect, it } from 'vitest';
import { isIdLike as replayCounts } from '../../src/analyze/replay/value-map.js';
import { idForm } from '../../src/model/ids.js';
import { isStrongId } from '../../src/services/segments.js';
import { IdMap } from '../../src/verify/id-map.js';

describe('idForm', () => {
  it.each([
    [7, 'integer'],
    [0, 'integer'],
    [-3, 'integer'],
    ['7', 'integer'],
    ['00042', 'integer'],
    ['3b1fd2c4-9a0e-4c1d-8e2f-5a6b7c8d9e0f', 'uuid'],
    ['3B1FD2C4-9A0E-4C1D-8E2F-5A6B7C8D9E0F', 'uuid'],
    ['5f3a9c21', 'hex'],
    ['64b7e9c2f1a0d3e4b5c6a7f8', 'hex'],
    ['V1StGXR8Z5jdHi6B9myT', 'token'],
    ['01ARZ3NDEKTSV4RRFFQ69G5FAV', 'token'],
    ['builder42', 'code'],
    ['reader-1', 'code'],
    ['C9H8O4', 'code'],
    ['2026-02-17', 'code'],
    ['item-5-kettle.svg', 'code'],
    ['5f3a9c2', 'code'], // 7 hex digits: too short for a hex id
    ['edgstr-redacted-d6491d9d0bbe', 'token'],
  ] as const)('%j is %s', (v, form) => {
    expect(idForm(v)).toBe(form);
  });

  it.each([
    ['', 'empty'],
    ['notes', 'a word'],
    ['v2', 'a short code'],
    ['mp3', 'a short code'],
    ['abc12', 'five characters'],
    ['deadbeefcafe', 'hex letters only'],
    ['-5', 'a signed number in text'],
    ['9.99', 'a decimal in text'],
    ['hello world 42', 'a space'],
    ['a'.repeat(190) + '1234567890a', 'over 200 characters'],
    ['some__long_token_1234567', 'a doubled separator: a code, not a token'],
  ])('%j is not an id form (%s) or only a code', (v) => {
    expect(idForm(v) === null || idForm(v) === 'code').toBe(true);
  });

  it('numbers: safe integers only; other values have no form', () => {
    expect(idForm(1.5)).toBeNull();
    expect(idForm(2 ** 60)).toBeNull();
    expect(idForm(Number.NaN)).toBeNull();
    for (const v of [null, undefined, true, {}, [], 12n]) expect(idForm(v)).toBeNull();
  });

  it('a long word with few digits is a code, not a token (route words are pronounceable)', () => {
    expect(idForm('internationalization2')).toBe('code');
    expect(idForm('some__long_token_1234567')).toBe('code');
  });
});

describe('who counts which forms', () => {
  it('routes: ids but not codes, plus numbers and dates', () => {
    for (const seg of ['7', '-7', '9.99', '2026-02-17', '2026-02-17T10:00:00Z', '5f3a9c21', 'V1StGXR8Z5jdHi6B9myT', '3b1fd2c4-9a0e-4c1d-8e2f-5a6b7c8d9e0f']) {
      expect(isStrongId(seg), seg).toBe(true);
    }
    for (const seg of ['notes', 'report2024', 'builder42', 'v2', 'deadbeefcafe', '']) expect(isStrongId(seg), seg).toBe(false);
  });

  it('replay: every form, codes included', () => {
    for (const v of [7, '7', '5f3a9c21', 'builder42', 'reader-1']) expect(replayCounts(v), String(v)).toBe(true);
    for (const v of ['notes', 'v2', 1.5, null]) expect(replayCounts(v), String(v)).toBe(false);
  });

  it('verify: only what a system allocates (integers, UUIDs, hex ids) is learned as a renaming', () => {
    const m = new IdMap();
    expect(m.acceptOrLearn('note', 7, 1099511627783, true)).toBe(true);
    expect(m.acceptOrLearn('note', '5f3a9c21', '9c0d1e2f', true)).toBe(true);
    expect(m.acceptOrLearn('user', 'builder42', 'builder43', true)).toBe(false);
    expect(m.acceptOrLearn('session', 'edgstr-redacted-d6491d9d0bbe', 'edgstr-redacted-692bab5a67b7', true)).toBe(false);
  });
});
