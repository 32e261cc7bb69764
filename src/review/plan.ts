/**
 * The pure core of `edgstr review`: analysis + app sources + snapshot facts + previous decisions
 * → a {@link ReviewPlan}. No I/O here; load.ts reads the artefacts, presenters render the plan.
 */
import type { AnalyzedService } from '../model/analysis.js';
import { serviceId } from '../model/service-id.js';
import { indexDefinitions, type DefinitionIndex } from './definitions.js';
import { lineText, renderFrames, selectStatements, serviceLines } from './frames.js';
import { consistencyNote, exposureNote } from './notes.js';
import type { ReviewInput, ReviewPlan, ServicePlan, StateItem, StateKind } from './types.js';

const KINDS: ReadonlyArray<{ kind: StateKind; key: 'tables' | 'files' | 'globals' }> = [
  { kind: 'table', key: 'tables' },
  { kind: 'file', key: 'files' },
  { kind: 'global', key: 'globals' },
];

/** Builds the review plan for every service, in analysis.json order. */
export function buildReviewPlan(input: ReviewInput): ReviewPlan {
  const warnings: string[] = [];
  const missing = new Set<string>();
  const defs = indexDefinitions(input.sources);
  const services = input.analysis.services.map((svc) => {
    for (const loc of [...svc.entry, ...svc.statements, ...svc.exit]) {
      if (!input.sources.has(loc.file)) missing.add(loc.file);
    }
    return planService(svc, input, defs);
  });
  for (const file of [...missing].sort()) {
    warnings.push(`source ${file} (named in analysis.json) was not found under ${input.analysis.app.dir}; its code frames are left out`);
  }
  return { appDir: input.analysis.app.dir, services, warnings };
}

function planService(svc: AnalyzedService, input: ReviewInput, defs: DefinitionIndex): ServicePlan {
  // The id is rebuilt from method + route so hand-typed ids in flags compare equal to it.
  const id = serviceId(svc.method, svc.route);
  const lines = serviceLines(svc);
  const items: StateItem[] = [];
  for (const { kind, key } of KINDS) {
    const names = [...new Set([...svc.state.reads[key], ...svc.state.writes[key]])].sort();
    for (const name of names) {
      const reads = svc.state.reads[key].includes(name);
      const writes = svc.state.writes[key].includes(name);
      const picked = selectStatements(kind, name, lines, input.sources, defs);
      const texts = picked.fallback ? [] : picked.lines.map((s) => lineText(input.sources, s) ?? '');
      const { frames, omitted } = renderFrames(picked.lines, input.sources);
      const item: StateItem = {
        kind,
        name,
        reads,
        writes,
        frames,
        framesAreFallback: picked.fallback,
        omitted,
        note: consistencyNote(kind, name, reads, writes, texts),
      };
      const rows = kind === 'table' ? input.snapshot.tableRows.get(name) : undefined;
      if (rows !== undefined) item.rows = rows;
      items.push(item);
    }
  }

  const notes: string[] = [];
  const exposure: string[] = [];
  if (!svc.replicable) {
    notes.push(`cannot be replicated: ${svc.reason ?? 'analysis gave no reason'}; it is always forwarded to the cloud.`);
  } else {
    if (items.length === 0) notes.push('touches no state: an edge answers exactly as the cloud would.');
    if (items.some((i) => i.writes)) {
      notes.push(
        'an edge answers before it syncs: a client that moves to another edge, or reaches the cloud, may not see its own write until the next sync.',
      );
    }
    for (const item of items) exposure.push(exposureNote(item.kind, item.name, item.reads, item.rows));
  }
  if (lines.length === 0) notes.push('analysis.json lists no statements for this service, so no source can be shown.');

  return {
    id,
    method: svc.method.toUpperCase(),
    route: svc.route,
    stateful: svc.stateful,
    replicable: svc.replicable,
    reason: svc.reason,
    state: { reads: svc.state.reads, writes: svc.state.writes },
    items,
    notes,
    exposure,
    previous: input.previous?.get(id) ?? input.previous?.get(svc.id) ?? null,
  };
}
