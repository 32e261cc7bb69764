/**
 * The files of the init state that the app made itself. The init state is the app right after
 * it started (the checkpoint), not its folder before: an app that copies sample photos into
 * uploads/ or writes a default config at its first start holds those files in its init state,
 * and the generated cloud and edges must start with them (else the edges answer 404 for what the
 * cloud serves). Taken from the working copy right after the checkpoint, before any replay.
 */
import fs from 'node:fs';
import path from 'node:path';

const SKIP_DIRS = new Set(['node_modules', '.git']);

/**
 * Copies every regular file under `copyRoot` changed since `sinceMs` (the app's start) into
 * `dest`, by app-relative path. Returns the app-relative posix paths copied.
 */
export function keepFilesMadeAtStart(copyRoot: string, sinceMs: number, dest: string): string[] {
  const kept: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const abs = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(abs);
        continue;
      }
      if (!entry.isFile() || fs.statSync(abs).mtimeMs < sinceMs) continue;
      const rel = path.relative(copyRoot, abs);
      fs.mkdirSync(path.dirname(path.join(dest, rel)), { recursive: true });
      fs.copyFileSync(abs, path.join(dest, rel));
      kept.push(rel.split(path.sep).join('/'));
    }
  };
  walk(copyRoot);
  return kept;
}

/**
 * Where a file of the init state is: made at start-up (kept in `startDir`), else as `record --app`
 * kept it when recording started (`initDir`, restored into the copy before the app started), else
 * the app's own.
 */
export function initFile(appDir: string, startDir: string | undefined, rel: string, initDir?: string): string {
  for (const dir of [startDir, initDir]) {
    if (dir && fs.existsSync(path.join(dir, rel))) return path.join(dir, rel);
  }
  return path.join(appDir, rel);
}
