/** Helpers shared by generate's fixture tests. */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

export const FIXTURES = fileURLToPath(new URL('../fixtures/generate/', import.meta.url));

/** EDGSTR_UPDATE_FIXTURES=1 rewrites expected outputs instead of comparing with them. */
export const UPDATE = process.env.EDGSTR_UPDATE_FIXTURES === '1';

export function caseDirs(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();
}

/** Compares `actual` with the expected file, or writes it when updating. */
export function expectedText(file: string, actual: string): string {
  if (UPDATE || !existsSync(file)) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, actual);
    if (!UPDATE) throw new Error(`${file} did not exist; wrote it. Check it and run again (EDGSTR_UPDATE_FIXTURES=1 rewrites all).`);
  }
  return readFileSync(file, 'utf8');
}

