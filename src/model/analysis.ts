/**
 * analysis.json: what `edgstr analyze` found (DESIGN.md §3). Other tools read the fields below;
 * stages may add more (the schema passes unknown fields through).
 */
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
  app: z.looseObject({ dir: z.string(), start: z.string(), port: z.number().int().nonnegative() }),
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
