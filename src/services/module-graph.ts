/**
 * The app's own modules reachable from its entry file (relative require/import/import()),
 * so that route literals of scripts, tests and tools in the app dir do not count as routes.
 */
import path from 'node:path';
import { parse } from '@babel/parser';
import { parseStartCommand } from '../model/start-command.js';
import { traverse } from '../util/babel.js';

/** A source file of the app copy; its text is read only for the files the graph reaches. */
export interface SourceFile {
  file: string;
  sourceType: 'module' | 'script';
  read(): string;
}

/**
 * The entry file named by a start command (`node src/server.js`, `node --x src/server.mjs`,
 * `tsx --env-file=.env index`, `npm start`), among the app's files, resolved as Node or tsx
 * would (an added extension, a folder's index).
 */
export function entryOf(command: string, files: readonly SourceFile[], scripts: Record<string, unknown> = {}): string | null {
  const written = parseStartCommand(command, scripts).entry;
  if (written === null) return null;
  const t = path.posix.normalize(written).replace(/^\.\//, '');
  for (const ext of ['', '.js', '.mjs', '.cjs', '.ts', '.mts', '.cts', '/index.js', '/index.ts', '/index.mjs']) {
    if (files.some((f) => f.file === `${t}${ext}`)) return `${t}${ext}`;
  }
  return null;
}

/** The files reachable from `entries` through relative imports (the entries included). */
export function reachableFiles(entries: string | readonly string[], files: readonly SourceFile[]): SourceFile[] {
  const byName = new Map(files.map((f) => [f.file, f]));
  const seen = new Set<string>();
  const stack = typeof entries === 'string' ? [entries] : [...entries];
  while (stack.length) {
    const file = stack.pop()!;
    if (seen.has(file)) continue;
    const src = byName.get(file);
    if (!src) continue;
    seen.add(file);
    let ast;
    try {
      ast = parse(src.read(), { sourceType: src.sourceType, allowReturnOutsideFunction: true, errorRecovery: true, plugins: ['jsx'] });
    } catch {
      continue;
    }
    const specs: string[] = [];
    traverse(ast, {
      ImportDeclaration(p) {
        specs.push(p.node.source.value);
      },
      ExportNamedDeclaration(p) {
        if (p.node.source) specs.push(p.node.source.value);
      },
      ExportAllDeclaration(p) {
        specs.push(p.node.source.value);
      },
      CallExpression(p) {
        const a = p.node.arguments[0];
        const c = p.node.callee;
        if (a?.type === 'StringLiteral' && ((c.type === 'Identifier' && c.name === 'require') || c.type === 'Import')) specs.push(a.value);
      },
    });
    for (const s of specs) {
      if (!s.startsWith('.')) continue;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), s));
      for (const cand of [base, `${base}.js`, `${base}.mjs`, `${base}.cjs`, `${base}/index.js`]) {
        if (byName.has(cand)) {
          stack.push(cand);
          break;
        }
      }
    }
  }
  return files.filter((f) => seen.has(f.file));
}
