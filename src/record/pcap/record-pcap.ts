import type { RedactOptions } from '../har-entry.js';
import { UserError } from '../../cli/errors.js';

export interface PcapRecordOptions {
  file: string;
  serverPort: number;
  out: string;
  redact: RedactOptions;
}

export interface PcapRecordResult {
  out: string;
  recorded: number;
  warnings: string[];
}

export async function recordPcap(opts: PcapRecordOptions): Promise<PcapRecordResult> {
  throw new UserError(`${opts.file}: reading pcap captures is not implemented yet in this build`);
}
