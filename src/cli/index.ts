/**
 * The command table. Each command lives in commands/<name>.ts, parses its flags, calls one stage
 * function and prints the result; this file only wires them and maps errors to exit codes.
 */
import { Command, CommanderError } from 'commander';
import { handleInterrupts } from '../util/interrupt.js';
import { describeError, EXIT_INTERNAL, EXIT_OK, EXIT_USER } from './errors.js';
import { QuietExit } from '../model/errors.js';
import type { Command as CommandType } from 'commander';

type Register = (program: CommandType) => void;

/**
 * The commands, loaded lazily: a command pulls in its whole stage (Babel, Automerge, socket.io...),
 * and loading all of them costs about a second of CPU per run; only the one asked for is loaded
 * (all of them for `edgstr --help` or an unknown command).
 */
const COMMANDS: Record<string, () => Promise<Register>> = {
  record: async () => (await import('./commands/record.js')).registerRecord,
  services: async () => (await import('./commands/services.js')).registerServices,
  analyze: async () => (await import('./commands/analyze.js')).registerAnalyze,
  review: async () => (await import('./commands/review.js')).registerReview,
  generate: async () => (await import('./commands/generate.js')).registerGenerate,
  verify: async () => (await import('./commands/verify.js')).registerVerify,
  bench: async () => (await import('./commands/bench.js')).registerBench,
};

/** Builds the program with the commands `argv` needs (all of them when `only` is not one). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command('edgstr')
    .description('Turn a two-tier Node.js client-cloud web app into a client-edge-cloud app.')
    .version('0.1.0')
    // Flag errors are printed by main() as one line (DESIGN.md §3), not by commander.
    .configureOutput({ outputError: () => undefined })
    .exitOverride();
  const names = only !== undefined && only in COMMANDS ? [only] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program);
  for (const cmd of program.commands) cmd.exitOverride();
  return program;
}

/**
 * One line for a flag error commander found (unknown option, missing required option, bad
 * value, unknown command), with where to look: `edgstr: error: required option '--out <dir>' not
 * specified; see edgstr generate --help`.
 */
export function describeFlagError(err: CommanderError, command: string | undefined): string {
  // commander puts its "(Did you mean --workdir?)" on a line of its own: keep it, on this one.
  const message = err.message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ').replace(/\.$/, '');
  const help = command !== undefined && command in COMMANDS ? `edgstr ${command} --help` : 'edgstr --help';
  return `edgstr: ${message}; see ${help}`;
}

/** Commands that handle SIGINT/SIGTERM themselves (record stops and keeps its HAR, exit 0). */
const OWN_SIGNAL_HANDLING = new Set(['record']);

/** Runs the CLI; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  if (!OWN_SIGNAL_HANDLING.has(argv[2] ?? '')) handleInterrupts();
  let program: Command;
  try {
    program = await buildProgram(argv[2]);
  } catch (err) {
    const { text } = describeError(err);
    process.stderr.write(`${text}\n`);
    return EXIT_INTERNAL;
  }
  try {
    await program.parseAsync(argv);
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end with a CommanderError too, with exit code 0.
      if (err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      // `edgstr` alone: commander already printed the help on stderr.
      if (err.code === 'commander.help') return EXIT_USER;
      process.stderr.write(`${describeFlagError(err, argv[2])}\n`);
      return EXIT_USER;
    }
    if (err instanceof QuietExit) return err.exitCode;
    const { code, text } = describeError(err);
    process.stderr.write(`${text}\n`);
    return code === EXIT_USER ? EXIT_USER : EXIT_INTERNAL;
  }
}
