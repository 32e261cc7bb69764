/**
 * Generality check on the real subject apps: an analysis built from each subject's expected.json
 * (the handler's lines as the slice, the expected state) must let review point at the source
 * lines that touch each piece of state, in route modules, data modules and classes alike.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Analysis, SourceLoc } from '../../src/model/analysis.js';
import { listSourceFiles, readSources } from '../../src/review/load.js';
import { buildReviewPlan } from '../../src/review/plan.js';

const SUBJECTS = fileURLToPath(new URL('../../subjects/', import.meta.url));

interface ExpectedState {
  tables: string[];
  files: Array<string | { path: string }>;
  globals: string[];
}
interface Expected {
  services: Array<{ method: string; route: string; handler: { file: string; lines: [number, number] }; reads: ExpectedState; writes: ExpectedState; stateful: boolean }>;
}

function analysisOf(dir: string, expected: Expected): Analysis {
  const state = (s: ExpectedState) => ({ tables: s.tables, files: s.files.map((f) => (typeof f === 'string' ? f : f.path)), globals: s.globals });
  return {
    schemaVersion: 1,
    app: { dir, start: 'npm start', port: 0 },
    services: expected.services.map((s) => {
      const statements: SourceLoc[] = [];
      for (let line = s.handler.lines[0]; line <= s.handler.lines[1]; line++) statements.push({ file: s.handler.file, line });
      return {
        id: `${s.method} ${s.route}`,
        method: s.method,
        route: s.route,
        entry: statements.slice(0, 1),
        exit: statements.slice(-1),
        statements,
        state: { reads: state(s.reads), writes: state(s.writes) },
        stateful: s.stateful,
        replicable: true,
        reason: null,
        extracted: null,
      };
    }),
  };
}

const subjects = existsSync(SUBJECTS) ? readdirSync(SUBJECTS).filter((s) => existsSync(join(SUBJECTS, s, 'expected.json'))) : [];

describe.skipIf(subjects.length === 0)('review on the subject apps', () => {
  it('finds the statements touching nearly every piece of state (not the fallback)', () => {
    let items = 0;
    const missed: string[] = [];
    for (const subject of subjects) {
      const dir = join(SUBJECTS, subject);
      const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Expected;
      const analysis = analysisOf(dir, expected);
      const plan = buildReviewPlan({ analysis, sources: readSources(dir, listSourceFiles(dir)), snapshot: { tableRows: new Map() }, previous: null });
      expect(plan.warnings, subject).toEqual([]);
      for (const s of plan.services) {
        for (const item of s.items) {
          items++;
          if (item.framesAreFallback || item.frames.length === 0) missed.push(`${subject} ${s.id} ${item.kind} ${item.name}`);
        }
      }
    }
    expect(items).toBeGreaterThan(0);
    // Textual matching is a heuristic: allow a few misses as subjects evolve, and name them.
    expect(missed.length / items, missed.join('\n')).toBeLessThanOrEqual(0.1);
  });
});
