/**
 * Instrumentation at load time (issue #11 item 1): only the modules the server actually loads
 * are instrumented, when they load — CommonJS through `Module.prototype._compile` in the app's
 * thread, ES modules through a `module.register` load hook in Node's loader thread (see
 * load-hooks.ts). Files the server never loads (a front-end, a browser bundle, build scripts)
 * cost nothing and cannot fail the run.
 *
 * Both threads draw probe ids from one table: the counts live in a SharedArrayBuffer, and a file
 * is instrumented under a lock with its ids starting at the current counts (a sparse table
 * below them). Each file's probes are written as a fragment to <control>/table/; the analyzer
 * merges the fragments after the run. A file that does not parse leaves its located message in
 * <control>/load-error.json, so the analyzer can say which file to fix.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../../model/errors.js';
import { instrumentSource } from '../instrument/instrument-file.js';
import { fragmentOf, tableFrom, type ProbeBase, type ProbeFragment } from '../instrument/probe-table.js';
import { mapFragment, readSourceMap, TRANSPILED, unwrapLoaderFunction } from './source-maps.js';

/** Slots of the shared counters. */
const LOCK = 0;
const STMTS = 1;
const GLOBALS = 2;
const FIELDS = 3;
const SEQ = 4;
export const COUNTER_SLOTS = 5;

export const FRAGMENT_DIR = 'table';
export const LOAD_ERROR_FILE = 'load-error.json';

/** What a parse failure of a loaded file leaves for the analyzer. */
export interface LoadError {
  message: string;
  details: string;
}

const TEST_DIR = /(^|\/)(test|tests|__tests__)\//;
const SOURCE = /\.(c|m)?js$/;

export interface LoadInstrumenter {
  /** The app-relative path of a file to instrument, or null to leave it as it is. */
  appFile(filename: string): string | null;
  /** `code` is what runs: for a `.ts` file, what its loader (tsx, ts-node) made of it. */
  instrument(code: string, file: string, sourceType: 'module' | 'script'): string;
}

export function createLoadInstrumenter(appRoot: string, controlDir: string, counters: Int32Array): LoadInstrumenter {
  const roots = [...new Set([path.resolve(appRoot), safeRealpath(appRoot)])];
  const fragDir = path.join(controlDir, FRAGMENT_DIR);
  fs.mkdirSync(fragDir, { recursive: true });
  return {
    appFile(filename) {
      if (!SOURCE.test(filename) && !TRANSPILED.test(filename)) return null;
      const file = appRelative(roots, filename);
      if (file === null || file.split('/').includes('node_modules') || TEST_DIR.test(file)) return null;
      return file;
    },
    instrument(code, file, sourceType) {
      lock(counters);
      let fragment: ProbeFragment;
      let out: string;
      try {
        const base: ProbeBase = { stmts: Atomics.load(counters, STMTS), globals: Atomics.load(counters, GLOBALS), fields: Atomics.load(counters, FIELDS) };
        const table = tableFrom(base);
        const filename = path.join(roots[0]!, file);
        const map = readSourceMap(code, filename);
        try {
          const runs = sourceType === 'script' && TRANSPILED.test(filename) ? unwrapLoaderFunction(code) : code;
          out = instrumentSource(runs, { file, sourceType, table, ...(map ? { inputSourceMap: map.raw } : {}) });
        } catch (err: unknown) {
          if (err instanceof UserError) {
            const e: LoadError = { message: err.message, details: err.details ?? '' };
            fs.writeFileSync(path.join(controlDir, LOAD_ERROR_FILE), JSON.stringify(e));
          }
          throw err;
        }
        fragment = fragmentOf(file, base, table);
        if (map) fragment = mapFragment(fragment, map.trace, filename, (abs) => appRelative(roots, abs));
        Atomics.store(counters, STMTS, table.stmts.length);
        Atomics.store(counters, GLOBALS, table.globals.length);
        Atomics.store(counters, FIELDS, table.fields.length);
        const seq = Atomics.add(counters, SEQ, 1);
        // per process: a start command may run other node processes first (a prestart script)
        fs.writeFileSync(path.join(fragDir, `${process.pid}-${String(seq).padStart(6, '0')}.json`), JSON.stringify(fragment));
      } finally {
        unlock(counters);
      }
      return out;
    },
  };
}


/**
 * The fragments the app's server process left in the control dir (ids are per process: other
 * node processes of the start command, e.g. a prestart script, count from 0 too).
 */
export function readFragments(controlDir: string, pid: number): ProbeFragment[] {
  const dir = path.join(controlDir, FRAGMENT_DIR);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith(`${pid}-`) && f.endsWith('.json'))
    .sort()
    .map((f) => JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as ProbeFragment);
}

/** The located parse error of a file the server loaded, if there was one. */
export function readLoadError(controlDir: string): LoadError | null {
  const p = path.join(controlDir, LOAD_ERROR_FILE);
  return fs.existsSync(p) ? (JSON.parse(fs.readFileSync(p, 'utf8')) as LoadError) : null;
}

/** `filename` relative to the app root (forward slashes), or null outside it. */
function appRelative(roots: readonly string[], filename: string): string | null {
  for (const root of roots) {
    const rel = path.relative(root, filename);
    if (rel.startsWith('..') || path.isAbsolute(rel)) continue;
    return rel.split(path.sep).join('/');
  }
  return null;
}

function lock(counters: Int32Array): void {
  while (Atomics.compareExchange(counters, LOCK, 0, 1) !== 0) Atomics.wait(counters, LOCK, 1, 50);
}
function unlock(counters: Int32Array): void {
  Atomics.store(counters, LOCK, 0);
  Atomics.notify(counters, LOCK);
}

function safeRealpath(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}
