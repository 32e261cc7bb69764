/**
 * The apply step: writes a planned file set into a temp dir beside the output dir, produces each
 * project's package-lock.json, then renames the temp dir into place, so a failure leaves nothing
 * half-written.
 */
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { UserError } from '../model/errors.js';
import { removeOnInterrupt } from '../util/interrupt.js';
import type { FileSet } from './plan.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** Refuses an output dir that has files in it, unless `force`. */
export function checkOutputDir(out: string, force: boolean): void {
  if (!existsSync(out)) return;
  if (!statSync(out).isDirectory()) throw new UserError(`--out ${out} is a file; give a directory`);
  if (readdirSync(out).length > 0 && !force) throw new UserError(`--out ${out} is not empty; pass --force to replace it or choose another directory`);
}

/** Writes the file set under `dir` (which must not exist yet). */
export function writeFileSet(dir: string, files: FileSet): void {
  for (const [path, entry] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const target = join(dir, path);
    mkdirSync(dirname(target), { recursive: true });
    if (entry.kind === 'copy') copyFileSync(entry.from, target);
    else {
      writeFileSync(target, entry.text);
      if (entry.mode !== undefined) chmodSync(target, entry.mode);
    }
  }
}

/** `npm install --package-lock-only` in a generated project (resolves from npm's cache first). */
export async function writeLockfile(projectDir: string): Promise<void> {
  try {
    await run(NPM, ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--prefer-offline'], {
      cwd: projectDir,
      timeout: 180_000,
      env: { ...process.env, npm_config_workspaces: 'false' },
    });
  } catch (err: unknown) {
    const e = err as { stderr?: string; message: string };
    throw new UserError(`npm could not resolve the dependencies of ${projectDir} (${(e.stderr ?? e.message).trim().split('\n').at(-1)}); check the registry connection and retry`);
  }
}

/**
 * Writes the output atomically: everything goes to a temp dir beside `out`, which replaces `out`
 * at the end (the old contents, with --force, are removed only after the new tree is complete).
 */
export async function applyFileSet(out: string, files: FileSet, options: { force: boolean; lockfiles: boolean; projects: string[] }): Promise<void> {
  checkOutputDir(out, options.force);
  mkdirSync(dirname(out), { recursive: true });
  const temp = join(dirname(out), `.${basename(out)}.edgstr-${process.pid}.tmp`);
  rmSync(temp, { recursive: true, force: true });
  // Ctrl-C while npm resolves the lockfiles: the temp dir goes (npm is stopped as our child);
  // the renames below are synchronous, so no signal lands between them.
  const unregister = removeOnInterrupt(temp);
  try {
    writeFileSet(temp, files);
    if (options.lockfiles) await Promise.all(options.projects.map((project) => writeLockfile(join(temp, project))));
    if (existsSync(out)) {
      const old = `${temp}.old`;
      renameSync(out, old);
      renameSync(temp, out);
      rmSync(old, { recursive: true, force: true });
    } else {
      renameSync(temp, out);
    }
  } catch (err: unknown) {
    rmSync(temp, { recursive: true, force: true });
    throw err;
  } finally {
    unregister();
  }
}
