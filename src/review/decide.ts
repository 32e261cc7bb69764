/**
 * Turns the developer's choices (flags or prompt answers) and the previous decisions.json into one
 * verdict per service. Pure: bad selections throw {@link UserError} with one line saying what to fix.
 */
import { UserError } from '../model/errors.js';
import type { Decision, Decisions } from '../model/decisions.js';
import { parseServiceId, type ServiceId } from '../model/service-id.js';
import type { ReviewPlan, Verdict } from './types.js';

/** What the flags asked for. `accept: 'all'` accepts every replicable service. */
export interface Selection {
  accept?: 'all' | readonly string[];
  reject?: readonly string[];
}

/** Verdicts for every service, plus notes for people (skipped, defaulted, dropped). */
export interface DecideResult {
  verdicts: Verdict[];
  notes: string[];
}

/** Resolves LIST entries to plan ids; unknown entries are one error naming them and the valid ids. */
export function resolveIds(plan: ReviewPlan, flag: string, entries: readonly string[]): Set<ServiceId> {
  const valid = new Set<string>(plan.services.map((s) => s.id));
  const out = new Set<ServiceId>();
  const unknown: string[] = [];
  for (const entry of entries) {
    const parsed = parseServiceId(entry);
    if (parsed && valid.has(parsed.id)) out.add(parsed.id);
    else unknown.push(entry);
  }
  if (unknown.length > 0) {
    throw new UserError(
      `${flag}: unknown service${unknown.length === 1 ? '' : 's'} ${unknown.map((u) => `"${u}"`).join(', ')}; ` +
        `valid ids (METHOD /route, comma-separated): ${[...valid].join(', ') || '(analysis.json has no services)'}`,
    );
  }
  return out;
}

/**
 * Combines flags, interactive answers and previous decisions. Precedence: explicit flag or answer,
 * then `--accept all`, then the previous decision, then rejection (the safe default: forwarded).
 */
export function decide(plan: ReviewPlan, selection: Selection, answers?: ReadonlyMap<ServiceId, boolean>): DecideResult {
  const acceptAll = selection.accept === 'all';
  const accepted = selection.accept === undefined || acceptAll ? new Set<ServiceId>() : resolveIds(plan, '--accept', selection.accept as readonly string[]);
  const rejected = resolveIds(plan, '--reject', selection.reject ?? []);

  const both = [...accepted].filter((id) => rejected.has(id));
  if (both.length > 0) {
    throw new UserError(`${both.join(', ')}: both in --accept and in --reject; name each service in only one of them`);
  }
  const blocked = plan.services.filter((s) => accepted.has(s.id) && !s.replicable);
  if (blocked.length > 0) {
    const first = blocked[0]!;
    throw new UserError(
      `--accept: ${blocked.map((s) => s.id).join(', ')} cannot be replicated (${first.reason ?? 'no reason given'}); remove ${blocked.length === 1 ? 'it' : 'them'} from --accept`,
    );
  }

  const verdicts: Verdict[] = [];
  const notes: string[] = [];
  const defaulted: string[] = [];
  for (const s of plan.services) {
    if (!s.replicable) {
      verdicts.push({ id: s.id, accepted: false, source: 'not-replicable' });
      if (acceptAll) notes.push(`${s.id} skipped by --accept all: cannot be replicated (${s.reason ?? 'no reason given'})`);
      else if (s.previous === true) notes.push(`${s.id} was accepted before but cannot be replicated now; rejected`);
      continue;
    }
    const answer = answers?.get(s.id);
    if (accepted.has(s.id)) verdicts.push({ id: s.id, accepted: true, source: 'flag' });
    else if (rejected.has(s.id)) verdicts.push({ id: s.id, accepted: false, source: 'flag' });
    else if (answer !== undefined) verdicts.push({ id: s.id, accepted: answer, source: 'prompt' });
    else if (acceptAll) verdicts.push({ id: s.id, accepted: true, source: 'flag' });
    else if (s.previous !== null) verdicts.push({ id: s.id, accepted: s.previous, source: 'previous' });
    else {
      verdicts.push({ id: s.id, accepted: false, source: 'default' });
      defaulted.push(s.id);
    }
  }
  if (defaulted.length > 0) {
    notes.push(`not mentioned and not decided before, so rejected (forwarded to the cloud): ${defaulted.join(', ')}`);
  }
  return { verdicts, notes };
}

/**
 * The decisions to write: new or changed verdicts carry who/when; an unchanged verdict keeps the
 * previous file's author, time and note. Ids of the previous file that are no longer analysed are dropped
 * (and reported), since nothing downstream could use them.
 */
export function toDecisions(
  verdicts: readonly Verdict[],
  previous: Decisions | null,
  who: string,
  when: string,
): { decisions: Decisions; dropped: string[] } {
  const decisions: Decisions = new Map();
  for (const v of verdicts) {
    const prev = previous?.get(v.id);
    // A verdict that did not change keeps who made it and when, so re-running review is stable.
    if (prev && prev.accepted === v.accepted) {
      decisions.set(v.id, prev);
      continue;
    }
    const d: Decision = { accepted: v.accepted, by: who, at: when };
    if (v.source === 'not-replicable') d.note = 'cannot be replicated';
    else if (v.source === 'default') d.note = 'not decided; rejected by default';
    decisions.set(v.id, d);
  }
  const known = new Set<string>(verdicts.map((v) => v.id));
  const dropped = previous ? [...previous.keys()].filter((id) => !known.has(id)) : [];
  return { decisions, dropped };
}
