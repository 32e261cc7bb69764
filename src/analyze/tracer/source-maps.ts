/**
 * Locations of code that is not what the user wrote (TypeScript run through tsx or ts-node, a
 * `dist/` compiled with source maps): the instrumenter sees the JavaScript that actually runs,
 * and this maps the probes it assigned back to the sources named by the code's source map, so
 * analysis.json and review point at `src/routes/api.ts:27`, not at the transpiled text.
 *
 * The map is the code's own: an inline `//# sourceMappingURL=data:...` (tsx, ts-node) or a
 * `.js.map` file beside a compiled file. Without one, locations stay as they are.
 */
import fs from 'node:fs';
import path from 'node:path';
import { GREATEST_LOWER_BOUND, LEAST_UPPER_BOUND, originalPositionFor, TraceMap, type SourceMapInput } from '@jridgewell/trace-mapping';
import type { ProbeFragment } from '../instrument/probe-table.js';

/** Sources transpiled on load (by tsx, ts-node or another loader) that the tracer instruments. */
export const TRANSPILED = /\.(c|m)?tsx?$/;

const MAP_URL = /\/\/[#@] sourceMappingURL=([^\s'"]+)\s*$/;

/** A source map as read (for Babel's generator to chain through) and ready to query. */
export interface LoadedMap {
  raw: SourceMapInput & object;
  trace: TraceMap;
}

function loaded(json: string, url: string): LoadedMap {
  const raw = JSON.parse(json) as SourceMapInput & object;
  return { raw, trace: new TraceMap(raw, url) };
}

/** The source map of `code` loaded from `filename`, or null when it has none. */
export function readSourceMap(code: string, filename: string): LoadedMap | null {
  const tail = code.slice(-1_000_000).trimEnd();
  const m = MAP_URL.exec(tail);
  try {
    if (m) {
      const url = m[1]!;
      if (url.startsWith('data:')) {
        const comma = url.indexOf(',');
        const body = url.slice(comma + 1);
        const json = /;base64$/.test(url.slice(0, comma)) ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
        return loaded(json, filename);
      }
      const file = path.resolve(path.dirname(filename), decodeURIComponent(url));
      if (fs.existsSync(file)) return loaded(fs.readFileSync(file, 'utf8'), file);
    }
    // tsc without sourceMappingURL comments still leaves server.js.map beside server.js
    if (!TRANSPILED.test(filename) && fs.existsSync(`${filename}.map`)) return loaded(fs.readFileSync(`${filename}.map`, 'utf8'), `${filename}.map`);
  } catch {
    // an unreadable or malformed map: keep the generated locations
  }
  return null;
}

/**
 * Rewrites the fragment's locations (1-based lines, 0-based columns, as Babel gives them) to
 * the original sources. `toAppFile` turns an absolute source path into the app-relative one
 * (null: outside the app, keep the generated location). A statement the map does not cover
 * (a helper the compiler added) takes the nearest mapped position on its line, then the next.
 */
export function mapFragment(fragment: ProbeFragment, map: TraceMap, filename: string, toAppFile: (abs: string) => string | null): ProbeFragment {
  const mapDir = path.dirname(filename);
  const resolveSource = (source: string): string | null => {
    const abs = source.startsWith('file://') ? new URL(source).pathname : path.resolve(mapDir, source);
    return toAppFile(abs);
  };
  let mainFile: string | null = null;
  const stmts = fragment.stmts.map((st) => {
    let pos = originalPositionFor(map, { line: st.line, column: st.column, bias: GREATEST_LOWER_BOUND });
    if (pos.source === null || pos.line === null) pos = originalPositionFor(map, { line: st.line, column: st.column, bias: LEAST_UPPER_BOUND });
    if (pos.source === null || pos.line === null) return st;
    const file = resolveSource(pos.source);
    if (file === null) return st;
    mainFile ??= file;
    return { ...st, file, line: pos.line, column: pos.column ?? 0 };
  });
  const main = mainFile ?? (map.sources.length === 1 && map.sources[0] ? resolveSource(map.sources[0]) : null) ?? fragment.file;
  return {
    ...fragment,
    file: main,
    stmts,
    globals: fragment.globals.map((g) => ({ ...g, file: main })),
    fields: fragment.fields.map((f) => ({ ...f, file: main })),
  };
}

const TSX_HEAD = /^(__filename=(?:"(?:[^"\\\n]|\\.)*");)\(\(\)=>\{\n/;

/**
 * tsx runs each CommonJS module inside an arrow function of its own:
 *
 *     __filename="/app/src/counter.ts";(()=>{
 *     var __defProp=…;const hits=[];function record(at){…}
 *     })()
 *
 * so the module's bindings are not at the top level, where the instrumenter looks for globals.
 * The wrapper is blanked out with spaces (same lines and columns, so the source map still holds):
 * in a CommonJS module `this`, `arguments` and a top-level `return` mean the same without it.
 */
export function unwrapLoaderFunction(code: string): string {
  const head = TSX_HEAD.exec(code);
  if (!head) return code;
  const close = code.lastIndexOf('\n})()');
  if (close < 0 || !/^\s*(\/\/[#@] sourceMappingURL=[^\n]*)?\s*$/.test(code.slice(close + 5))) return code;
  const open = head[1]!.length; // where "(()=>{" starts
  return `${code.slice(0, open)}${' '.repeat(6)}${code.slice(open + 6, close + 1)}${' '.repeat(4)}${code.slice(close + 5)}`;
}
