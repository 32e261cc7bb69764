/**
 * The work copy of the app: the original is never modified. Files are copied as they are (the
 * tracer instruments the modules the server loads, when it loads them); node_modules is not copied but linked: the copy gets a node_modules/ with a symlink
 * per package resolvable from the original app dir (nearest node_modules wins, scoped packages
 * too). Node resolves symlinks to real paths, so each package's own dependencies resolve from
 * where they really live — for CommonJS and ESM alike.
 */
import fs from 'node:fs';
import path from 'node:path';

const SKIP_DIRS = new Set(['node_modules', '.git', '.edgstr']);
const SOURCE = /\.(c|m)?js$/;

export interface CopyResult {
  /** App-relative paths (forward slashes) of the source files, with their module kind. */
  sources: { file: string; sourceType: 'module' | 'script' }[];
}

/** Nearest package.json "type" decides whether a .js file is ESM. */
function packageType(dir: string, root: string, cache: Map<string, 'module' | 'script'>): 'module' | 'script' {
  const hit = cache.get(dir);
  if (hit) return hit;
  let out: 'module' | 'script' = 'script';
  const pj = path.join(dir, 'package.json');
  if (fs.existsSync(pj)) {
    try {
      out = (JSON.parse(fs.readFileSync(pj, 'utf8')) as { type?: string }).type === 'module' ? 'module' : 'script';
    } catch {
      out = 'script';
    }
  } else if (dir !== root && dir !== path.dirname(dir)) out = packageType(path.dirname(dir), root, cache);
  cache.set(dir, out);
  return out;
}

/** Copies `appDir` to `dest` and lists its JavaScript source files with their module kind. */
export function copyApp(appDir: string, dest: string): CopyResult {
  const sources: CopyResult['sources'] = [];
  const types = new Map<string, 'module' | 'script'>();
  const walk = (rel: string): void => {
    const abs = path.join(appDir, rel);
    for (const ent of fs.readdirSync(abs, { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      const out = path.join(dest, r);
      if (ent.isDirectory()) {
        if (SKIP_DIRS.has(ent.name)) continue;
        fs.mkdirSync(out, { recursive: true });
        walk(r);
      } else if (ent.isFile()) {
        if (SOURCE.test(ent.name)) {
          const sourceType = ent.name.endsWith('.mjs') ? 'module' : ent.name.endsWith('.cjs') ? 'script' : packageType(path.dirname(path.join(appDir, r)), appDir, types);
          sources.push({ file: r, sourceType });
        }
        fs.copyFileSync(path.join(appDir, r), out);
      } else if (ent.isSymbolicLink()) {
        // node_modules is linked package by package below; a link to it (a shared install) is skipped here
        if (SKIP_DIRS.has(ent.name)) continue;
        try {
          fs.symlinkSync(fs.realpathSync(path.join(appDir, r)), out);
        } catch {
          // a dangling link in the app: nothing to copy
        }
      }
    }
  };
  fs.mkdirSync(dest, { recursive: true });
  walk('');
  linkNodeModules(appDir, dest);
  return { sources };
}

/** node_modules of the copy: one symlink per package visible from appDir, nearest first. */
export function linkNodeModules(appDir: string, dest: string): void {
  const nm = path.join(dest, 'node_modules');
  fs.mkdirSync(nm, { recursive: true });
  const seen = new Set<string>();
  let dir = path.resolve(appDir);
  for (;;) {
    const candidate = path.join(dir, 'node_modules');
    if (fs.existsSync(candidate)) {
      linkBins(path.join(candidate, '.bin'), path.join(nm, '.bin'));
      for (const ent of fs.readdirSync(candidate, { withFileTypes: true })) {
        if (ent.name.startsWith('.')) continue;
        if (ent.name.startsWith('@') && ent.isDirectory()) {
          for (const sub of fs.readdirSync(path.join(candidate, ent.name))) {
            const name = `${ent.name}/${sub}`;
            if (seen.has(name)) continue;
            seen.add(name);
            fs.mkdirSync(path.join(nm, ent.name), { recursive: true });
            try {
              fs.symlinkSync(fs.realpathSync(path.join(candidate, name)), path.join(nm, name));
            } catch {
              // a dangling link in the original node_modules: nothing to resolve there
            }
          }
        } else if (!seen.has(ent.name)) {
          seen.add(ent.name);
          try {
            fs.symlinkSync(fs.realpathSync(path.join(candidate, ent.name)), path.join(nm, ent.name));
          } catch {
            // a dangling link in the original node_modules: nothing to resolve there
          }
        }
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
}

/**
 * The commands of node_modules/.bin (nearest first), so a start command such as `tsx src/server.ts`
 * finds its tool in the copy as `npm start` would in the original (npm puts every .bin up the tree on PATH).
 */
function linkBins(from: string, to: string): void {
  if (!fs.existsSync(from)) return;
  fs.mkdirSync(to, { recursive: true });
  for (const name of fs.readdirSync(from)) {
    const dest = path.join(to, name);
    if (fs.existsSync(dest)) continue;
    try {
      fs.symlinkSync(fs.realpathSync(path.join(from, name)), dest);
    } catch {
      // a dangling link: nothing to run there
    }
  }
}
