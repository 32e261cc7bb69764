/**
 * `edgstr review` as a library: read the work directory, build the plan, get a verdict per
 * service (flags or prompts), write decisions.json and, if asked, the HTML page.
 */
import { dirname, relative } from 'node:path';
import { UserError } from '../model/errors.js';
import { writeDecisions, type Decisions } from '../model/decisions.js';
import type { ServiceId } from '../model/service-id.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { decide, toDecisions, type Selection } from './decide.js';
import { loadReview } from './load.js';
import { buildReviewPlan, replicatedState } from './plan.js';
import { renderHtml } from './present-html.js';
import { renderService, type Colors } from './present-terminal.js';
import { askDecisions, type PromptIO } from './prompt.js';
import type { ReviewPlan } from './types.js';

export { buildReviewPlan } from './plan.js';
export { decide, toDecisions } from './decide.js';
export type { ReviewPlan, ServicePlan, StateItem } from './types.js';

/** What `runReview` needs; the CLI fills it from flags and the environment. */
export interface ReviewOptions {
  workdir: string;
  selection: Selection;
  /** Streams for the y/n questions, or null when there is no terminal. */
  prompt: PromptIO | null;
  /** Where to write the HTML page, if wanted. */
  html?: string;
  who: string;
  /** ISO time stamped on new decisions. */
  when: string;
  colors: Colors;
}

/** What review did. */
export interface ReviewResult {
  plan: ReviewPlan;
  decisions: Decisions;
  /** Notes for people: skipped, defaulted, dropped decisions. */
  notes: string[];
  interactive: boolean;
  decisionsFile: string;
  htmlFile?: string;
}

/** Runs the whole review; decisions.json is written only once every service has a verdict. */
export async function runReview(opts: ReviewOptions): Promise<ReviewResult> {
  const loaded = loadReview(opts.workdir);
  const plan = buildReviewPlan(loaded.input);
  const flagged = opts.selection.accept !== undefined || opts.selection.reject !== undefined;
  let answers: Map<ServiceId, boolean> | undefined;
  if (!flagged) {
    if (opts.prompt === null) {
      throw new UserError('review needs a decision per service and this is not a terminal: pass --accept all|LIST and/or --reject LIST');
    }
    for (const w of plan.warnings) opts.prompt.output.write(`warning: ${w}\n`);
    answers = await askDecisions(plan, opts.prompt, (s) => renderService(s, opts.colors));
  }
  const { verdicts, notes } = decide(plan, opts.selection, answers);
  const { decisions, dropped } = toDecisions(verdicts, loaded.previousDecisions, opts.who, opts.when);
  if (dropped.length > 0) notes.push(`decisions.json named services analysis.json no longer has; dropped: ${dropped.join(', ')}`);
  writeOrExplain(loaded.decisionsFile, 'decisions.json', () =>
    writeDecisions(loaded.decisionsFile, decisions, relative(dirname(loaded.decisionsFile), loaded.analysisFile)),
  );
  const result: ReviewResult = { plan, decisions, notes, interactive: !flagged, decisionsFile: loaded.decisionsFile };
  if (opts.html !== undefined) {
    const html = opts.html;
    writeOrExplain(html, '--html page', () => writeFileAtomic(html, renderHtml(plan, decisions, opts.when)));
    result.htmlFile = html;
  }
  return result;
}

/** File-system refusals (a directory in the way, no permission) are the user's to fix: one line. */
function writeOrExplain(file: string, what: string, write: () => void): void {
  try {
    write();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (typeof code !== 'string') throw err;
    throw new UserError(`${file}: cannot write the ${what} (${code}); choose a writable path`, { cause: err });
  }
}

/** The `--json` document. */
export function reviewJson(result: ReviewResult): unknown {
  return {
    decisions: result.decisionsFile,
    ...(result.htmlFile ? { html: result.htmlFile } : {}),
    leavesCloud: replicatedState(result.plan, (id) => result.decisions.get(id)?.accepted === true).map((r) => ({
      kind: r.kind,
      name: r.name,
      ...(r.rows !== undefined ? { rows: r.rows } : {}),
      services: r.services,
      note: r.exposure,
    })),
    services: result.plan.services.map((s) => ({
      id: s.id,
      accepted: result.decisions.get(s.id)?.accepted === true,
      stateful: s.stateful,
      replicable: s.replicable,
      reason: s.reason,
      state: s.state,
      notes: [...s.items.map((i) => `${i.kind} ${i.name}: ${i.note}`), ...s.notes],
      exposure: s.exposure,
      statements: Object.fromEntries(s.items.map((i) => [`${i.kind} ${i.name}`, i.frames.flatMap((f) => f.lines.map((l) => `${f.file}:${l}`))])),
    })),
  };
}
