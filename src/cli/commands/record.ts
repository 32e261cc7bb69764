import type { Command } from 'commander';
import { withCommonOptions } from '../command.js';
import { UserError } from '../errors.js';

export function registerRecord(program: Command): void {
  withCommonOptions(program.command('record').description('record live HTTP traffic (proxy) or a pcap capture into a HAR file').allowUnknownOption(false)).action(() => {
    throw new UserError('edgstr record is not implemented yet in this build');
  });
}
