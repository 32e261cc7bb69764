/** Static values of route arguments: paths, string properties, method lists. */
import type * as t from '@babel/types';
import type { NodePath } from '../../util/babel.js';
import { HTTP_METHODS } from './model.js';

export function isRequire(n: t.Node): boolean {
  return n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'StringLiteral';
}

/** String values a path argument can take: literals, static templates, arrays, const bindings. */
export function staticPaths(arg: t.Node | undefined, at: NodePath): string[] {
  if (!arg) return [];
  if (arg.type === 'StringLiteral') return arg.value.startsWith('/') || arg.value === '*' ? [arg.value] : [];
  if (arg.type === 'TemplateLiteral' && arg.expressions.length === 0) return staticPaths({ type: 'StringLiteral', value: arg.quasis[0]!.value.cooked ?? '' } as t.StringLiteral, at);
  if (arg.type === 'ArrayExpression') return arg.elements.flatMap((e) => (e ? staticPaths(e, at) : []));
  if (arg.type === 'Identifier') {
    const b = at.scope.getBinding(arg.name);
    const init = b?.kind === 'const' && b.path.isVariableDeclarator() ? b.path.node.init : undefined;
    return init && init.type !== 'Identifier' ? staticPaths(init, at) : [];
  }
  return [];
}

export function stringProp(obj: t.ObjectExpression, name: string): string | undefined {
  for (const p of obj.properties) {
    if (p.type === 'ObjectProperty' && ((p.key.type === 'Identifier' && p.key.name === name) || (p.key.type === 'StringLiteral' && p.key.value === name)) && p.value.type === 'StringLiteral') return p.value.value;
  }
  return undefined;
}

export function methodsProp(obj: t.ObjectExpression): string[] {
  for (const p of obj.properties) {
    if (p.type !== 'ObjectProperty' || p.key.type !== 'Identifier' || p.key.name !== 'method') continue;
    const vals = p.value.type === 'StringLiteral' ? [p.value.value] : p.value.type === 'ArrayExpression' ? p.value.elements.flatMap((e) => (e?.type === 'StringLiteral' ? [e.value] : [])) : [];
    return vals.filter((v) => HTTP_METHODS.has(v.toLowerCase())).map((v) => v.toUpperCase());
  }
  return [];
}
