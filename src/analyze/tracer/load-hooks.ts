/**
 * ES module load hook (registered by the tracer with `module.register`; runs in Node's loader
 * thread): instruments the app's own ES modules as they load. CommonJS is left to the tracer's
 * `Module.prototype._compile` hook in the app's thread.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { UserError } from '../../model/errors.js';
import { createLoadInstrumenter, type LoadInstrumenter } from './load-instrument.js';
import { readSourceMap, TRANSPILED } from './source-maps.js';

export interface HookData {
  appRoot: string;
  controlDir: string;
  counters: SharedArrayBuffer;
}

let instrumenter: LoadInstrumenter | null = null;
let appRoot: string | null = null;

export function initialize(data: HookData): void {
  appRoot = data.appRoot;
  instrumenter = createLoadInstrumenter(data.appRoot, data.controlDir, new Int32Array(data.counters));
}

interface LoadResult {
  format?: string | null;
  source?: string | ArrayBuffer | Uint8Array | null;
  shortCircuit?: boolean;
}
type NextLoad = (url: string, context?: unknown) => Promise<LoadResult>;

export async function load(url: string, context: { format?: string | null }, nextLoad: NextLoad): Promise<LoadResult> {
  const result = await nextLoad(url, context);
  if (!instrumenter || !appRoot || result.format !== 'module' || !url.startsWith('file:') || result.source == null) return result;
  const filename = fileURLToPath(url);
  const file = instrumenter.appFile(filename);
  if (file === null) return result;
  let code = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
  // tsx's load hook registers after this one (the tracer is preloaded first), so it runs first
  // and asks this one for the file: it is still TypeScript here. It is transpiled the way tsx
  // does (esbuild, from the app's own install), then instrumented; tsx passes the JS through.
  if (TRANSPILED.test(filename) && readSourceMap(code, filename) === null) code = await transpileTypeScript(code, filename, appRoot);
  return { ...result, source: instrumenter.instrument(code, file, 'module') };
}

interface EsbuildLike {
  transform(code: string, options: Record<string, unknown>): Promise<{ code: string }>;
}

async function transpileTypeScript(code: string, filename: string, root: string): Promise<string> {
  let esbuild: EsbuildLike;
  try {
    const req = createRequire(path.join(root, 'package.json'));
    esbuild = (await import(pathToFileURL(req.resolve('esbuild')).href)) as EsbuildLike;
  } catch {
    throw new UserError(`${filename}: a TypeScript module loaded without a transpiled form and esbuild is not installed beside the app; start the app with tsx (npm install tsx)`);
  }
  const loader = filename.endsWith('x') ? 'tsx' : 'ts';
  const out = await esbuild.transform(code, { loader, format: 'esm', sourcemap: 'inline', sourcefile: filename, target: `node${process.versions.node}` });
  return out.code;
}
