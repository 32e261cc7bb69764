/**
 * What a single path segment looks like, for route inference. Strong ids (numbers, UUIDs, hex
 * ids, long random tokens, dates) are parameters wherever they appear; other values need evidence.
 */
import { idForm } from '../model/ids.js';

/** A number (signed, decimal) or an ISO date: a parameter value, not a word, though not an id. */
const NUMBER_OR_DATE = /^-?\d+(\.\d+)?$|^\d{4}-\d{2}-\d{2}(T[\d:.]+Z?)?$/;

/**
 * True when the segment is a parameter by its form alone: an id that is not also a plausible
 * route word (model/ids.ts: integer, UUID, hex, random token; not a `code` like "report2024"),
 * a number or a date.
 */
export function isStrongId(seg: string): boolean {
  const form = idForm(seg);
  return (form !== null && form !== 'code') || NUMBER_OR_DATE.test(seg);
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
