/**
 * Route patterns the app's source declares: string literals that look like routes ('/a/:id',
 * '/stats', router prefixes) and regular expressions of the form /^\/a\/(?<id>[^/]+)$/ (plain
 * http routers). Collected generously: they only serve to align request paths (group-services).
 */
import { parse } from '@babel/parser';
import { traverse } from '../util/babel.js';
import { regexToRoute } from './regex-route.js';

const ROUTE_LIKE = /^\/[A-Za-z0-9_\-.~:/*]*$/;

export function declaredRoutes(sources: { file: string; code: string; sourceType: 'module' | 'script' }[]): string[] {
  const out = new Set<string>();
  for (const src of sources) {
    let ast;
    try {
      ast = parse(src.code, { sourceType: src.sourceType, allowReturnOutsideFunction: true, errorRecovery: true, plugins: ['jsx'] });
    } catch {
      continue;
    }
    traverse(ast, {
      StringLiteral(path) {
        const v = path.node.value;
        if (v.length > 1 && ROUTE_LIKE.test(v) && !/\.(js|json|html|css|db|txt)$/.test(v)) out.add(v.replace(/\/+$/, ''));
      },
      RegExpLiteral(path) {
        const t = regexToRoute(path.node.pattern);
        if (t && t.length > 1) out.add(t);
      },
    });
  }
  return [...out];
}
