/**
 * decisions.json: the developer's verdict per service (written by `edgstr review`, hand-editable).
 * The hand-edited shape is lenient (a bare boolean or "accept"/"reject" per service is fine);
 * {@link normalizeDecisions} turns it into the normalized shape the later stages use.
 */
import { z } from 'zod';
import { writeJsonAtomic } from '../util/atomic-write.js';
import { readJsonArtefact } from './read-json.js';

const VerdictSchema = z.union([
  z.boolean(),
  z.enum(['accept', 'accepted', 'reject', 'rejected']),
  z.looseObject({
    accepted: z.boolean(),
    by: z.string().optional(),
    at: z.string().optional(),
    note: z.string().optional(),
  }),
]);

export const DecisionsFileSchema = z.looseObject({
  schemaVersion: z.literal(1),
  analysis: z.string().optional(),
  services: z.record(z.string(), VerdictSchema),
});
/** decisions.json as a person may have edited it. */
export type DecisionsFile = z.infer<typeof DecisionsFileSchema>;

/** One normalized decision. */
export interface Decision {
  accepted: boolean;
  by: string;
  at: string;
  note?: string;
}

/** Normalized decisions: service id → decision. */
export type Decisions = Map<string, Decision>;

export function normalizeDecisions(file: DecisionsFile): Decisions {
  const out: Decisions = new Map();
  for (const [id, v] of Object.entries(file.services)) {
    if (typeof v === 'boolean') out.set(id, { accepted: v, by: 'unknown', at: '' });
    else if (typeof v === 'string') out.set(id, { accepted: v.startsWith('accept'), by: 'unknown', at: '' });
    else {
      const d: Decision = { accepted: v.accepted, by: v.by ?? 'unknown', at: v.at ?? '' };
      if (v.note !== undefined) d.note = v.note;
      out.set(id, d);
    }
  }
  return out;
}

export function readDecisions(file: string): Decisions {
  return normalizeDecisions(
    readJsonArtefact(file, DecisionsFileSchema, 'decisions.json', 'fix it by hand or run `edgstr review` again'),
  );
}

export function writeDecisions(file: string, decisions: Decisions, analysisFile?: string): void {
  const services: Record<string, { accepted: boolean; by: string; at: string; note?: string }> = {};
  for (const [id, d] of [...decisions].sort(([a], [b]) => a.localeCompare(b))) services[id] = { ...d };
  writeJsonAtomic(file, { schemaVersion: 1, ...(analysisFile ? { analysis: analysisFile } : {}), services });
}
