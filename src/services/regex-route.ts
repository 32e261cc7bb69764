/**
 * Turns an anchored route regex from a hand-written router table into a template:
 * /^\/elements\/(?<symbol>[A-Z][a-z]?)$/ -> "/elements/:symbol". Returns undefined for anything
 * that is not a plain sequence of literal characters and whole-segment groups.
 */
export function regexToRoute(source: string): string | undefined {
  if (!source.startsWith('^')) return undefined;
  let s = source.slice(1);
  if (s.endsWith('$')) s = s.slice(0, -1);
  s = s.replace(/\\\/\?$/, '').replace(/\/\?$/, ''); // optional trailing slash
  let out = '';
  let unnamed = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') {
      const n = s[i + 1];
      if (n === undefined || /[A-Za-z0-9]/.test(n)) return undefined; // \d, \w, backrefs
      out += n;
      i++;
    } else if (c === '(') {
      const end = closingParen(s, i);
      if (end < 0) return undefined;
      const inner = s.slice(i + 1, end);
      if (inner.startsWith('?') && !inner.startsWith('?<')) return undefined; // (?:...), lookarounds
      const named = /^\?<([A-Za-z_$][\w$]*)>/.exec(inner);
      if (/[?*+{]/.test(s[end + 1] ?? '')) return undefined;
      out += `:${named ? named[1] : `param${++unnamed}`}`;
      i = end;
    } else if ('[.*+?|{}^$'.includes(c)) {
      return undefined;
    } else {
      out += c;
    }
  }
  return out.startsWith('/') ? out : undefined;
}

function closingParen(s: string, open: number): number {
  let depth = 0;
  let inClass = false;
  for (let i = open; i < s.length; i++) {
    const c = s[i]!;
    if (c === '\\') i++;
    else if (inClass) inClass = c !== ']';
    else if (c === '[') inClass = true;
    else if (c === '(') depth++;
    else if (c === ')' && --depth === 0) return i;
  }
  return -1;
}
