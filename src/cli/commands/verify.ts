import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../errors.js';

export function registerVerify(program: Command): void {
  withCommonOptions(program.command('verify').description('replay the traffic through generated edges and check equivalence and convergence').allowUnknownOption(false)).action(() => {
    throw new UserError('edgstr verify is not implemented yet in this build');
  });
}
