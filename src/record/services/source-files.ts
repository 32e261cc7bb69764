/** The app's own source files (no node_modules, tests or build output) and import resolution. */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

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
