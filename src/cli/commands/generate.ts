import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../errors.js';

export function registerGenerate(program: Command): void {
  withCommonOptions(program.command('generate').description('render the edge and cloud projects').allowUnknownOption(false)).action(() => {
    throw new UserError('edgstr generate is not implemented yet in this build');
  });
}
