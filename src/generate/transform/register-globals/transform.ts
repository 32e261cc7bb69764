/**
 * The register-globals transform: after the declaration of each replicated global, register it
 * with the edgstr runtime so the runtime can read it after a request and set it when a remote
 * change arrives.
 *
 *   let viewCount = 0;                 let viewCount = 0;
 *                               ->     registerGlobal('viewCount', () => viewCount, (v) => { viewCount = v; });
 *
 *   const cache = new Map();           const cache = new Map();
 *                               ->     registerGlobal('cache', () => cache, (v) => { replaceContents(cache, v); });
 *
 * A `const` cannot be rebound, so its setter replaces the contents of the same object in place
 * (other modules may hold references to it). A `Class#field` is registered in the constructor of
 * the class, right after the statement that assigns the field (or after `super()`).
 */
import * as t from '@babel/types';
import { generate, template } from '../../../util/babel.js';

/** What to register in one file: module-level names and `Class#field` pairs. */
export interface WantedGlobals {
  names: Set<string>;
  /** class name -> field names */
  fields: Map<string, Set<string>>;
}

/** The local names of the helpers the injected code calls. */
export interface HelperNames {
  registerGlobal: string;
  replaceContents: string;
}

const buildRebindRegistration = template.statement(
  `%%register%%(%%name%%, () => %%getId%%, (v) => { %%setId%% = v; });`,
);
const buildInPlaceRegistration = template.statement(
  `%%register%%(%%name%%, () => %%getId%%, (v) => { %%replace%%(%%setId%%, v); });`,
);
const buildFieldRegistration = template.statement(
  `%%register%%(%%name%%, () => this.%%getField%%, (v) => { this.%%setField%% = v; });`,
);

/** Which wanted names a top-level statement declares, with the declaration kind. */
function declaredVariables(statement: t.Statement): { name: string; kind: 'let' | 'var' | 'const' }[] {
  const decl = t.isExportNamedDeclaration(statement) ? statement.declaration : statement;
  if (!t.isVariableDeclaration(decl)) return [];
  const kind = decl.kind === 'const' ? 'const' : decl.kind === 'var' ? 'var' : 'let';
  return decl.declarations.flatMap((d) => (t.isIdentifier(d.id) ? [{ name: d.id.name, kind }] : []));
}

function declaredClass(statement: t.Statement): t.ClassDeclaration | null {
  const decl = t.isExportNamedDeclaration(statement) || t.isExportDefaultDeclaration(statement) ? statement.declaration : statement;
  return t.isClassDeclaration(decl) && decl.id ? decl : null;
}

/** The module-level names and classes a program declares (used to pick the declaring file). */
export function scanDeclarations(program: t.Program): { names: Set<string>; classes: Set<string> } {
  const names = new Set<string>();
  const classes = new Set<string>();
  for (const statement of program.body) {
    for (const v of declaredVariables(statement)) names.add(v.name);
    const cls = declaredClass(statement);
    if (cls?.id) classes.add(cls.id.name);
  }
  return { names, classes };
}

function isThisFieldAssignment(statement: t.Statement, field: string): boolean {
  return (
    t.isExpressionStatement(statement) &&
    t.isAssignmentExpression(statement.expression) &&
    t.isMemberExpression(statement.expression.left) &&
    t.isThisExpression(statement.expression.left.object) &&
    t.isIdentifier(statement.expression.left.property, { name: field }) &&
    !statement.expression.left.computed
  );
}

function isSuperCall(statement: t.Statement): boolean {
  return t.isExpressionStatement(statement) && t.isCallExpression(statement.expression) && t.isSuper(statement.expression.callee);
}

/** An insertion into the original source text (the app's own code is never reprinted). */
export interface Edit {
  /** Offset in the original text. */
  at: number;
  /** Text to insert there. */
  text: string;
}

const PRINT = { jsescOption: { quotes: 'single' as const } };

function lineIndent(source: string, offset: number): string {
  const lineStart = source.lastIndexOf('\n', offset - 1) + 1;
  return /^[ \t]*/.exec(source.slice(lineStart))![0];
}

/** One statement on one line: `registerGlobal('n', () => n, v => { n = v; });` */
function printStatement(statement: t.Statement): string {
  return generate(statement, { ...PRINT, concise: true }).code.trim();
}

