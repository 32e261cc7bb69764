/**
 * analysis.json: what `edgstr analyze` found (DESIGN.md §3). Other tools read the fields below;
 * stages may add more (the schema passes unknown fields through).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { readJsonArtefact } from './read-json.js';

export const SourceLocSchema = z.looseObject({
  file: z.string().min(1),
  line: z.number().int().positive(),
  column: z.number().int().nonnegative().optional(),
});
/** A statement in the app's original source: path relative to the app root, 1-based line. */
export type SourceLoc = z.infer<typeof SourceLocSchema>;

const StateSetSchema = z.looseObject({
  tables: z.array(z.string()),
  files: z.array(z.string()),
  globals: z.array(z.string()),
});
/** Tables, files (app-relative, concrete) and globals (`name` or `Class#field`). */
export type StateSet = z.infer<typeof StateSetSchema>;

export const AnalyzedServiceSchema = z.looseObject({
  id: z.string().min(1),
  method: z.string().min(1),
  route: z.string().startsWith('/'),
  entry: z.array(SourceLocSchema),
  exit: z.array(SourceLocSchema),
  statements: z.array(SourceLocSchema),
  state: z.looseObject({ reads: StateSetSchema, writes: StateSetSchema }),
  stateful: z.boolean(),
  replicable: z.boolean(),
  reason: z.string().nullable(),
  extracted: z.string().nullable(),
});
/** One service of the Subject, with its slice and the state it reads and writes. */
export type AnalyzedService = z.infer<typeof AnalyzedServiceSchema>;

export const AnalysisSchema = z.looseObject({
  schemaVersion: z.literal(1),
  app: z.looseObject({
    /** As given to `analyze --app` (DESIGN.md §3). */
    dir: z.string(),
    /** The same directory, absolute: later stages find the app from any working directory. */
    absoluteDir: z.string().optional(),
    start: z.string(),
    port: z.number().int().nonnegative(),
  }),
  /** The traffic analyze used (absolute path): verify and bench replay the same. */
  traffic: z.string().optional(),
  services: z.array(AnalyzedServiceSchema),
});
/** The whole analysis.json document. */
export type Analysis = z.infer<typeof AnalysisSchema>;

export function readAnalysis(file: string): Analysis {
  return readJsonArtefact(file, AnalysisSchema, 'analysis.json', 'run `edgstr analyze` to (re)write it');
}

export function writeAnalysis(file: string, analysis: Analysis): void {
  writeJsonAtomic(file, analysis);
}

/**
 * The app's directory: the absolute one analyze stored when it still exists (the app may have
 * moved), else `dir` as given, from the current directory or beside the work directory.
 */
export function appDirCandidates(analysis: Analysis, workdir: string): string[] {
  const given = analysis.app.dir;
  const absolute = analysis.app.absoluteDir;
  const relativeOnes = isAbsolute(given) ? [given] : [resolve(given), resolve(dirname(workdir), given), resolve(workdir, given)];
  return [...(absolute ? [absolute] : []), ...relativeOnes];
}

/**
 * The recorded traffic a later stage replays: `--traffic` when given; else the traffic analyze
 * used (analysis.json `traffic`) when that file is still there; else <workdir>/traffic.har.
 */
export function trafficFileFor(workdir: string, given?: string): string {
  if (given) return resolve(given);
  const analysisFile = join(workdir, 'analysis.json');
  if (existsSync(analysisFile)) {
    const used = readAnalysis(analysisFile).traffic;
    if (used && existsSync(used)) return used;
  }
  return join(workdir, 'traffic.har');
}
