/**
 * The init state: the app's data as it was when recording started. The user records against a
 * live server, and by the time `analyze` runs its database holds what the traffic did; replaying
 * the traffic from there answers differently (the record it creates exists already, counters are
 * further along). `edgstr record --app DIR` keeps a copy of the data first, and analyze restores
 * it into its work copy of the app:
 *
 *     <workdir>/init-state/manifest.json    which files, taken when, how
 *     <workdir>/init-state/files/<path>     each data file (SQLite through its backup API)
 *
 * The app's data is every file of DIR that is not code, configuration or a dependency (see
 * {@link isAppCode}); SQLite files are copied with better-sqlite3's online backup, so a database
 * in WAL mode that the server is writing to is copied consistently.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { UserError } from './errors.js';
import { readJsonArtefact } from './read-json.js';
import { isSqliteFile, SQLITE_COMPANION } from '../util/sqlite-file.js';

/** A single data file larger than this is not kept (the analysis then uses it as it is). */
const MAX_FILE_BYTES = 64 * 1024 * 1024;
/** All data files together. */
const MAX_TOTAL_BYTES = 256 * 1024 * 1024;

const SKIP_DIRS = new Set(['node_modules', '.git', '.edgstr', '.hg', '.svn']);
const CODE = /\.(c|m)?(j|t)sx?$|\.d\.ts$|\.map$|\.(md|markdown)$|^(package(-lock)?\.json|yarn\.lock|pnpm-lock\.yaml|npm-shrinkwrap\.json|tsconfig[\w.-]*\.json|jsconfig\.json|\.?eslintrc[\w.]*|\.prettierrc[\w.]*|\.gitignore|\.npmrc|\.nvmrc|\.env[\w.]*|Dockerfile|LICEN[CS]E[\w.]*|README[\w.]*|CHANGELOG[\w.]*)$/i;

/** True for files that are the app's code or configuration, not its data. */
export function isAppCode(rel: string): boolean {
  return CODE.test(path.basename(rel));
}


const ManifestSchema = z.object({
  schemaVersion: z.literal(1),
  app: z.string(),
  takenAt: z.string(),
  files: z.array(z.object({ path: z.string(), kind: z.enum(['sqlite', 'file']), bytes: z.number() })),
  /** Data files too large to keep: analyze leaves them as they are. */
  skipped: z.array(z.string()),
});

/** What `record --app` kept. */
export type InitStateManifest = z.infer<typeof ManifestSchema>;

/** The data files of an app (app-relative, forward slashes), in a stable order. */
export function dataFiles(appDir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const ent of fs.readdirSync(path.join(appDir, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) {
        if (!SKIP_DIRS.has(ent.name)) walk(r);
      } else if (ent.isFile() && !isAppCode(r) && !SQLITE_COMPANION.test(ent.name) /* SQLite's companions: never data of their own (the backup includes them) */) out.push(r);
    }
  };
  walk('');
  return out.sort();
}

export function initStateDir(workdir: string): string {
  return path.join(workdir, 'init-state');
}

/**
 * Copies the app's data into `<workdir>/init-state` (replacing an earlier copy). `skip` names
 * paths (absolute) to leave out, e.g. the HAR being written inside the app's folder.
 */
export async function snapshotInitState(appDir: string, workdir: string, skip: readonly string[] = []): Promise<InitStateManifest> {
  const app = path.resolve(appDir);
  if (!fs.existsSync(app) || !fs.statSync(app).isDirectory()) {
    throw new UserError(`--app ${appDir} is not a directory; give the app's root directory (the one the server keeps its data under)`);
  }
  const dir = initStateDir(workdir);
  const tmp = `${dir}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'files'), { recursive: true });
  const skipped = new Set(skip.map((s) => path.resolve(s)));
  const workAbs = path.resolve(workdir);
  const manifest: InitStateManifest = { schemaVersion: 1, app, takenAt: new Date().toISOString(), files: [], skipped: [] };
  let total = 0;
  try {
    for (const rel of dataFiles(app)) {
      const abs = path.join(app, rel);
      if (skipped.has(abs) || abs.startsWith(workAbs + path.sep)) continue;
      const bytes = fs.statSync(abs).size;
      if (bytes > MAX_FILE_BYTES || total + bytes > MAX_TOTAL_BYTES) {
        manifest.skipped.push(rel);
        continue;
      }
      const dest = path.join(tmp, 'files', rel);
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      if (isSqliteFile(abs)) {
        const db = new Database(abs, { readonly: true, fileMustExist: true });
        try {
          await db.backup(dest);
        } finally {
          db.close();
        }
        manifest.files.push({ path: rel, kind: 'sqlite', bytes });
      } else {
        fs.copyFileSync(abs, dest);
        manifest.files.push({ path: rel, kind: 'file', bytes });
      }
      total += bytes;
    }
    fs.writeFileSync(path.join(tmp, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(tmp, dir);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return manifest;
}

/** The kept init state of a work directory, or null when `record` was run without --app. */
export function readInitState(workdir: string): InitStateManifest | null {
  const file = path.join(initStateDir(workdir), 'manifest.json');
  if (!fs.existsSync(file)) return null;
  return readJsonArtefact(file, ManifestSchema, 'init state manifest', 'record again with `edgstr record --app DIR`');
}

/**
 * Puts the kept init state into `copyRoot` (analyze's work copy of the app): its data files
 * become exactly the kept ones — kept files are written back, data files created after the
 * recording started are removed (files too large to keep are left alone), and SQLite's -wal/-shm
 * companions of a restored database are dropped, since the kept copy is complete without them.
 */
export function restoreInitState(workdir: string, manifest: InitStateManifest, copyRoot: string): void {
  const kept = new Set(manifest.files.map((f) => f.path));
  const leave = new Set(manifest.skipped);
  for (const rel of dataFiles(copyRoot)) {
    if (kept.has(rel) || leave.has(rel)) continue;
    for (const c of ['', '-wal', '-shm', '-journal']) fs.rmSync(path.join(copyRoot, rel) + c, { force: true });
  }
  for (const f of manifest.files) {
    const dest = path.join(copyRoot, f.path);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(path.join(initStateDir(workdir), 'files', f.path), dest);
    if (f.kind === 'sqlite') for (const c of ['-wal', '-shm', '-journal']) fs.rmSync(dest + c, { force: true });
  }
}
