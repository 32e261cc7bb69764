import pc from 'picocolors';

/**
 * Everything for people goes to stderr (stdout is reserved for `--json` documents).
 * Progress lines are shown only when stderr is a TTY.
 */
export const log = {
  info(msg: string): void {
    process.stderr.write(`${msg}\n`);
  },
  warn(msg: string): void {
    process.stderr.write(`${pc.yellow('warning:')} ${msg}\n`);
  },
  progress(msg: string): void {
    if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${pc.dim(msg)}`);
  },
  progressDone(): void {
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  },
};

/** Writes the one `--json` document to stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
