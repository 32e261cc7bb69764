/**
 * What the declared-routes visitors collect: routers (every object a route is declared on, keyed
 * by its binding), the mounts between them, each module's exports and hand-written route tables.
 */
import type * as t from '@babel/types';
import type { NodePath } from '../../util/babel.js';
import type { DeclaredRoute } from '../infer.js';

export const HTTP_METHODS = new Set(['get', 'post', 'put', 'patch', 'delete', 'del', 'head', 'options', 'all']);

/** A value a router expression denotes: a binding in this file, or an export of another module. */
export type Ref = { kind: 'local'; key: string } | { kind: 'import'; file: string; name: string };

export interface RouterNode {
  prefix: string;
  isApp: boolean;
  routes: { method: string; path: string; file: string; line: number }[];
  mounts: { prefix: string; target: Ref }[];
}

/** Everything found over all files of the app. */
export class RouteGraph {
  readonly routers = new Map<string, RouterNode>();
  readonly exportsOf = new Map<string, Map<string, Ref>>();
  readonly tables: DeclaredRoute[] = [];

  router(key: string): RouterNode {
    let n = this.routers.get(key);
    if (!n) this.routers.set(key, (n = { prefix: '', isApp: false, routes: [], mounts: [] }));
    return n;
  }

  /** Imports are followed to the exporting module's local router; unresolved ones get their own key. */
  keyOf(ref: Ref, depth = 0): string {
    if (ref.kind === 'local') return ref.key;
    const target = this.exportsOf.get(ref.file)?.get(ref.name);
    if (target && depth < 20) return this.keyOf(target, depth + 1);
    return `${ref.file}:${ref.name}`;
  }
}

/** What the visitors of one file share: where they are and how to resolve an expression. */
export interface FileScope {
  graph: RouteGraph;
  /** Absolute path of the file. */
  file: string;
  /** Path relative to the app dir, for DeclaredRoute.file. */
  rel: string;
  exports: Map<string, Ref>;
  resolve(p: NodePath): Ref | undefined;
  functionRef(fn: t.Function): Ref | undefined;
  addRoute(ref: Ref, method: string, path: string, line: number): void;
}
