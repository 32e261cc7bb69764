import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../errors.js';

export function registerAnalyze(program: Command): void {
  withCommonOptions(program.command('analyze').description('instrument the app, replay and fuzz the traffic, find each service code and state').allowUnknownOption(false)).action(() => {
    throw new UserError('edgstr analyze is not implemented yet in this build');
  });
}
