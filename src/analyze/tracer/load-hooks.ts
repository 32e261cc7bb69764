/**
 * ES module load hook (registered by the tracer with `module.register`; runs in Node's loader
 * thread): instruments the app's own ES modules as they load. CommonJS is left to the tracer's
 * `Module.prototype._compile` hook in the app's thread.
 */
import { fileURLToPath } from 'node:url';
import { createLoadInstrumenter, type LoadInstrumenter } from './load-instrument.js';

export interface HookData {
  appRoot: string;
  controlDir: string;
  counters: SharedArrayBuffer;
}

let instrumenter: LoadInstrumenter | null = null;

export function initialize(data: HookData): void {
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
  if (!instrumenter || result.format !== 'module' || !url.startsWith('file:') || result.source == null) return result;
  const file = instrumenter.appFile(fileURLToPath(url));
  if (file === null) return result;
  const code = typeof result.source === 'string' ? result.source : Buffer.from(result.source as Uint8Array).toString('utf8');
  return { ...result, source: instrumenter.instrument(code, file, 'module') };
}
