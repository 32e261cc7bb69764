/**
 * Exit codes. A UserError (src/model/errors.ts) exits 1 with one line on stderr that says
 * what happened and what to do; a QuietExit exits with its code; anything else is a bug
 * (exit 2).
 */
import { UserError } from '../model/errors.js';

export const EXIT_OK = 0;
export const EXIT_USER = 1;
export const EXIT_INTERNAL = 2;

/** Maps any thrown value to an exit code and the text to print on stderr. */
export function describeError(err: unknown): { code: number; text: string } {
  if (err instanceof UserError) {
    // Some stages put the app's output tail after a newline in the message itself: show it as the
    // details (after the one-line message) instead of dropping it.
    const [head = '', ...rest] = err.message.split('\n');
    const first = `edgstr: ${head}`;
    const details = err.details || rest.join('\n').trimEnd();
    return { code: EXIT_USER, text: details ? `${first}\n${details}` : first };
  }
  const e = err instanceof Error ? err : new Error(String(err));
  const stack = process.env.EDGSTR_DEBUG ? `\n${e.stack ?? ''}` : '';
  return {
    code: EXIT_INTERNAL,
    text: `edgstr: internal error: ${e.message.split('\n')[0]} (set EDGSTR_DEBUG=1 for the stack; please report it)${stack}`,
  };
}
