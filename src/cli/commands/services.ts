import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../errors.js';

export function registerServices(program: Command): void {
  withCommonOptions(program.command('services').description('list the services (method + route template) seen in the traffic').allowUnknownOption(false)).action(() => {
    throw new UserError('edgstr services is not implemented yet in this build');
  });
}
