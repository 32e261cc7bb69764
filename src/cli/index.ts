/**
 * The command table. Each command lives in commands/<name>.ts, parses its flags, calls one stage
 * function and prints the result; this file only wires them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { describeError, EXIT_INTERNAL, EXIT_OK, EXIT_USER, QuietExit } from './errors.js';
import { registerRecord } from './commands/record.js';
import { registerServices } from './commands/services.js';
import { registerAnalyze } from './commands/analyze.js';
import { registerReview } from './commands/review.js';
import { registerGenerate } from './commands/generate.js';
import { registerVerify } from './commands/verify.js';
import { registerBench } from './commands/bench.js';

export function buildProgram(): Command {
  const program = new Command('edgstr')
    .description('Turn a two-tier Node.js client-cloud web app into a client-edge-cloud app.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  for (const register of [registerRecord, registerServices, registerAnalyze, registerReview, registerGenerate, registerVerify, registerBench]) {
    register(program);
  }
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with a CommanderError too, with exit code 0.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      return err.exitCode === 0 ? EXIT_OK : EXIT_USER;
    }
    if (err instanceof QuietExit) return err.exitCode;
    const { code, text } = describeError(err);
    process.stderr.write(`${text}\n`);
    return code === EXIT_USER ? EXIT_USER : EXIT_INTERNAL;
  }
}
