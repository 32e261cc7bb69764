/**
 * Wires the register-globals transform: picks, for each replicated global of the analysis, the
 * app file that declares it, and rewrites those files (only those: every other file of the app is
 * copied byte for byte).
 */
import { parse } from '@babel/parser';
import type * as t from '@babel/types';
import { traverse } from '../../../util/babel.js';
import { applyEdits, helperImportEdit, planRegistrations, scanDeclarations, type WantedGlobals } from './transform.js';

export type { WantedGlobals } from './transform.js';

const JS_FILE = /\.(c|m)?js$/;

/** Parses a JS file of the app; `esm` is decided by the extension or by import/export syntax. */
function parseApp(path: string, text: string): { ast: t.File; esm: boolean } {
  const sourceType = path.endsWith('.mjs') ? 'module' : path.endsWith('.cjs') ? 'script' : 'unambiguous';
  const ast = parse(text, { sourceType, allowReturnOutsideFunction: sourceType !== 'module', errorRecovery: false });
  return { ast, esm: ast.program.sourceType === 'module' };
}

/** Splits analysis global names into module-level names and `Class#field` pairs. */
export function wantedFromNames(globals: readonly string[]): WantedGlobals {
  const wanted: WantedGlobals = { names: new Set(), fields: new Map() };
  for (const g of globals) {
    const hash = g.indexOf('#');
    if (hash < 0) {
      wanted.names.add(g);
      continue;
    }
    const cls = g.slice(0, hash);
    const fields = wanted.fields.get(cls) ?? new Set<string>();
    fields.add(g.slice(hash + 1));
    wanted.fields.set(cls, fields);
  }
  return wanted;
}

/** Rewrites one source text; `helperModule` is the specifier the helpers are imported from. */
export function transformSource(
  path: string,
  text: string,
  wanted: WantedGlobals,
  helperModule: string,
): { code: string; registered: string[] } {
  const { ast, esm } = parseApp(path, text);
  const helpers = { registerGlobal: 'registerGlobal', replaceContents: 'replaceContents' };
  // Keep the readable names unless the module already uses them.
  traverse(ast, {
    Program(program) {
      if (program.scope.hasBinding(helpers.registerGlobal)) helpers.registerGlobal = program.scope.generateUid('registerGlobal');
      if (program.scope.hasBinding(helpers.replaceContents)) helpers.replaceContents = program.scope.generateUid('replaceContents');
      program.stop();
    },
  });
  const plan = planRegistrations(text, ast.program, wanted, helpers);
  if (plan.registered.length === 0) return { code: text, registered: [] };
  const used = [
    { imported: 'registerGlobal', local: helpers.registerGlobal },
    ...(plan.usesReplaceContents ? [{ imported: 'replaceContents', local: helpers.replaceContents }] : []),
  ];
  const edits = [...plan.edits, helperImportEdit(ast.program, used, helperModule, esm)];
  return { code: applyEdits(text, edits), registered: plan.registered };
}

export interface RegisterGlobalsResult {
  /** Rewritten files: app-relative path -> new text. */
  files: Map<string, string>;
  /** Global -> the file it is registered in. */
  registeredIn: Map<string, string>;
  /** Globals no file declares at module level (or as a class field). */
  missing: string[];
  warnings: string[];
}

/**
 * Registers every global of `globals` in the one app file that declares it: the file analyze
 * named (`hints`) when it declares it, else the first in path order (with a warning when several
 * do: two registrations of one name would fight).
 */
export function registerGlobalsInApp(
  files: readonly { path: string; text: string }[],
  globals: readonly string[],
  helperModuleFor: (path: string) => string,
  hints: ReadonlyMap<string, string> = new Map(),
): RegisterGlobalsResult {
  const out: RegisterGlobalsResult = { files: new Map(), registeredIn: new Map(), missing: [], warnings: [] };
  if (globals.length === 0) return out;
  const keys = (name: string): string => name.split('#')[0]!;
  const owner = new Map<string, string>();
  const candidates = [...files].filter((f) => JS_FILE.test(f.path)).sort((a, b) => a.path.localeCompare(b.path));
  for (const file of candidates) {
    if (!globals.some((g) => file.text.includes(keys(g)))) continue;
    let declared: ReturnType<typeof scanDeclarations>;
    try {
      declared = scanDeclarations(parseApp(file.path, file.text).ast.program);
    } catch (err: unknown) {
      out.warnings.push(`${file.path}: cannot parse (${(err as Error).message}); globals declared there are not replicated`);
      continue;
    }
    for (const g of globals) {
      const found = g.includes('#') ? declared.classes.has(keys(g)) : declared.names.has(g);
      if (!found) continue;
      const first = owner.get(g);
      if (first === undefined || (hints.get(g) === file.path && hints.get(g) !== first)) owner.set(g, file.path);
      if (first !== undefined && hints.has(g)) continue; // analyze said which one: no ambiguity
      if (first !== undefined) out.warnings.push(`global ${g} is declared in ${first} and ${file.path}; registering the one in ${first}`);
    }
  }
  const byFile = new Map<string, string[]>();
  for (const [g, path] of owner) byFile.set(path, [...(byFile.get(path) ?? []), g]);
  for (const file of candidates) {
    const mine = byFile.get(file.path);
    if (!mine) continue;
    const { code, registered } = transformSource(file.path, file.text, wantedFromNames(mine), helperModuleFor(file.path));
    out.files.set(file.path, code);
    for (const g of registered) out.registeredIn.set(g, file.path);
  }
  out.missing = globals.filter((g) => !out.registeredIn.has(g));
  for (const g of out.missing) {
    out.warnings.push(`global ${g}: no app file declares it at module level${g.includes('#') ? ' (class not found)' : ''}; it is not replicated`);
  }
  return out;
}
