/**
 * The I/O side of review: reads analysis.json, the app's source files, the snapshot and the
 * previous decisions.json into the plain objects the pure core takes.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { readAnalysis, type Analysis } from '../model/analysis.js';
import { readDecisions, type Decisions } from '../model/decisions.js';
import { parseServiceId } from '../model/service-id.js';
import { isSqliteFile } from '../util/sqlite-file.js';
import type { ReviewInput, SnapshotFacts } from './types.js';

/** Everything review reads from the work directory, plus the previous decisions in full. */
export interface LoadedReview {
  input: ReviewInput;
  previousDecisions: Decisions | null;
  analysisFile: string;
  decisionsFile: string;
  /** Where the app's source was looked for (null when not found). */
  appDir: string | null;
}

/**
 * analysis.json names the app dir "as given" to analyze, i.e. relative to the directory analyze
 * ran in: usually the current one, else the parent of the work directory.
 */
export function resolveAppDir(given: string, workdir: string): string | null {
  const candidates = isAbsolute(given) ? [given] : [resolve(given), resolve(dirname(workdir), given)];
  return candidates.find((c) => existsSync(c) && statSync(c).isDirectory()) ?? null;
}

/** Reads the app-relative files; paths that leave the app dir are never read. */
export function readSources(appDir: string | null, files: Iterable<string>): Map<string, string> {
  const out = new Map<string, string>();
  if (appDir === null) return out;
  for (const file of new Set(files)) {
    const abs = resolve(appDir, file);
    const rel = relative(appDir, abs);
    if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) continue;
    try {
      out.set(file, readFileSync(abs, 'utf8'));
    } catch {
      // A missing source only costs its code frames; the plan warns about it.
    }
  }
  return out;
}

const SOURCE_EXT = /\.(m?js|cjs|jsx|m?ts|cts|tsx)$/;
const MAX_SOURCE_FILES = 2000;
const MAX_SOURCE_BYTES = 1_000_000;

/**
 * The app's own source files (app-relative), so helpers a service calls can be found even when
 * the slice in analysis.json does not list their module. node_modules and dot dirs are skipped.
 */
export function listSourceFiles(appDir: string | null): string[] {
  if (appDir === null) return [];
  const out: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 12 || out.length >= MAX_SOURCE_FILES) return;
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p, depth + 1);
      else if (e.isFile() && SOURCE_EXT.test(e.name) && !e.name.endsWith('.d.ts') && statSync(p).size <= MAX_SOURCE_BYTES) {
        if (out.length < MAX_SOURCE_FILES) out.push(relative(appDir, p).split(sep).join('/'));
      }
    }
  };
  walk(appDir, 0);
  return out;
}

function listFiles(dir: string, depth: number): string[] {
  if (depth < 0) return [];
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return listFiles(p, depth - 1);
    return e.isFile() ? [p] : [];
  });
}

/** Row counts of every table in every SQLite file under snapshot/ (tolerant: unreadable files are skipped). */
export function readSnapshotFacts(snapshotDir: string): SnapshotFacts {
  const tableRows = new Map<string, number>();
  const databases: string[] = [];
  // Analyze keeps the init state under snapshot/files/<app-relative path>.
  const filesDir = join(snapshotDir, 'files');
  for (const file of listFiles(snapshotDir, 6).filter(isSqliteFile)) {
    const rel = relative(filesDir, file);
    if (!rel.startsWith('..') && !isAbsolute(rel)) databases.push(rel.split(sep).join('/'));
    let db: Database.Database | undefined;
    try {
      db = new Database(file, { readonly: true, fileMustExist: true });
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>;
      for (const { name } of tables) {
        const row = db.prepare(`SELECT COUNT(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number };
        tableRows.set(name, (tableRows.get(name) ?? 0) + row.n);
      }
    } catch {
      // Not ours to fix: a snapshot we cannot read only loses the row counts.
    } finally {
      db?.close();
    }
  }
  return { tableRows, databases };
}

/** Previous decisions with ids normalized ("get /a/" → "GET /a"), or null without decisions.json. */
export function readPreviousDecisions(file: string): Decisions | null {
  if (!existsSync(file)) return null;
  const raw = readDecisions(file);
  const out: Decisions = new Map();
  for (const [id, d] of raw) out.set(parseServiceId(id)?.id ?? id, d);
  return out;
}

/** Reads every artefact review needs from the work directory. */
export function loadReview(workdir: string): LoadedReview {
  const analysisFile = join(workdir, 'analysis.json');
  const decisionsFile = join(workdir, 'decisions.json');
  const analysis: Analysis = readAnalysis(analysisFile);
  const previousDecisions = readPreviousDecisions(decisionsFile);
  const appDir = analysis.app.absoluteDir && existsSync(analysis.app.absoluteDir) ? analysis.app.absoluteDir : resolveAppDir(analysis.app.dir, workdir);
  const files = [...analysis.services.flatMap((s) => [...s.entry, ...s.statements, ...s.exit].map((l) => l.file)), ...listSourceFiles(appDir)];
  const previous = previousDecisions ? new Map([...previousDecisions].map(([id, d]) => [id, d.accepted])) : null;
  return {
    input: { analysis, sources: readSources(appDir, files), snapshot: readSnapshotFacts(join(workdir, 'snapshot')), previous },
    previousDecisions,
    analysisFile,
    decisionsFile,
    appDir,
  };
}
