/**
 * The errors every stage throws. A {@link UserError} is a known problem with the user's input: its
 * message is one line that says what happened and what to do. The CLI maps them to exit codes
 * (src/cli/errors.ts); anything else is a bug.
 */
export class UserError extends Error {
  override readonly name = 'UserError';
  /** Optional extra lines for people (e.g. a code frame), printed after the one-line message. */
  readonly details: string | undefined;
  constructor(message: string, options?: { details?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.details = options?.details;
  }
}

/**
 * Ends a command with a non-zero exit code after it has already said everything it had to say
 * (e.g. verify, whose last line must stay "N passed, M failed").
 */
export class QuietExit extends Error {
  override readonly name = 'QuietExit';
  constructor(readonly exitCode: number) {
    super(`exit ${exitCode}`);
  }
}
