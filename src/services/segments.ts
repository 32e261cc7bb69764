/**
 * What a single path segment looks like, for route inference. Strong ids (numbers, UUIDs, hex
 * ids, long random tokens, dates) are parameters wherever they appear; other values need evidence.
 */

const STRONG: RegExp[] = [
  /^-?\d+$/, // integers
  /^-?\d+\.\d+$/, // decimals
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUID
  /^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/, // ISO dates
];

/** True when the segment is an identifier by its form alone. */
export function isStrongId(seg: string): boolean {
  if (STRONG.some((re) => re.test(seg))) return true;
  // Hex ids (object ids, hashes): long enough and mixing digits and letters.
  if (/^[0-9a-f]{8,}$/i.test(seg) && /\d/.test(seg) && /[a-f]/i.test(seg)) return true;
  // Random tokens (base62/base64url, ULIDs, nanoids): long, mixing digits with letters, no
  // word separators — route words are short and pronounceable.
  if (seg.length >= 16 && /^[\w-]+$/.test(seg) && /\d/.test(seg) && /[a-z]/i.test(seg) && !/[-_]{2}/.test(seg)) {
    return digitRatio(seg) >= 0.15;
  }
  return false;
}

function digitRatio(s: string): number {
  let d = 0;
  for (const c of s) if (c >= '0' && c <= '9') d++;
  return d / s.length;
}

/** Collapsed character-class shape: "Cl" -> "Aa", "C" -> "A", "file_01.txt" -> "a_9.a". */
export function shapeOf(seg: string): string {
  let out = '';
  for (const c of seg) {
    const k = c >= 'A' && c <= 'Z' ? 'A' : c >= 'a' && c <= 'z' ? 'a' : c >= '0' && c <= '9' ? '9' : c;
    if (!out.endsWith(k)) out += k;
  }
  return out;
}

/** Splits a URL path into decoded segments (query dropped, empty segments removed). */
export function splitPath(path: string): string[] {
  const q = path.search(/[?#]/);
  const p = q >= 0 ? path.slice(0, q) : path;
  return p
    .split('/')
    .filter((s) => s.length > 0)
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
}

/**
 * A name for a route parameter that is not yet in `used` (a route never names one parameter
 * twice: routers keep only the last value, so the edge would dispatch with the wrong one). Routes
 * are named from the right, so the earlier repeat of `id` after "notes" becomes `noteId`.
 */
export function distinctParamName(name: string, literalBefore: string | undefined, used: ReadonlySet<string>): string {
  if (!used.has(name)) return name;
  const prev = literalBefore !== undefined ? paramName(singular(literalBefore)) : undefined;
  let out = prev ? `${prev}${name === 'id' ? 'Id' : name[0]!.toUpperCase() + name.slice(1)}` : name;
  for (let n = 2; used.has(out); n++) out = `${name}${n}`;
  return out;
}

/** Renames repeated parameters of a template's segments (see {@link distinctParamName}). */
export function withDistinctParams(segs: readonly string[]): string[] {
  const used = new Set<string>();
  const out = [...segs];
  for (let i = out.length - 1; i >= 0; i--) {
    const s = out[i]!;
    if (!s.startsWith(':')) continue;
    const before = i > 0 && !out[i - 1]!.startsWith(':') && out[i - 1] !== '*' ? out[i - 1] : undefined;
    const name = distinctParamName(s.slice(1), before, used);
    used.add(name);
    out[i] = `:${name}`;
  }
  return out;
}

/** "notes" -> "note", "categories" -> "category", "boxes" -> "box". */
export function singular(word: string): string {
  if (/ies$/i.test(word) && word.length > 4) return `${word.slice(0, -3)}y`;
  if (/(s|x|z|ch|sh)es$/i.test(word)) return word.slice(0, -2);
  if (/[^s]s$/i.test(word)) return word.slice(0, -1);
  return word;
}

/** A safe route-param name from arbitrary text ("shop_id" -> "shop_id", "e-mail" -> "eMail"). */
export function paramName(text: string): string | undefined {
  const camel = text.replace(/[-\s.]+(\w)/g, (_, c: string) => c.toUpperCase()).replace(/[^\w$]/g, '');
  return /^[A-Za-z_$][\w$]*$/.test(camel) ? camel : undefined;
}
