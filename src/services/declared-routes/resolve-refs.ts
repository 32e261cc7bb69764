/**
 * Reference resolution: which router, plugin or module value an expression denotes, when that
 * can be told statically (bindings, imports, require, destructuring, chained calls).
 */
import type * as t from '@babel/types';
import type { NodePath } from '../../util/babel.js';
import { resolveImport } from '../source-files.js';
import { isRequire, stringProp } from './ast-values.js';
import { HTTP_METHODS, type FileScope, type Ref, type RouteGraph } from './model.js';

export function fileScope(graph: RouteGraph, file: string, rel: string): FileScope {
  const exports = new Map<string, Ref>();
  graph.exportsOf.set(file, exports);
  const keyOf = (n: t.Node): string => `${file}#${n.start ?? 0}`;

  const functionRef = (fn: t.Function): Ref | undefined => {
    const first = fn.params[0];
    return first?.type === 'Identifier' ? { kind: 'local', key: keyOf(first) } : undefined;
  };

  /** express() / new Koa() / Fastify() make apps; new Router({ prefix }) gives a prefix. */
  const markCreation = (key: string, init: t.Node | undefined): void => {
    if (!init || (init.type !== 'CallExpression' && init.type !== 'NewExpression')) return;
    const callee = init.callee;
    const name = callee.type === 'Identifier' ? callee.name : callee.type === 'MemberExpression' && callee.property.type === 'Identifier' ? callee.property.name : '';
    if (/^(express|koa|fastify|createApp|polka|restify\w*)$/i.test(name) && name !== 'Router') graph.router(key).isApp = true;
    const opts = init.arguments[0];
    if (/router/i.test(name) && opts?.type === 'ObjectExpression') {
      const prefix = stringProp(opts, 'prefix');
      if (prefix !== undefined) graph.router(key).prefix = prefix;
    }
  };

  const resolve = (p: NodePath): Ref | undefined => {
    const n = p.node;
    if (p.isIdentifier()) {
      const b = p.scope.getBinding(p.node.name);
      if (!b) return undefined;
      const bp = b.path;
      if (b.kind === 'param') return { kind: 'local', key: keyOf(b.identifier) };
      if (bp.isImportDefaultSpecifier() || bp.isImportNamespaceSpecifier() || bp.isImportSpecifier()) {
        const decl = bp.parentPath as NodePath<t.ImportDeclaration>;
        const target = resolveImport(file, decl.node.source.value);
        if (!target) return undefined;
        if (bp.isImportSpecifier()) {
          const imported = bp.node.imported;
          return { kind: 'import', file: target, name: imported.type === 'Identifier' ? imported.name : imported.value };
        }
        return { kind: 'import', file: target, name: 'default' };
      }
      if (bp.isFunctionDeclaration()) return functionRef(bp.node);
      if (bp.isVariableDeclarator()) {
        const init = bp.get('init');
        if (bp.node.id.type === 'ObjectPattern' && init.node) {
          // const { router } = require('./x')
          const src = resolve(init as NodePath);
          const prop = bp.node.id.properties.find((pr) => pr.type === 'ObjectProperty' && pr.value.type === 'Identifier' && pr.value.name === p.node.name);
          if (src?.kind === 'import' && prop?.type === 'ObjectProperty' && prop.key.type === 'Identifier') return { kind: 'import', file: src.file, name: prop.key.name };
          return undefined;
        }
        if (init.node && (init.isFunctionExpression() || init.isArrowFunctionExpression())) return functionRef(init.node);
        if (init.node && (init.isIdentifier() || init.isMemberExpression() || isRequire(init.node))) return resolve(init as NodePath);
        markCreation(keyOf(b.identifier), init.node ?? undefined);
        return { kind: 'local', key: keyOf(b.identifier) };
      }
      return undefined;
    }
    if (p.isMemberExpression() && !p.node.computed && p.node.property.type === 'Identifier') {
      const obj = resolve(p.get('object') as NodePath);
      if (obj?.kind === 'import') return { kind: 'import', file: obj.file, name: obj.name === 'default' ? p.node.property.name : `${obj.name}.${p.node.property.name}` };
      return undefined;
    }
    if (isRequire(n)) {
      const target = resolveImport(file, ((n as t.CallExpression).arguments[0] as t.StringLiteral).value);
      return target ? { kind: 'import', file: target, name: 'default' } : undefined;
    }
    if (p.isCallExpression() && p.node.callee.type === 'MemberExpression' && p.node.callee.property.type === 'Identifier') {
      const m = p.node.callee.property.name;
      const objPath = (p.get('callee') as NodePath<t.MemberExpression>).get('object') as NodePath;
      // koa: other.routes() / other.middleware(); chained declarations return the router itself.
      if (m === 'routes' || m === 'middleware' || HTTP_METHODS.has(m) || m === 'use' || m === 'prefix') return resolve(objPath);
    }
    if (p.isNewExpression() || p.isCallExpression()) {
      markCreation(keyOf(n), n);
      return { kind: 'local', key: keyOf(n) };
    }
    if (p.isFunctionExpression() || p.isArrowFunctionExpression()) return functionRef(p.node);
    return undefined;
  };

  const addRoute = (ref: Ref, method: string, path: string, line: number): void => {
    graph.router(graph.keyOf(ref)).routes.push({ method: method === 'del' ? 'DELETE' : method === 'all' ? '*' : method.toUpperCase(), path, file: rel, line });
  };

  return { graph, file, rel, exports, resolve, functionRef, addRoute };
}
