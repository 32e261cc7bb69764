/**
 * Routes the app's source declares, found statically with Babel: Express (`app.get('/x/:id')`,
 * `router.route('/x').post()`, `app.use('/prefix', router)` across require/import), Koa with
 * @koa/router (`new Router({ prefix })`, `router.use('/p', other.routes())`), Fastify
 * (`app.get`, `app.route({ method, url })`, `app.register(plugin, { prefix })`), and route tables of
 * hand-written routers (`{ method: 'GET', pattern: /^\/a\/(?<id>\d+)$/ }`).
 *
 * Every object a route is declared on is a "router" (keyed by its binding); mounts link routers
 * with a prefix; the full templates are the paths from the apps (express(), new Koa(), Fastify())
 * down through the mounts. What cannot be resolved statically is left to inference.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve as resolvePath } from 'node:path';
import { parse } from '@babel/parser';
import type * as t from '@babel/types';
import { traverse, type NodePath } from './babel.js';
import { listServerFiles, resolveImport } from './source-files.js';
import { regexToRoute } from './regex-route.js';
import type { DeclaredRoute } from './infer.js';

const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all']);

type Ref = { kind: 'local'; key: string } | { kind: 'import'; file: string; name: string };

interface RouterNode {
  prefix: string;
  isApp: boolean;
  routes: { method: string; path: string; file: string; line: number }[];
  mounts: { prefix: string; target: Ref }[];
}

export interface DeclaredRoutesResult {
  routes: DeclaredRoute[];
  /** Files that did not parse (they are skipped). */
  skipped: string[];
}

