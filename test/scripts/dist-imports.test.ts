/**
 * The scripts under scripts/ are plain JavaScript run against the built dist/, so the type check
 * does not see them: a module moved in src/ (generate/install.ts went to verify/) broke soak.mjs
 * and bench-sync.mjs silently. Every name they import from dist/ must be exported there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const SCRIPTS = ['scripts', 'scripts/lib'].flatMap((dir) =>
  fs.readdirSync(path.join(ROOT, dir)).filter((f) => f.endsWith('.mjs')).map((f) => path.join(ROOT, dir, f)),
);

describe('scripts/ import what dist/ exports', () => {
  it.each(SCRIPTS.map((f) => [path.relative(ROOT, f), f]))('%s', async (_name, file) => {
    const src = fs.readFileSync(file, 'utf8');
    const missing: string[] = [];
    for (const m of src.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(\.\.?\/[^']+)'/g)) {
      const target = path.resolve(path.dirname(file), m[2]!);
      if (!target.includes(`${path.sep}dist${path.sep}`)) continue;
      const mod = (await import(pathToFileURL(target).href)) as Record<string, unknown>;
      for (const name of m[1]!.split(',').map((s) => s.trim().split(/\s+as\s+/)[0]!).filter(Boolean)) {
        if (!(name in mod)) missing.push(`${name} from ${m[2]}`);
      }
    }
    expect(missing).toEqual([]);
  });
});