function fieldEdit(source: string, cls: t.ClassDeclaration, className: string, field: string, helpers: HelperNames): Edit {
  const registration = buildFieldRegistration({
    register: t.identifier(helpers.registerGlobal),
    name: t.stringLiteral(`${className}#${field}`),
    getField: t.identifier(field),
    setField: t.identifier(field),
  });
  const ctor = cls.body.body.find((m): m is t.ClassMethod => t.isClassMethod(m) && m.kind === 'constructor');
  if (!ctor) {
    // No constructor: add one at the top of the class body (forwarding to super when derived).
    const args = t.identifier('args');
    const body = cls.superClass ? [t.expressionStatement(t.callExpression(t.super(), [t.spreadElement(t.cloneNode(args))])), registration] : [registration];
    const node = t.classMethod('constructor', t.identifier('constructor'), cls.superClass ? [t.restElement(args)] : [], t.blockStatement(body));
    const indent = `${lineIndent(source, cls.start!)}  `;
    const code = generate(node, PRINT).code.split('\n').map((l) => indent + l).join('\n');
    return { at: cls.body.start! + 1, text: `\n${code}\n` };
  }
  const statements = ctor.body.body;
  const target = statements.find((s) => isThisFieldAssignment(s, field)) ?? statements.find(isSuperCall);
  if (target) return { at: target.end!, text: `\n${lineIndent(source, target.start!)}${printStatement(registration)}` };
  return { at: ctor.body.start! + 1, text: `\n${lineIndent(source, ctor.start!)}  ${printStatement(registration)}` };
}

/**
 * Computes the registrations for `wanted` in a program. Returns the insertions, the names
 * registered (`name` or `Class#field`) and whether the in-place helper is used.
 */
export function planRegistrations(
  source: string,
  program: t.Program,
  wanted: WantedGlobals,
  helpers: HelperNames,
): { edits: Edit[]; registered: string[]; usesReplaceContents: boolean } {
  const edits: Edit[] = [];
  const registered: string[] = [];
  let usesReplaceContents = false;
  for (const statement of program.body) {
    for (const { name, kind } of declaredVariables(statement)) {
      if (!wanted.names.has(name)) continue;
      const common = { register: t.identifier(helpers.registerGlobal), name: t.stringLiteral(name), getId: t.identifier(name), setId: t.identifier(name) };
      const registration =
        kind === 'const'
          ? buildInPlaceRegistration({ ...common, replace: t.identifier(helpers.replaceContents) })
          : buildRebindRegistration(common);
      if (kind === 'const') usesReplaceContents = true;
      edits.push({ at: statement.end!, text: `\n${lineIndent(source, statement.start!)}${printStatement(registration)}` });
      registered.push(name);
    }
    const cls = declaredClass(statement);
    const fields = cls?.id ? wanted.fields.get(cls.id.name) : undefined;
    if (cls?.id && fields) {
      for (const field of fields) {
        edits.push(fieldEdit(source, cls, cls.id.name, field, helpers));
        registered.push(`${cls.id.name}#${field}`);
      }
    }
  }
  return { edits, registered, usesReplaceContents };
}

function isRequireDeclaration(statement: t.Statement): boolean {
  return (
    t.isVariableDeclaration(statement) &&
    statement.declarations.every((d) => t.isCallExpression(d.init) && t.isIdentifier(d.init.callee, { name: 'require' }))
  );
}

/**
 * The import (ESM) or require (CommonJS) of the helpers, placed after the module's own imports
 * (or its leading `require`s) so the file still reads top-down.
 */
export function helperImportEdit(program: t.Program, helpers: { imported: string; local: string }[], from: string, esm: boolean): Edit {
  const statement = esm
    ? t.importDeclaration(helpers.map((h) => t.importSpecifier(t.identifier(h.local), t.identifier(h.imported))), t.stringLiteral(from))
    : t.variableDeclaration('const', [
        t.variableDeclarator(
          t.objectPattern(helpers.map((h) => t.objectProperty(t.identifier(h.imported), t.identifier(h.local), false, h.imported === h.local))),
          t.callExpression(t.identifier('require'), [t.stringLiteral(from)]),
        ),
      ]);
  const code = printStatement(statement);
  let last: t.Node | undefined;
  for (const s of program.body) {
    if (esm ? t.isImportDeclaration(s) : isRequireDeclaration(s)) last = s;
    else if (!esm) break;
  }
  if (last) return { at: last.end!, text: `\n${code}` };
  const first = program.body[0];
  if (first) return { at: first.leadingComments?.[0]?.start ?? first.start!, text: `${code}\n\n` };
  const directive = program.directives.at(-1);
  return { at: directive?.end ?? 0, text: `\n${code}\n` };
}

/** Applies insertions to the original text (later offsets first so earlier ones stay valid). */
export function applyEdits(source: string, edits: readonly Edit[]): string {
  let out = source;
  for (const edit of [...edits].sort((a, b) => b.at - a.at)) out = out.slice(0, edit.at) + edit.text + out.slice(edit.at);
  return out;
}
