import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { UserError } from '../model/errors.js';

/**
 * Reads and validates a JSON artefact. Every failure is a {@link UserError} naming the file and,
 * for schema problems, the field: "analysis.json: services.0.id: expected string".
 */
export function readJsonArtefact<T>(file: string, schema: z.ZodType<T>, what: string, fix: string): T {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${file}: no ${what} here; ${fix}`);
    throw new UserError(`${file}: cannot read ${what} (${code ?? String(err)}); ${fix}`);
  }
  if (text.trim() === '') throw new UserError(`${file}: ${what} is empty; ${fix}`);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new UserError(`${file}: ${what} is not valid JSON (${(err as Error).message}); ${fix}`);
  }
  const parsed = schema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(top level)';
    throw new UserError(`${file}: ${what} is invalid at ${where}: ${issue?.message ?? 'unknown problem'}; ${fix}`);
  }
  return parsed.data;
}
