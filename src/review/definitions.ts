/**
 * Where the helpers a service calls are defined. Real apps keep their SQL and file access in a
 * data module (`stmts.insertDonut.run(d)` in the route, the INSERT in db.js), so a handler's own
 * lines rarely name the table. Following the identifiers of the service's statements to their
 * definitions (one level) finds the statements that do. Pure: parses the given sources.
 */
import { parse } from '@babel/parser';
import type { Node } from '@babel/types';

/** A definition's span in an app-relative file (1-based, inclusive). */
export interface DefinitionRange {
  file: string;
  start: number;
  end: number;
}

/** Identifier → where something of that name is defined (functions, methods, properties, variables). */
export type DefinitionIndex = ReadonlyMap<string, readonly DefinitionRange[]>;

/** Definitions longer than this are whole modules or classes: too broad to point at. */
const MAX_SPAN = 80;

/** Property values that hold a helper, a query or a prepared statement. */
const DEFINING_VALUES = new Set([
  'FunctionExpression', 'ArrowFunctionExpression', 'CallExpression', 'AwaitExpression', 'NewExpression', 'ObjectExpression',
  'ClassExpression', 'StringLiteral', 'TemplateLiteral', 'TaggedTemplateExpression',
]);

const FUNCTIONS = new Set(['FunctionDeclaration', 'FunctionExpression', 'ArrowFunctionExpression', 'ObjectMethod', 'ClassMethod', 'ClassPrivateMethod']);

function parseLoose(text: string): Node | null {
  for (const plugins of [['jsx'], ['typescript']] as const) {
    try {
      return parse(text, { sourceType: 'unambiguous', errorRecovery: true, allowReturnOutsideFunction: true, plugins: [...plugins] });
    } catch {
      // Try the next dialect; a file that parses in none just has no definitions.
    }
  }
  return null;
}

function keyName(key: Node | null | undefined): string | null {
  if (!key) return null;
  if (key.type === 'Identifier') return key.name;
  if (key.type === 'StringLiteral') return key.value;
  if (key.type === 'PrivateName') return key.id.name;
  return null;
}

/** The name a node defines, if it is a definition. */
function definedName(node: Node): string | null {
  switch (node.type) {
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
      return node.id?.name ?? null;
    case 'VariableDeclarator':
      return node.id.type === 'Identifier' ? node.id.name : null;
    case 'ObjectProperty':
      // `{ byId: db.prepare('...') }` defines something; `{ shop, role }` and `{ a: b }` only pass values.
      return !node.shorthand && DEFINING_VALUES.has(node.value.type) ? keyName(node.key) : null;
    case 'ObjectMethod':
    case 'ClassMethod':
    case 'ClassPrivateMethod':
    case 'ClassProperty':
    case 'ClassPrivateProperty':
      return keyName(node.key);
    case 'AssignmentExpression':
      // exports.find = function ..., Foo.prototype.bar = ...
      return node.left.type === 'MemberExpression' ? keyName(node.left.property) : null;
    default:
      return null;
  }
}

/** Indexes every definition in the sources by name. */
export function indexDefinitions(sources: ReadonlyMap<string, string>): DefinitionIndex {
  const index = new Map<string, DefinitionRange[]>();
  for (const [file, text] of sources) {
    const ast = parseLoose(text);
    if (!ast) continue;
    // [node, inside a function]: a function's local variables are not helpers anyone calls.
    const stack: Array<[unknown, boolean]> = [[ast, false]];
    while (stack.length > 0) {
      const [value, inFunction] = stack.pop()!;
      if (Array.isArray(value)) {
        for (const v of value) stack.push([v, inFunction]);
        continue;
      }
      if (value === null || typeof value !== 'object' || typeof (value as { type?: unknown }).type !== 'string') continue;
      const node = value as Node;
      const name = node.type === 'VariableDeclarator' && inFunction ? null : definedName(node);
      if (name !== null && node.loc && node.loc.end.line - node.loc.start.line < MAX_SPAN) {
        const list = index.get(name) ?? [];
        list.push({ file, start: node.loc.start.line, end: node.loc.end.line });
        index.set(name, list);
      }
      const childInFunction = inFunction || FUNCTIONS.has(node.type);
      for (const [k, child] of Object.entries(node)) {
        if (k !== 'loc' && k !== 'leadingComments' && k !== 'trailingComments' && k !== 'innerComments' && child && typeof child === 'object') {
          stack.push([child, childInFunction]);
        }
      }
    }
  }
  return index;
}

/**
 * Identifiers a line uses, except object keys and labels (`{ count: n }` names nothing defined):
 * `stmts.insertDonut.run(d)` → stmts, insertDonut, run, d; `db.get(DETAIL_SQL)` → db, get, DETAIL_SQL.
 */
export function identifiersOf(line: string): string[] {
  const noStrings = line.replace(/'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"/g, '""');
  const out = new Set<string>();
  for (const m of noStrings.matchAll(/(?<![\w$])([A-Za-z_$][\w$]*)(?![\w$])(?!\s*:(?!:))/g)) out.add(m[1]!);
  return [...out];
}