export function findDeclaredRoutes(appDir: string): DeclaredRoutesResult {
  const routers = new Map<string, RouterNode>();
  const exportsOf = new Map<string, Map<string, Ref>>();
  const tables: DeclaredRoute[] = [];
  const mounted = new Set<string>();
  const skipped: string[] = [];
  const node = (key: string): RouterNode => {
    let n = routers.get(key);
    if (!n) routers.set(key, (n = { prefix: '', isApp: false, routes: [], mounts: [] }));
    return n;
  };

  appDir = resolvePath(appDir);
  for (const file of listServerFiles(appDir)) {
    let ast: t.File;
    try {
      ast = parse(readFileSync(file, 'utf8'), {
        sourceType: 'unambiguous',
        plugins: file.endsWith('.ts') || file.endsWith('.tsx') ? ['typescript', 'decorators-legacy'] : ['jsx'],
        errorRecovery: true,
      });
    } catch {
      skipped.push(relative(appDir, file));
      continue;
    }
    const exp = new Map<string, Ref>();
    exportsOf.set(file, exp);
    const rel = relative(appDir, file);
    const keyOf = (n: t.Node): string => `${file}#${n.start ?? 0}`;

    /** Which router/plugin/module value an expression denotes, when that can be told statically. */
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

    const functionRef = (fn: t.Function): Ref | undefined => {
      const first = fn.params[0];
      return first?.type === 'Identifier' ? { kind: 'local', key: keyOf(first) } : undefined;
    };

    /** express() / new Koa() / Fastify() make apps; new Router({ prefix }) gives a prefix. */
    const markCreation = (key: string, init: t.Node | undefined): void => {
      if (!init || (init.type !== 'CallExpression' && init.type !== 'NewExpression')) return;
      const callee = init.callee;
      const name = callee.type === 'Identifier' ? callee.name : callee.type === 'MemberExpression' && callee.property.type === 'Identifier' ? callee.property.name : '';
      if (/^(express|koa|fastify|createApp|polka|restify\w*)$/i.test(name) && name !== 'Router') node(key).isApp = true;
      const opts = init.arguments[0];
      if (/router/i.test(name) && opts?.type === 'ObjectExpression') {
        const prefix = stringProp(opts, 'prefix');
        if (prefix !== undefined) node(key).prefix = prefix;
      }
    };

    traverse(ast, {
      CallExpression(path) {
        const callee = path.node.callee;
        if (callee.type !== 'MemberExpression' || callee.property.type !== 'Identifier') return;
        const method = callee.property.name;
        const args = path.node.arguments;
        const line = path.node.loc?.start.line ?? 0;
        const objPath = (path.get('callee') as NodePath<t.MemberExpression>).get('object') as NodePath;
        if (HTTP_METHODS.has(method)) {
          // Express app.route('/x').get(h).head(h): the path comes from the route() call down the chain.
          let link = objPath;
          while (link.isCallExpression() && link.node.callee.type === 'MemberExpression' && link.node.callee.property.type === 'Identifier' && HTTP_METHODS.has(link.node.callee.property.name)) {
            link = (link.get('callee') as NodePath<t.MemberExpression>).get('object') as NodePath;
          }
          const obj = link.node;
          if (obj.type === 'CallExpression' && obj.callee.type === 'MemberExpression' && obj.callee.property.type === 'Identifier' && obj.callee.property.name === 'route' && obj.arguments[0]?.type !== 'ObjectExpression') {
            const paths = staticPaths(obj.arguments[0], path);
            const ref = resolve((link.get('callee') as NodePath<t.MemberExpression>).get('object') as NodePath);
            if (ref && paths.length > 0) for (const p of paths) addRoute(ref, method, p, line);
            return;
          }
          let paths = staticPaths(args[0], path);
          // koa-router named routes: router.get('name', '/path', handler)
          if (paths.length === 0 || (args[1] && staticPaths(args[1], path).length > 0 && args[0]?.type === 'StringLiteral' && !args[0].value.startsWith('/'))) paths = staticPaths(args[1], path);
          if (paths.length === 0) return;
          const ref = resolve(objPath);
          if (ref) for (const p of paths) addRoute(ref, method, p, line);
        } else if (method === 'route' && args[0]?.type === 'ObjectExpression') {
          const ref = resolve(objPath);
          const url = stringProp(args[0], 'url') ?? stringProp(args[0], 'path');
          if (ref && url !== undefined) for (const m of methodsProp(args[0])) addRoute(ref, m, url, line);
        } else if (method === 'use' || method === 'register') {
          const ref = resolve(objPath);
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
              ? resolve(a.get('arguments.0') as NodePath) // fastify-plugin: fp(plugin)
              : resolve(a);
            if (target) node(refKeyLocal(ref)).mounts.push({ prefix, target });
          }
        } else if (method === 'prefix' && args[0]?.type === 'StringLiteral') {
          const ref = resolve(objPath);
          if (ref?.kind === 'local') node(ref.key).prefix = args[0].value;
        }
      },
      ObjectExpression(path) {
        // Route tables of hand-written routers: { method: 'GET', pattern: /^\/x\/(?<id>\d+)$/ }
        const parent = path.parentPath.node;
        if (parent.type === 'CallExpression' && parent.callee.type === 'MemberExpression') return;
        const methods = methodsProp(path.node);
        if (methods.length === 0) return;
        for (const prop of path.node.properties) {
          if (prop.type !== 'ObjectProperty' || prop.key.type !== 'Identifier' || !/^(pattern|path|url|route|regex|re)$/.test(prop.key.name)) continue;
          const route = prop.value.type === 'RegExpLiteral' ? regexToRoute(prop.value.pattern) : prop.value.type === 'StringLiteral' && prop.value.value.startsWith('/') ? prop.value.value : undefined;
          if (route) for (const m of methods) tables.push({ method: m, route, file: rel, line: prop.loc?.start.line ?? 0 });
        }
      },
      AssignmentExpression(path) {
        const left = path.node.left;
        if (left.type !== 'MemberExpression' || left.property.type !== 'Identifier') return;
        const isModuleExports = left.object.type === 'Identifier' && left.object.name === 'module' && left.property.name === 'exports';
        const isExportsProp = (left.object.type === 'Identifier' && left.object.name === 'exports') ||
          (left.object.type === 'MemberExpression' && left.object.object.type === 'Identifier' && left.object.object.name === 'module' && left.object.property.type === 'Identifier' && left.object.property.name === 'exports');
        const right = path.get('right') as NodePath;
        if (isModuleExports) {
          if (right.isObjectExpression()) {
            for (const [i, prop] of right.node.properties.entries()) {
              if (prop.type !== 'ObjectProperty' || prop.key.type !== 'Identifier') continue;
              const ref = resolve(right.get(`properties.${i}.value`) as NodePath);
              if (ref) exp.set(prop.key.name, ref);
            }
          } else {
            const ref = resolve(right);
            if (ref) exp.set('default', ref);
          }
        } else if (isExportsProp) {
          const ref = resolve(right);
          if (ref) exp.set(left.property.name, ref);
        }
      },
      ExportDefaultDeclaration(path) {
        const d = path.get('declaration') as NodePath;
        const ref = d.isFunctionDeclaration() ? functionRef(d.node) : resolve(d);
        if (ref) exp.set('default', ref);
      },
      ExportNamedDeclaration(path) {
        const decl = path.node.declaration;
        const source = path.node.source?.value;
        if (decl?.type === 'VariableDeclaration') {
          for (const [i, d] of decl.declarations.entries()) {
            if (d.id.type !== 'Identifier') continue;
            const ref = resolve(path.get(`declaration.declarations.${i}.id`) as NodePath);
            if (ref) exp.set(d.id.name, ref);
          }
        } else if (decl?.type === 'FunctionDeclaration' && decl.id) {
          const ref = functionRef(decl);
          if (ref) exp.set(decl.id.name, ref);
        }
        for (const [i, s] of path.node.specifiers.entries()) {
          if (s.type !== 'ExportSpecifier') continue;
          const exported = s.exported.type === 'Identifier' ? s.exported.name : s.exported.value;
          if (source !== undefined) {
            const target = resolveImport(file, source);
            if (target) exp.set(exported, { kind: 'import', file: target, name: s.local.name });
          } else {
            const ref = resolve(path.get(`specifiers.${i}.local`) as NodePath);
            if (ref) exp.set(exported, ref);
          }
        }
      },
    });

    function addRoute(ref: Ref, method: string, p: string, line: number): void {
      node(refKeyLocal(ref)).routes.push({ method: method === 'del' ? 'DELETE' : method === 'all' ? '*' : method.toUpperCase(), path: p, file: rel, line });
    }
  }

  /** Imports are followed to the exporting module's local router; unresolved ones get their own key. */
  function refKeyLocal(ref: Ref, depth = 0): string {
    if (ref.kind === 'local') return ref.key;
    const target = exportsOf.get(ref.file)?.get(ref.name);
    if (target && depth < 20) return refKeyLocal(target, depth + 1);
    return `${ref.file}:${ref.name}`;
  }

  const out: DeclaredRoute[] = [...tables];
  for (const [, n] of routers) for (const m of n.mounts) mounted.add(refKeyLocal(m.target));
  const apps = [...routers].filter(([, n]) => n.isApp).map(([k]) => k);
  const roots = apps.length > 0 ? apps : [...routers.keys()].filter((k) => !mounted.has(k));
  const walk = (key: string, prefix: string, seen: Set<string>): void => {
    const n = routers.get(key);
    if (!n || seen.has(key)) return;
    const base = joinPath(prefix, n.prefix);
    for (const r of n.routes) out.push({ method: r.method, route: cleanTemplate(joinPath(base, r.path)), file: r.file, line: r.line });
    for (const m of n.mounts) walk(refKeyLocal(m.target), joinPath(base, m.prefix), new Set([...seen, key]));
  };
  for (const r of roots) walk(r, '', new Set());
  const unique = new Map(out.map((r) => [`${r.method} ${r.route}`, r]));
  return { routes: [...unique.values()], skipped };
}

