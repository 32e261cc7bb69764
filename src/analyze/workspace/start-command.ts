/**
 * How the app starts when `--start` is not given, as a person would find out: its package.json
 * `start` script, else its `main`, else a Procfile's `web:` line, else the usual entry file
 * (server.js, app.js, index.js, also under src/). Only when none of these exists does analyze ask
 * for --start.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../model/errors.js';

const USUAL_ENTRIES = ['server.js', 'app.js', 'index.js', 'src/server.js', 'src/app.js', 'src/index.js'];

export function startCommand(appDir: string, given: string | undefined): string {
  if (given) return given;
  const pj = path.join(appDir, 'package.json');
  const pkg = readPackage(pj);
  const script = pkg?.scripts?.start;
  if (typeof script === 'string' && script.trim()) return script;
  if (typeof pkg?.main === 'string' && isFile(path.join(appDir, pkg.main))) return `node ${pkg.main}`;
  const procfile = path.join(appDir, 'Procfile');
  if (isFile(procfile)) {
    const web = /^web:\s*(.+)$/m.exec(fs.readFileSync(procfile, 'utf8'))?.[1]?.trim();
    if (web) return web;
  }
  const usual = USUAL_ENTRIES.find((f) => isFile(path.join(appDir, f)));
  if (usual) return `node ${usual}`;
  throw new UserError(
    `${appDir}: no way to start the app found (no "start" script or "main" in package.json, no Procfile web: line, no ${USUAL_ENTRIES.join('/')}) — pass the command with --start`,
  );
}

interface AppPackage {
  scripts?: { start?: unknown };
  main?: unknown;
}

function readPackage(file: string): AppPackage | null {
  if (!fs.existsSync(file)) return null;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as AppPackage;
  } catch (err: unknown) {
    throw new UserError(`${file}: not valid JSON (${(err as Error).message}); fix the app's package.json`);
  }
}

function isFile(file: string): boolean {
  return fs.existsSync(file) && fs.statSync(file).isFile();
}
