import { resolve } from 'node:path';
import { InvalidArgumentError } from 'commander';

/** Options every command takes (DESIGN.md §3). */
export interface CommonOptions {
  workdir: string;
  json?: boolean;
}

export function resolveWorkdir(opts: CommonOptions): string {
  return resolve(opts.workdir);
}

/** commander argument parser for a positive integer flag. */
export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError('expected a positive whole number');
  return n;
}

/** commander argument parser for a whole number of milliseconds, 0 allowed. */
export function parseMilliseconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 60_000) throw new InvalidArgumentError('expected milliseconds, a whole number 0-60000');
  return n;
}

/** commander argument parser for a TCP port (0 = any free port). */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0-65535');
  return n;
}

/** Splits a LIST flag ("GET /a/:id,POST /b") into service ids. */
export function parseList(value: string): string[] {
  return value
    .split(',')
    .map((s) => s.trim().replace(/\s+/g, ' '))
    .filter((s) => s.length > 0);
}