function isRequire(n: t.Node): boolean {
  return n.type === 'CallExpression' && n.callee.type === 'Identifier' && n.callee.name === 'require' && n.arguments[0]?.type === 'StringLiteral';
}

/** String values a path argument can take: literals, static templates, arrays, const bindings. */
function staticPaths(arg: t.Node | undefined, at: NodePath): string[] {
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

function stringProp(obj: t.ObjectExpression, name: string): string | undefined {
  for (const p of obj.properties) {
    if (p.type === 'ObjectProperty' && ((p.key.type === 'Identifier' && p.key.name === name) || (p.key.type === 'StringLiteral' && p.key.value === name)) && p.value.type === 'StringLiteral') return p.value.value;
  }
  return undefined;
}

function methodsProp(obj: t.ObjectExpression): string[] {
  for (const p of obj.properties) {
    if (p.type !== 'ObjectProperty' || p.key.type !== 'Identifier' || p.key.name !== 'method') continue;
    const vals = p.value.type === 'StringLiteral' ? [p.value.value] : p.value.type === 'ArrayExpression' ? p.value.elements.flatMap((e) => (e?.type === 'StringLiteral' ? [e.value] : [])) : [];
    return vals.filter((v) => HTTP_METHODS.has(v.toLowerCase())).map((v) => v.toUpperCase());
  }
  return [];
}

function joinPath(a: string, b: string): string {
  if (!b || b === '/') return a || '';
  return `${a.replace(/\/+$/, '')}/${b.replace(/^\/+/, '')}`;
}

/** Express/Fastify decorations a template does not need: `:id(\\d+)` -> `:id`, `*name` -> `*`. */
function cleanTemplate(route: string): string {
  return (route || '/').replace(/(:[A-Za-z_$][\w$]*)\([^/]*\)/g, '$1').replace(/\*[A-Za-z_$][\w$]*/g, '*').replace(/[{}]/g, '') || '/';
}
