/**
 * The pure core of `edgstr review`: analysis + app sources + snapshot facts + previous decisions
 * → a {@link ReviewPlan}. No I/O here; load.ts reads the artefacts, presenters render the plan.
 */
import type { AnalyzedService } from '../model/analysis.js';
import { widenCollections } from '../model/file-collections.js';
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
  const collections = widenedDirectories(input);
  const services = input.analysis.services.map((svc) => {
    for (const loc of [...svc.entry, ...svc.statements, ...svc.exit]) {
      if (!input.sources.has(loc.file)) missing.add(loc.file);
    }
    return planService(svc, input, defs, collections);
  });
  for (const file of [...missing].sort()) {
    warnings.push(`source ${file} (named in analysis.json) was not found under ${input.analysis.app.dir}; its code frames are left out`);
  }
  return { appDir: input.analysis.app.dir, services, warnings };
}

/**
 * Directories generate will replicate as a whole although the recording touched only some of
 * their entries (a collection keyed by request data, like uploads/<cardId>/): computed over the
 * files of every replicable service, as generate does over the accepted ones.
 */
function widenedDirectories(input: ReviewInput): Map<string, string[]> {
  const files = new Set<string>();
  for (const svc of input.analysis.services) {
    if (!svc.replicable) continue;
    for (const f of [...svc.state.reads.files, ...svc.state.writes.files]) files.add(f);
  }
  const recorded = [...files];
  const out = new Map<string, string[]>();
  for (const p of widenCollections(recorded, [...input.sources.keys()], input.snapshot.databases ?? [])) {
    if (!files.has(p)) out.set(p, recorded.filter((f) => f.startsWith(p)).sort());
  }
  return out;
}

function planService(svc: AnalyzedService, input: ReviewInput, defs: DefinitionIndex, collections: ReadonlyMap<string, string[]>): ServicePlan {
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
    const widened = [...collections].filter(([dir]) => items.some((i) => i.kind === 'file' && i.name.startsWith(dir)));
    for (const [dir, seen] of widened) {
      exposure.push(`the whole directory ${dir} is replicated, not only what the recording touched (${seen.join(', ')}): it holds entries keyed by request data, so entries created later reach every edge too, and everything in it leaves the cloud`);
    }
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

/** One piece of state replicated by the accepted services, and which of them touch it. */
export interface ReplicatedState {
  kind: StateKind;
  name: string;
  /** True when some accepted service reads it: then all of it is shipped to every edge. */
  read: boolean;
  rows?: number;
  services: string[];
  /** What leaves the cloud because of it (issue 6). */
  exposure: string;
}

/** The union of the state the accepted services replicate: everything that leaves the cloud. */
export function replicatedState(plan: ReviewPlan, accepted: (id: string) => boolean): ReplicatedState[] {
  const byKey = new Map<string, ReplicatedState>();
  for (const s of plan.services) {
    if (!s.replicable || !accepted(s.id)) continue;
    for (const item of s.items) {
      const key = `${item.kind}\u0000${item.name}`;
      const entry = byKey.get(key) ?? { kind: item.kind, name: item.name, read: false, services: [], exposure: '' };
      entry.read ||= item.reads;
      if (item.rows !== undefined) entry.rows = item.rows;
      entry.services.push(s.id);
      byKey.set(key, entry);
    }
  }
  const order: Record<StateKind, number> = { table: 0, file: 1, global: 2 };
  return [...byKey.values()]
    .map((e) => ({ ...e, exposure: exposureNote(e.kind, e.name, e.read, e.rows) }))
    .sort((a, b) => order[a.kind] - order[b.kind] || a.name.localeCompare(b.name));
}
