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
 *
 * The parts, in declared-routes/: reference resolution (resolve-refs.ts), one visitor per way of
 * declaring routes (visitors.ts), the exports map (exports.ts) and the mount walk (mount-walk.ts).
 */
import { readFileSync } from 'node:fs';
import { relative, resolve as resolvePath } from 'node:path';
import { parse } from '@babel/parser';
import type * as t from '@babel/types';
import { traverse } from '../util/babel.js';
import { listServerFiles } from './source-files.js';
import type { DeclaredRoute } from './infer.js';
import { moduleExports } from './declared-routes/exports.js';
import { RouteGraph } from './declared-routes/model.js';
import { walkMounts } from './declared-routes/mount-walk.js';
import { fileScope } from './declared-routes/resolve-refs.js';
import { fastifyRouteObjects, methodCalls, mountCalls, routeTables } from './declared-routes/visitors.js';

export interface DeclaredRoutesResult {
  routes: DeclaredRoute[];
  /** Files that did not parse (they are skipped). */
  skipped: string[];
}

export function findDeclaredRoutes(appDir: string): DeclaredRoutesResult {
  const graph = new RouteGraph();
  const skipped: string[] = [];
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
    const scope = fileScope(graph, file, relative(appDir, file));
    traverse(ast, traverse.visitors.merge([methodCalls(scope), fastifyRouteObjects(scope), mountCalls(scope), routeTables(scope), moduleExports(scope)]));
  }
  return { routes: walkMounts(graph), skipped };
}
