/**
 * Instruments one source file: parse once, run the plugins in order (facts first, while the
 * AST is pristine; then globals, this-fields, values), generate code with an inline source map
 * so stack traces (--enable-source-maps) point at the original lines.
 */
import { basename } from 'node:path';
import { parse } from '@babel/parser';
import { codeFrameColumns } from '@babel/code-frame';
import { generate } from '../../util/babel.js';
import { UserError } from '../../model/errors.js';
import { collectFacts } from './facts/index.js';
import { instrumentGlobals } from './globals/index.js';
import { instrumentThisFields } from './this-fields/index.js';
import { instrumentValues } from './values/index.js';
import * as s from './snippets.js';
import { mark, type ProbeTable } from './probe-table.js';

type GenOptions = NonNullable<Parameters<typeof generate>[1]>;

export interface InstrumentOptions {
  /** Path relative to the app root, used in ids and messages. */
  file: string;
  sourceType: 'module' | 'script';
  table: ProbeTable;
  /** Plugins to run after the facts pass (default: all). Fixture tests run one at a time. */
  plugins?: readonly PluginName[];
  /** Append an inline source map (default true). */
  sourceMap?: boolean;
  /** The map of `code` to the sources it came from (TypeScript, a compiled dist/): the inline map then points at those. */
  inputSourceMap?: object;
}

export type PluginName = 'globals' | 'this-fields' | 'values';

export function instrumentSource(code: string, opts: InstrumentOptions): string {
  let ast;
  try {
    ast = parse(code, {
      sourceType: opts.sourceType,
      allowReturnOutsideFunction: opts.sourceType === 'script',
      errorRecovery: false,
      plugins: ['jsx', 'importAttributes'],
    });
  } catch (err: unknown) {
    const e = err as { message?: string; loc?: { line: number; column: number } };
    const frame = e.loc ? codeFrameColumns(code, { start: { line: e.loc.line, column: e.loc.column + 1 } }) : '';
    throw new UserError(`${opts.file}: ${String(e.message ?? err).replace(/\s*\(\d+:\d+\)$/, '')} — fix the syntax error in the app (analyze cannot parse it)`, {
      details: frame,
    });
  }
  const ctx = { file: opts.file, table: opts.table };
  collectFacts(ast, ctx);
  const plugins = opts.plugins ?? ['globals', 'this-fields', 'values'];
  if (plugins.includes('globals')) instrumentGlobals(ast, ctx);
  if (plugins.includes('this-fields')) instrumentThisFields(ast, ctx);
  if (plugins.includes('values')) instrumentValues(ast, ctx);
  ast.program.body.unshift(mark(s.prelude()));
  if (opts.sourceMap === false) return `${generate(ast, { retainLines: false }, code).code}\n`;
  // inputSourceMap chains the output map through the code's own (generator supports it; its types omit it)
  const genOpts: GenOptions & { inputSourceMap?: object } = { sourceMaps: true, sourceFileName: basename(opts.file), retainLines: true };
  if (opts.inputSourceMap) genOpts.inputSourceMap = opts.inputSourceMap;
  const out = generate(ast, genOpts, code);
  const map = Buffer.from(JSON.stringify(out.map)).toString('base64');
  return `${out.code}\n//# sourceMappingURL=data:application/json;charset=utf-8;base64,${map}\n`;
}
