/**
 * Global read/write probes for module-level bindings, and per-module getters/setters so the
 * tracer can checkpoint and restore them (DESIGN.md §1 "Global variables").
 *
 *   let hits = 0; const cache = new Map();
 *   function f(k) { hits++; cache.set(k, 1); return cache.size; }
 * ->
 *   function f(k) {
 *     (__edgstr$.gr[0] || __edgstr$.R(0), __edgstr$.gw[0] || __edgstr$.W(0), hits++);
 *     __edgstr$.m(1, cache, "set").set(k, 1);
 *     return (__edgstr$.gr[1] || __edgstr$.R(1), cache).size;
 *   }
 *   __edgstr$.mod("f.js", [[0, () => hits, v => { hits = v; }], [1, () => cache, null]]);
 *
 * Only code inside functions is probed: module-level code runs at start-up, before the
 * checkpoint, and is never part of an execution.
 */
import * as t from '@babel/types';
import type { NodePath, Binding } from '../../../util/babel.js';
import { isMarked, mark, type InstrumentContext } from '../probe-table.js';
import * as s from '../snippets.js';

interface Tracked {
  id: number;
  binding: Binding;
}

/** Finds the identifier at the root of a member chain `a.b[c].d`. */
export function memberRoot(node: t.Node): t.Node {
  let n = node;
  while (t.isMemberExpression(n) || t.isOptionalMemberExpression(n)) n = n.object;
  return n;
}

export function staticPropName(node: t.MemberExpression | t.OptionalMemberExpression): string | null {
  if (!node.computed && t.isIdentifier(node.property)) return node.property.name;
  if (t.isStringLiteral(node.property)) return node.property.value;
  return null;
}

export function globalsVisitor(ctx: InstrumentContext) {
  const tracked = new Map<Binding, Tracked>();
  const handled = new WeakSet<t.Node>();

  const lookup = (path: NodePath, node: t.Node): Tracked | null => {
    if (!t.isIdentifier(node) || isMarked(node)) return null;
    const b = path.scope.getBinding(node.name);
    return b ? (tracked.get(b) ?? null) : null;
  };
  const inFunction = (path: NodePath): boolean => path.getFunctionParent() !== null;
  const wrap = (path: NodePath<t.Expression>, ids: number[], kind: 'w' | 'rw') => {
    const id = ids[0]!;
    mark(path.node);
    const expr = mark(kind === 'w' ? s.globalWrite({ ID: s.num(id), EXPR: path.node }) : s.globalReadWrite({ ID: s.num(id), EXPR: path.node }));
    let out: t.Expression = expr;
    for (const extra of ids.slice(1)) out = mark(s.globalWrite({ ID: s.num(extra), EXPR: out }));
    path.replaceWith(out);
  };

  return {
    Program: {
      enter(path: NodePath<t.Program>) {
        for (const [name, b] of Object.entries(path.scope.bindings)) {
          const kind = b.kind;
          if (kind === 'var' || kind === 'let' || kind === 'const') {
            const id = ctx.table.globals.length;
            ctx.table.globals.push({ file: ctx.file, name, kind });
            tracked.set(b, { id, binding: b });
          } else if (kind === 'module') {
            const spec = b.path.node;
            const decl = b.path.parentPath?.node;
            if (!t.isImportDeclaration(decl)) continue;
            let imported: string | null = null;
            if (t.isImportSpecifier(spec)) imported = t.isIdentifier(spec.imported) ? spec.imported.name : spec.imported.value;
            else if (t.isImportDefaultSpecifier(spec)) imported = 'default';
            if (imported === null) continue;
            const id = ctx.table.globals.length;
            ctx.table.globals.push({ file: ctx.file, name, kind: 'import', source: decl.source.value, imported });
            tracked.set(b, { id, binding: b });
          }
        }
      },
      exit(path: NodePath<t.Program>) {
        const list: t.ArrayExpression[] = [];
        for (const { id, binding } of tracked.values()) {
          if (binding.kind === 'module') continue;
          const name = binding.identifier.name;
          const getter = t.arrowFunctionExpression([], mark(t.identifier(name)));
          const setter =
            binding.kind === 'const'
              ? t.nullLiteral()
              : t.arrowFunctionExpression(
                  [t.identifier('__edgstr$v')],
                  t.blockStatement([t.expressionStatement(mark(t.assignmentExpression('=', mark(t.identifier(name)), t.identifier('__edgstr$v'))))]),
                );
          list.push(t.arrayExpression([s.num(id), getter, setter]));
        }
        if (list.length === 0) return;
        const reg = mark(s.moduleRegistration({ FILE: s.str(ctx.file), LIST: t.arrayExpression(list) }));
        path.pushContainer('body', reg);
      },
    },
    AssignmentExpression(path: NodePath<t.AssignmentExpression>) {
      if (isMarked(path.node) || !inFunction(path)) return;
      const left = path.node.left;
      const ids: number[] = [];
      if (t.isMemberExpression(left)) {
        const tr = lookup(path, memberRoot(left));
        if (tr) {
          handled.add(memberRoot(left));
          ids.push(tr.id);
        }
      } else {
        for (const name of Object.keys(t.getBindingIdentifiers(left))) {
          const b = path.scope.getBinding(name);
          const tr = b ? tracked.get(b) : undefined;
          if (tr) ids.push(tr.id);
        }
      }
      if (ids.length === 0) return;
      wrap(path, ids, path.node.operator === '=' ? 'w' : 'rw');
    },
    UpdateExpression(path: NodePath<t.UpdateExpression>) {
      if (isMarked(path.node) || !inFunction(path)) return;
      const root = memberRoot(path.node.argument);
      const tr = lookup(path, root);
      if (!tr) return;
      handled.add(root);
      wrap(path, [tr.id], 'rw');
    },
    UnaryExpression(path: NodePath<t.UnaryExpression>) {
      if (path.node.operator !== 'delete' || isMarked(path.node) || !inFunction(path)) return;
      const root = memberRoot(path.node.argument);
      const tr = lookup(path, root);
      if (!tr || root === path.node.argument) return;
      handled.add(root);
      wrap(path, [tr.id], 'w');
    },
    CallExpression(path: NodePath<t.CallExpression>) {
      if (isMarked(path.node) || !inFunction(path)) return;
      const callee = path.node.callee;
      if (!t.isMemberExpression(callee)) return;
      const name = staticPropName(callee);
      if (name === null) return;
      const root = memberRoot(callee.object);
      const tr = lookup(path, root);
      if (!tr) return;
      handled.add(root);
      const recv = mark(s.globalMemberCall({ ID: s.num(tr.id), RECV: callee.object, NAME: s.str(name) }));
      path.get('callee').get('object').replaceWith(recv);
    },
    ReferencedIdentifier(path: NodePath<t.Identifier | t.JSXIdentifier>) {
      const node = path.node;
      if (!t.isIdentifier(node) || isMarked(node) || handled.has(node) || !inFunction(path)) return;
      const tr = lookup(path, node);
      if (!tr) return;
      const p = path.parentPath;
      if (p?.isUpdateExpression() || (p?.isAssignmentExpression() && p.node.left === node)) return;
      if (p?.isExportSpecifier() || p?.isTSTypeReference?.()) return;
      mark(node);
      path.replaceWith(mark(s.globalRead({ ID: s.num(tr.id), EXPR: node })));
      path.skip();
    },
  };
}
