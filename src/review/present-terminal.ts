/**
 * Terminal presentation of the review plan (stderr, for people). Pure: returns text; the caller
 * decides where it goes and whether colours are on.
 */
import type pc from 'picocolors';
import type { Decisions } from '../model/decisions.js';
import { replicatedState } from './plan.js';
import type { ReviewPlan, ServicePlan, StateItem } from './types.js';

/** picocolors' formatter set (coloured or plain). */
export type Colors = ReturnType<typeof pc.createColors>;

/** "read", "write" or "read + write". */
export function accessLabel(item: Pick<StateItem, 'reads' | 'writes'>): string {
  return item.reads && item.writes ? 'read + write' : item.writes ? 'write' : 'read';
}

/** "table seats (read + write; 3 rows at analysis time)". */
export function itemTitle(item: StateItem): string {
  const rows = item.rows === undefined ? '' : `; ${item.rows} row${item.rows === 1 ? '' : 's'} at analysis time`;
  return `${item.kind} ${item.name} (${accessLabel(item)}${rows})`;
}

const indent = (text: string, by: string): string =>
  text
    .split('\n')
    .map((l) => (l === '' ? l : by + l))
    .join('\n');

function renderItem(item: StateItem, c: Colors): string[] {
  const out = [`  ${c.bold(itemTitle(item))}`];
  if (item.frames.length === 0) out.push(c.dim('    (no source to show)'));
  else if (item.framesAreFallback) out.push(c.dim('    no statement names it; the service\'s statements:'));
  for (const f of item.frames) {
    out.push(`    ${c.cyan(`${f.file}:${f.lines[0]}`)}${f.via === undefined ? '' : c.dim(` (in ${f.via}, used by the service)`)}`);
    out.push(indent(f.text, '      '));
  }
  if (item.omitted > 0) out.push(c.dim(`    ... and ${item.omitted} more statement${item.omitted === 1 ? '' : 's'}`));
  out.push(`    ${c.yellow('eventual consistency:')} ${item.note}`);
  return out;
}

/** The full view of one service; `decision` adds its verdict line when known. */
export function renderService(s: ServicePlan, c: Colors, decision?: boolean): string {
  const tags = [
    s.stateful ? c.magenta('stateful') : c.green('stateless'),
    s.replicable ? c.green('replicable') : c.red('not replicable'),
  ];
  const out = [`${c.bold(s.id)}  ${tags.join(', ')}`];
  if (!s.replicable) out.push(`  ${c.red('reason:')} ${s.reason ?? 'no reason given'}`);
  if (s.previous !== null) out.push(c.dim(`  previous decision: ${s.previous ? 'accepted' : 'rejected'}`));
  for (const item of s.items) out.push(...renderItem(item, c));
  if (s.exposure.length > 0) {
    out.push(`  ${c.yellow('leaves the cloud (data the client did not send):')}`);
    for (const e of s.exposure) out.push(`    - ${e}`);
  }
  for (const n of s.notes) out.push(`  note: ${n}`);
  if (decision !== undefined) out.push(`  decision: ${decision ? c.green('accepted (answered at the edge)') : c.red('rejected (forwarded to the cloud)')}`);
  return out.join('\n');
}

/** Every service, then a summary of the decisions. */
export function renderPlan(plan: ReviewPlan, c: Colors, decisions?: Decisions): string {
  const parts = plan.warnings.map((w) => `${c.yellow('warning:')} ${w}`);
  for (const s of plan.services) parts.push(renderService(s, c, decisions?.get(s.id)?.accepted), '');
  if (decisions) parts.push(renderSummary(plan, c, decisions));
  return parts.join('\n');
}

/** One line per service with its verdict, and the count. */
export function renderSummary(plan: ReviewPlan, c: Colors, decisions: Decisions): string {
  const lines = plan.services.map((s) => {
    const ok = decisions.get(s.id)?.accepted === true;
    return `  ${ok ? c.green('accept') : c.red('reject')}  ${s.id}${s.replicable ? '' : c.dim('  (not replicable)')}`;
  });
  const n = plan.services.filter((s) => decisions.get(s.id)?.accepted === true).length;
  const out = [c.bold('decisions'), ...lines, `${n} of ${plan.services.length} services accepted for the edge`];
  const shipped = replicatedState(plan, (id) => decisions.get(id)?.accepted === true);
  if (shipped.length > 0) {
    out.push(c.yellow('with these decisions, this leaves the cloud for every edge:'));
    for (const r of shipped) out.push(`  - ${r.exposure} (${r.services.join(', ')})`);
  }
  return out.join('\n');
}
