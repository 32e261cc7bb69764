/**
 * One visitor per way of declaring routes. Each records into the file's {@link FileScope}:
 *  - method calls: Express `app.get('/x/:id')` and `app.route('/x').get().post()`, @koa/router
 *    `router.get('name', '/x')`, Fastify shorthand `app.get('/x')`;
 *  - mounts: Express/Koa `app.use('/prefix', router)`, Koa `router.prefix('/p')`, Fastify
 *    `app.register(plugin, { prefix })` (also through fastify-plugin's `fp(plugin)`);
 *  - Fastify route objects: `app.route({ method, url })`;
 *  - route tables of hand-written routers: `{ method: 'GET', pattern: /^\/a\/(?<id>\d+)$/ }`.
 */
import type * as t from '@babel/types';
import type { NodePath, Visitor } from '../../util/babel.js';

import { regexToRoute } from '../regex-route.js';
import { isRequire, methodsProp, staticPaths, stringProp } from './ast-values.js';
import { HTTP_METHODS, type FileScope } from './model.js';

/** The method name and receiver of `receiver.method(...)`, or undefined for other calls. */
function memberCall(path: NodePath<t.CallExpression>): { method: string; receiver: NodePath } | undefined {
  const callee = path.node.callee;
  if (callee.type !== 'MemberExpression' || callee.property.type !== 'Identifier') return undefined;
  return { method: callee.property.name, receiver: (path.get('callee') as NodePath<t.MemberExpression>).get('object') as NodePath };
}

export function methodCalls(scope: FileScope): Visitor {
  return {
    CallExpression(path) {
      const call = memberCall(path);
      if (!call || !HTTP_METHODS.has(call.method)) return;
      const { method, receiver } = call;
      const args = path.node.arguments;
      const line = path.node.loc?.start.line ?? 0;
      // Express app.route('/x').get(h).head(h): the path comes from the route() call down the chain.
      let link = receiver;
      while (link.isCallExpression() && link.node.callee.type === 'MemberExpression' && link.node.callee.property.type === 'Identifier' && HTTP_METHODS.has(link.node.callee.property.name)) {
        link = (link.get('callee') as NodePath<t.MemberExpression>).get('object') as NodePath;
      }
      const obj = link.node;
      if (obj.type === 'CallExpression' && obj.callee.type === 'MemberExpression' && obj.callee.property.type === 'Identifier' && obj.callee.property.name === 'route' && obj.arguments[0]?.type !== 'ObjectExpression') {
        const paths = staticPaths(obj.arguments[0], path);
        const ref = scope.resolve((link.get('callee') as NodePath<t.MemberExpression>).get('object') as NodePath);
        if (ref && paths.length > 0) for (const p of paths) scope.addRoute(ref, method, p, line);
        return;
      }
      let paths = staticPaths(args[0], path);
      // koa-router named routes: router.get('name', '/path', handler)
      if (paths.length === 0 || (args[1] && staticPaths(args[1], path).length > 0 && args[0]?.type === 'StringLiteral' && !args[0].value.startsWith('/'))) paths = staticPaths(args[1], path);
      if (paths.length === 0) return;
      const ref = scope.resolve(receiver);
      if (ref) for (const p of paths) scope.addRoute(ref, method, p, line);
    },
  };
}

export function mountCalls(scope: FileScope): Visitor {
  return {
    CallExpression(path) {
      const call = memberCall(path);
      if (!call) return;
      const { method, receiver } = call;
      const args = path.node.arguments;
      if (method === 'prefix' && args[0]?.type === 'StringLiteral') {
        const ref = scope.resolve(receiver);
        if (ref?.kind === 'local') scope.graph.router(ref.key).prefix = args[0].value;
        return;
      }
      if (method !== 'use' && method !== 'register') return;
      const ref = scope.resolve(receiver);
      if (!ref) return;
      let prefix = '';
      let rest = path.get('arguments') as NodePath[];
      const first = staticPaths(args[0], path);
      if (method === 'use' && first.length === 1) {
        prefix = first[0]!;
        rest = rest.slice(1);
      }
      if (method === 'register') {
        const opts = args[1];
        prefix = opts?.type === 'ObjectExpression' ? (stringProp(opts, 'prefix') ?? '') : '';
        rest = rest.slice(0, 1);
      }
      for (const a of rest) {
        const target = a.isCallExpression() && a.node.arguments.length === 1 && !(a.node.callee.type === 'MemberExpression') && !isRequire(a.node)
          ? scope.resolve(a.get('arguments.0') as NodePath) // fastify-plugin: fp(plugin)
          : scope.resolve(a);
        if (target) scope.graph.router(scope.graph.keyOf(ref)).mounts.push({ prefix, target });
      }
    },
  };
}

export function fastifyRouteObjects(scope: FileScope): Visitor {
  return {
    CallExpression(path) {
      const call = memberCall(path);
      const args = path.node.arguments;
      if (call?.method !== 'route' || args[0]?.type !== 'ObjectExpression') return;
      const ref = scope.resolve(call.receiver);
      const url = stringProp(args[0], 'url') ?? stringProp(args[0], 'path');
      if (ref && url !== undefined) for (const m of methodsProp(args[0])) scope.addRoute(ref, m, url, path.node.loc?.start.line ?? 0);
    },
  };
}

export function routeTables(scope: FileScope): Visitor {
  return {
    ObjectExpression(path) {
      const parent = path.parentPath.node;
      if (parent.type === 'CallExpression' && parent.callee.type === 'MemberExpression') return;
      const methods = methodsProp(path.node);
      if (methods.length === 0) return;
      for (const prop of path.node.properties) {
        if (prop.type !== 'ObjectProperty' || prop.key.type !== 'Identifier' || !/^(pattern|path|url|route|regex|re)$/.test(prop.key.name)) continue;
        const route = prop.value.type === 'RegExpLiteral' ? regexToRoute(prop.value.pattern) : prop.value.type === 'StringLiteral' && prop.value.value.startsWith('/') ? prop.value.value : undefined;
        if (route) for (const m of methods) scope.graph.tables.push({ method: m, route, file: scope.rel, line: prop.loc?.start.line ?? 0 });
      }
    },
  };
}
