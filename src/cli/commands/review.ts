import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../errors.js';

export function registerReview(program: Command): void {
  withCommonOptions(program.command('review').description('decide per service whether eventual consistency is acceptable').allowUnknownOption(false)).action(() => {
    throw new UserError('edgstr review is not implemented yet in this build');
  });
}
