import type { Command } from 'commander';

/** Adds the options every command takes (DESIGN.md §3). */
export function withCommonOptions(cmd: Command): Command {
  return cmd
    .option('--workdir <dir>', 'work directory for artefacts', '.edgstr')
    .option('--json', 'print one machine-readable JSON document on stdout');
}
