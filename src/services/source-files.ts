/** The app's own source files (no node_modules, tests or build output) and import resolution. */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';

const SOURCE = /\.(c|m)?(j|t)sx?$/;
const SKIP_DIRS = new Set(['node_modules', 'test', 'tests', '__tests__', 'spec', 'coverage', '.git']);

export function listSourceFiles(dir: string, limit = 5_000): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (out.length >= limit) return;
      if (e.isDirectory()) {
        if (!SKIP_DIRS.has(e.name) && !e.name.startsWith('.')) walk(join(d, e.name));
      } else if (SOURCE.test(e.name) && !/\.(test|spec)\.[cm]?[jt]sx?$/.test(e.name) && !e.name.endsWith('.d.ts')) {
        out.push(join(d, e.name));
      }
    }
  };
  walk(dir);
  return out.sort();
}

const EXTS = ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '.tsx', '.jsx'];

/** Resolves a relative import to a file of the app; packages (bare specifiers) give undefined. */
export function resolveImport(fromFile: string, spec: string): string | undefined {
  if (!spec.startsWith('.') && !spec.startsWith('/')) return undefined;
  const base = resolve(dirname(fromFile), spec);
  const candidates = [...EXTS.map((e) => base + e), ...EXTS.slice(1).map((e) => join(base, `index${e}`))];
  // TypeScript ESM writes './x.js' for './x.ts'.
  if (/\.[cm]?js$/.test(base)) candidates.push(base.replace(/\.([cm]?)js$/, '.$1ts'), base.replace(/\.js$/, '.tsx'));
  return candidates.find((c) => existsSync(c) && statSync(c).isFile());
}

const IMPORT_SPEC = /(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s+|\bimport\s+)(['"])(\.{1,2}\/[^'"]*|\.{1,2})\1/g;

/** The server's entry file: the start script's `node FILE`, package.json main, or the usual names. */
export function serverEntry(dir: string): string | undefined {
  const root = resolve(dir);
  let pkg: { main?: unknown; scripts?: { start?: unknown } } = {};
  try {
    pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as typeof pkg;
  } catch {
    // no package.json: the usual names below
  }
  const candidates: string[] = [];
  if (typeof pkg.scripts?.start === 'string') {
    for (const tok of pkg.scripts.start.split(/\s+/)) if (/^[\w./@-]+$/.test(tok) && !tok.startsWith('-')) candidates.push(tok);
  }
  if (typeof pkg.main === 'string') candidates.push(pkg.main);
  candidates.push('server.js', 'app.js', 'index.js', 'src/server.js', 'src/app.js', 'src/index.js');
  for (const c of candidates) {
    const hit = resolveImport(join(root, 'package.json'), c.startsWith('.') ? c : `./${c}`);
    if (hit && SOURCE.test(hit) && !hit.includes(`${sep}node_modules${sep}`)) return hit;
  }
  return undefined;
}

/**
 * The source files the server loads: its entry and what it imports relatively, transitively
 * (issue #11: a front-end, a browser bundle or build scripts beside the server are not its code,
 * and a file it never loads is no reason to warn). Without a recognisable entry, every source file.
 */
export function listServerFiles(dir: string, limit = 5_000): string[] {
  const entry = serverEntry(dir);
  if (!entry) return listSourceFiles(dir, limit);
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length && seen.size < limit) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    let code: string;
    try {
      code = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const m of code.matchAll(IMPORT_SPEC)) {
      const target = resolveImport(file, m[2]!);
      if (target && SOURCE.test(target) && !seen.has(target)) stack.push(target);
    }
  }
  return [...seen].sort();
}
