import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../errors.js';

export function registerBench(program: Command): void {
  withCommonOptions(program.command('bench').description('measure latency, throughput and WAN bytes of the original vs the edge').allowUnknownOption(false)).action(() => {
    throw new UserError('edgstr bench is not implemented yet in this build');
  });
}
