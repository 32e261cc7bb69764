/**
 * The tracer: loaded into the app with NODE_OPTIONS=--import <this file>, before any app code.
 * Installs the load-time instrumentation (load-instrument.ts), the probe runtime, the
 * SQL/fs/HTTP hooks and the control endpoint. Configured by EDGSTR_CONTROL_DIR (probe table
 * fragments and port out, backups) and EDGSTR_APP_ROOT (the app copy).
 */
import fs from 'node:fs';
import Module, { createRequire, register } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { fingerprint } from './fingerprint.js';
import { FsHooks } from './fs.js';
import { installHttpHooks } from './http.js';
import type { CheckpointInfo, ExecTrace } from './protocol.js';
import { COUNTER_SLOTS, createLoadInstrumenter } from './load-instrument.js';
import type { HookData } from './load-hooks.js';
import { Runtime } from './runtime.js';
import { SqlState } from './sql-state.js';

const controlDir = process.env.EDGSTR_CONTROL_DIR;
const appRoot = process.env.EDGSTR_APP_ROOT;

/** Instruments the app's own modules as the server loads them: ESM in the loader thread, CommonJS here. */
function installLoadHooks(controlDir: string, appRoot: string): void {
  const counters = new SharedArrayBuffer(COUNTER_SLOTS * Int32Array.BYTES_PER_ELEMENT);
  const data: HookData = { appRoot, controlDir, counters };
  register(pathToFileURL(path.join(path.dirname(new URL(import.meta.url).pathname), 'load-hooks.js')).href, { data });
  const instrumenter = createLoadInstrumenter(appRoot, controlDir, new Int32Array(counters));
  const proto = Module.prototype as unknown as { _compile: (content: string, filename: string) => unknown };
  const compile = proto._compile;
  proto._compile = function (this: unknown, content: string, filename: string) {
    const file = instrumenter.appFile(filename);
    return compile.call(this, file === null ? content : instrumenter.instrument(content, file, 'script'), filename);
  };
}

function install(controlDir: string, appRoot: string): void {
  installLoadHooks(controlDir, appRoot);
  const rt = new Runtime();
  (globalThis as Record<string, unknown>).__edgstr$rt = rt;
  const backupDir = path.join(controlDir, 'backup');
  fs.mkdirSync(backupDir, { recursive: true });
  const sql = new SqlState(rt, backupDir);
  const files = new FsHooks(rt, appRoot, backupDir);
  let mongo = false;

  const patchModule = (request: string, exports: unknown, filename: string): void => {
    if (/(^|[/\\])better-sqlite3[/\\]lib[/\\](index|database)\.js$/.test(filename) || request === 'better-sqlite3') sql.drivers.patchBetterSqlite3(exports);
    else if (/(^|[/\\])sqlite3[/\\]lib[/\\]sqlite3\.js$/.test(filename) || request === 'sqlite3') sql.drivers.patchSqlite3(exports);
    else if (/^(mongodb|mongoose)$/.test(request)) mongo = true;
  };
  // Late loads and other copies of the drivers (the app's own, resolved from where they live).
  const M = Module as unknown as { _load: (request: string, parent: unknown, isMain: boolean) => unknown; _resolveFilename: (r: string, p: unknown) => string };
  const load = M._load;
  M._load = function (request: string, parent: unknown, isMain: boolean) {
    const out = load.call(this, request, parent, isMain);
    if (/sqlite3|mongo/.test(request)) {
      let filename = '';
      try {
        filename = M._resolveFilename(request, parent);
      } catch {
        filename = request;
      }
      patchModule(request, out, filename);
    }
    return out;
  };
  const appRequire = createRequire(path.join(appRoot, 'package.json'));
  for (const name of ['better-sqlite3', 'sqlite3']) {
    try {
      const resolved = appRequire.resolve(name);
      patchModule(name, appRequire(resolved), resolved);
    } catch {
      // the app does not use this driver
    }
  }
  files.install();

  /** Every kind of state back to the checkpoint (tables, files, globals), outside any execution. */
  const restoreAll = async (): Promise<void> => {
    rt.cur = null;
    await sql.restore();
    files.restore();
    rt.restoreGlobals();
  };

  const control = async (action: string, query: URLSearchParams): Promise<unknown> => {
    switch (action) {
      case 'checkpoint': {
        const snapDir = query.get('snapshot');
        if (snapDir) fs.mkdirSync(snapDir, { recursive: true });
        const g = rt.checkpointGlobals();
        const databases = await sql.checkpoint(snapDir);
        const info: CheckpointInfo = { globals: g.globals, instances: g.instances, databases, mongo, pid: process.pid };
        return info;
      }
      case 'begin': {
        await restoreAll();
        rt.begin(query.get('id') ?? 'exec');
        return { ok: true };
      }
      case 'trace': {
        rt.settleWatched();
        const cur = rt.cur;
        rt.cur = null;
        if (!cur) return null;
        const values = rt.rawValues.map(([id, v]) => [id, fingerprint(v)] as const).filter((x): x is [number, string] => x[1] !== null);
        rt.rawValues = [];
        const hidden = rt.settleHidden();
        const trace: ExecTrace = { ...cur, values, ...(hidden.length ? { hidden } : {}) };
        return trace;
      }
      case 'restore': {
        await restoreAll();
        return { ok: true };
      }
      case 'databases': {
        // databases first used after the checkpoint (lazy connections)
        rt.cur = null;
        return await sql.lateDatabases((query.get('known') ?? '').split('\n').filter(Boolean));
      }
      case 'globals': {
        const snap = rt.snapshotValues();
        const out: Record<string, unknown> = {};
        for (const [id, v] of snap.globals) {
          try {
            out[id] = JSON.parse(JSON.stringify(v, (_k, x: unknown) => (x instanceof Map ? Object.fromEntries(x) : x instanceof Set ? [...x] : x)) ?? 'null');
          } catch {
            out[id] = null;
          }
        }
        return out;
      }
      case 'stats':
        return { maxRssKb: process.resourceUsage().maxRSS };
      default:
        throw new Error(`unknown control action ${action}`);
    }
  };
  installHttpHooks(rt, appRoot, controlDir, control);
}

if (controlDir && appRoot) install(controlDir, appRoot);
