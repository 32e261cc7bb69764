/**
 * Interactive review: shows each service's plan and asks y/n. Streams are injected so tests can
 * drive it without a terminal. Nothing is written here; the caller writes decisions.json only
 * after every question was answered, so Ctrl-C or end of input leaves the old file untouched.
 */
import { createInterface } from 'node:readline';
import { UserError } from '../model/errors.js';
import type { ServiceId } from '../model/service-id.js';
import type { ReviewPlan, ServicePlan } from './types.js';

/** Where questions go and answers come from. */
export interface PromptIO {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/** Parses an answer: true/false, `null` for empty (take the default), undefined for gibberish. */
export function parseAnswer(text: string): boolean | null | undefined {
  const a = text.trim().toLowerCase();
  if (a === '') return null;
  if (a === 'y' || a === 'yes') return true;
  if (a === 'n' || a === 'no') return false;
  return undefined;
}

/**
 * Asks about every replicable service in turn; `render` gives the text shown before each question.
 * Resolves to the answers; rejects with a UserError on Ctrl-C or end of input.
 */
export async function askDecisions(plan: ReviewPlan, io: PromptIO, render: (s: ServicePlan) => string): Promise<Map<ServiceId, boolean>> {
  const terminal = (io.output as NodeJS.WriteStream).isTTY === true && (io.input as NodeJS.ReadStream).isTTY === true;
  const rl = createInterface({ input: io.input, output: io.output, terminal });
  // Created before any line can arrive: lines emitted before the iterator exists would be lost.
  const lines = rl[Symbol.asyncIterator]();
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    io.output.write('\n');
    rl.close();
  });
  const answers = new Map<ServiceId, boolean>();
  try {
    const total = plan.services.length;
    for (const [i, s] of plan.services.entries()) {
      io.output.write(`\n[${i + 1}/${total}] ${render(s)}\n`);
      if (!s.replicable) {
        io.output.write('  -> always forwarded to the cloud (cannot be replicated)\n');
        continue;
      }
      const def = s.previous ?? false;
      for (;;) {
        io.output.write(`Replicate ${s.id} at the edge (eventual consistency)? ${def ? '[Y/n]' : '[y/N]'} `);
        const next = await lines.next();
        if (next.done || interrupted) {
          if (next.done && !interrupted) io.output.write('\n');
          throw new UserError(`review ${interrupted ? 'interrupted' : 'input ended'} before every service was decided; decisions.json was not changed`);
        }
        const answer = parseAnswer(next.value);
        if (answer === undefined) {
          io.output.write('  please answer y or n\n');
          continue;
        }
        answers.set(s.id, answer ?? def);
        break;
      }
    }
  } finally {
    rl.close();
  }
  return answers;
}
