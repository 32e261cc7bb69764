/**
 * What looks like an id, by its form alone, in one place. Route inference (a path segment that is
 * a parameter), replay (values a replay generates anew and later requests refer to) and verify
 * (ids the generated system allocated differently from the recording) each ask {@link idForm} and
 * say which forms they count:
 *
 *     form       examples                                   counted by
 *     integer    7, "7", "00042"                            routes, replay, verify
 *     uuid       "3b1fd2c4-9a0e-4c1d-8e2f-5a6b7c8d9e0f"     routes, replay, verify
 *     hex        "5f3a9c21", "64b7e9c2f1a0d3e4b5c6a7f8"     routes, replay, verify
 *     token      "V1StGXR8_Z5jdHi6B-myT"                    routes, replay
 *     code       "builder42", "reader-1", "C9H8O4"          replay
 *
 * - hex: 8+ hex digits mixing digits and letters (object ids, hashes).
 * - token: 16+ word characters (nanoid, base64url, ULID) with letters and enough digits, no
 *   doubled separators: route words are short and pronounceable.
 * - code: 6+ characters of `[\w.:~-]` with a digit. A slug or a user name may name what an
 *   earlier request created, so replay follows them; as a path segment it may as well be a word
 *   of the route ("report2024"), and verify would take a changed text for a renaming.
 * Not ids: words, shorter codes ("v2", "mp3"), signed or decimal numbers in text, empty strings.
 * A route parameter may hold those too (`/prices/9.99`): services/segments.ts adds them.
 */

/** The forms of {@link idForm}, from the most to the least certain. */
export type IdForm = 'integer' | 'uuid' | 'hex' | 'token' | 'code';

const INTEGER = /^\d+$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const HEX = /^[0-9a-f]{8,}$/i;
const TOKEN = /^[\w-]+$/;
const CODE = /^[\w.:~-]+$/;

/** The id form of `v` (a number or a string of at most 200 characters), or null when it has none. */
export function idForm(v: unknown): IdForm | null {
  if (typeof v === 'number') return Number.isSafeInteger(v) ? 'integer' : null;
  if (typeof v !== 'string' || v.length === 0 || v.length > 200) return null;
  if (INTEGER.test(v)) return 'integer';
  if (UUID.test(v)) return 'uuid';
  const digits = countDigits(v);
  if (digits === 0) return null;
  const letters = /[a-z]/i.test(v);
  if (HEX.test(v) && letters) return 'hex';
  if (v.length >= 16 && TOKEN.test(v) && letters && !/[-_]{2}/.test(v) && digits / v.length >= 0.15) return 'token';
  return v.length >= 6 && CODE.test(v) ? 'code' : null;
}

function countDigits(s: string): number {
  let d = 0;
  for (const c of s) if (c >= '0' && c <= '9') d++;
  return d;
}
