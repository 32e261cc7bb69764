/**
 * Installs a generated project's dependencies for `edgstr verify`, `edgstr bench` and tests, without rebuilding
 * native modules: `npm ci --ignore-scripts`, then the native addons edgstr already built
 * (better-sqlite3, sqlite3) are copied from edgstr's own node_modules when the versions match.
 * A native build takes 60-75 s per module on a 2-core machine; a copy takes milliseconds.
 */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EDGSTR_ROOT, installedVersion } from '../generate/read-inputs.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const NATIVE_MODULES = ['better-sqlite3', 'sqlite3'];

export interface InstallReport {
  /** Native modules whose build was copied from edgstr's node_modules. */
  copied: string[];
  /** Native modules rebuilt with `npm rebuild` (version differs from edgstr's). */
  rebuilt: string[];
}

function versionIn(dir: string, name: string): string | null {
  const file = join(dir, 'node_modules', name, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version : null;
}

export async function installGenerated(dir: string): Promise<InstallReport> {
  await run(NPM, ['ci', '--omit=dev', '--ignore-scripts', '--prefer-offline', '--no-audit', '--no-fund'], {
    cwd: dir,
    timeout: 300_000,
    env: { ...process.env, npm_config_workspaces: 'false' },
  });
  const report: InstallReport = { copied: [], rebuilt: [] };
  for (const name of NATIVE_MODULES) {
    const wanted = versionIn(dir, name);
    if (!wanted) continue;
    const ours = installedVersion(name, EDGSTR_ROOT);
    const build = ours === wanted ? findBuild(name) : null;
    if (build) {
      // Only the compiled addon matters at run time; the object files stay behind.
      cpSync(build, join(dir, 'node_modules', name, 'build'), {
        recursive: true,
        filter: (src) => /^([/\\]Release([/\\][^/\\]+\.node)?)?$/.test(src.slice(build.length)),
      });
      report.copied.push(name);
    } else {
      await run(NPM, ['rebuild', name], { cwd: dir, timeout: 600_000 });
      report.rebuilt.push(name);
    }
  }
  return report;
}

/** The build/ dir of a native module in edgstr's node_modules, when it holds a built addon. */
function findBuild(name: string): string | null {
  const build = join(EDGSTR_ROOT, 'node_modules', name, 'build');
  return existsSync(join(build, 'Release')) ? build : null;
}
