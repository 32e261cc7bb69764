/**
 * `this.field` probes inside class methods: state held in a field of a long-lived object is
 * reported as `Class#field` (DESIGN.md §3). Instances register themselves at construction (a
 * private field initializer, invisible to Object.keys/JSON); the tracer counts an instance as
 * long-lived when it was constructed outside any request.
 *
 *   class Books { search(q) { if (this.cache.has(q)) return this.cache.get(q); this.hits++; } }
 * ->
 *   class Books {
 *     #__edgstr$i = __edgstr$.inst(this, "Books");
 *     search(q) {
 *       if (__edgstr$.tm(0, this, "has", this.cache).has(q)) return __edgstr$.tm(0, this, "get", this.cache).get(q);
 *       (__edgstr$.tR(1, this), __edgstr$.tW(1, this), this.hits++);
 *     }
 *   }
 */
import * as t from '@babel/types';
import type { NodePath } from '../../../util/babel.js';
import { isMarked, mark, type InstrumentContext } from '../probe-table.js';
import * as s from '../snippets.js';
import { staticPropName } from '../globals/transform.js';

/** The class whose instance `this` is at `path`, or null (static code, plain functions, constructors). */
function enclosingClass(path: NodePath): { cls: NodePath<t.Class>; name: string } | null {
  let p: NodePath | null = path.parentPath;
  while (p) {
    if (p.isArrowFunctionExpression()) {
      p = p.parentPath;
      continue;
    }
    if (p.isClassMethod() || p.isClassPrivateMethod()) {
      if (p.node.static || (p.isClassMethod() && p.node.kind === 'constructor')) return null;
      break;
    }
    if (p.isClassProperty() || p.isClassPrivateProperty()) {
      if (p.node.static) return null;
      break;
    }
    if (p.isFunction() || p.isProgram()) return null;
    p = p.parentPath;
  }
  const cls = p?.parentPath?.parentPath;
  if (!cls?.isClass()) return null;
  let name: string | null = cls.node.id?.name ?? null;
  if (!name && cls.parentPath?.isVariableDeclarator() && t.isIdentifier(cls.parentPath.node.id)) name = cls.parentPath.node.id.name;
  return name ? { cls, name } : null;
}

export function thisFieldsVisitor(ctx: InstrumentContext) {
  const ids = new Map<string, number>();
  const probed = new Map<t.Class, string>();
  const fieldId = (cls: string, field: string): number => {
    const key = `${cls}#${field}`;
    let id = ids.get(key);
    if (id === undefined) {
      id = ctx.table.fields.length;
      ctx.table.fields.push({ file: ctx.file, className: cls, field });
      ids.set(key, id);
    }
    return id;
  };

  return {
    MemberExpression(path: NodePath<t.MemberExpression>) {
      const node = path.node;
      if (isMarked(node) || !t.isThisExpression(node.object) || node.computed || !t.isIdentifier(node.property)) return;
      const owner = enclosingClass(path);
      if (!owner) return;
      mark(node);
      const id = s.num(fieldId(owner.name, node.property.name));
      probed.set(owner.cls.node, owner.name);
      // climb to the outermost member chain this.F.a.b
      let top: NodePath = path;
      while (top.parentPath?.isMemberExpression() && top.parentPath.node.object === top.node) top = top.parentPath;
      const parent = top.parentPath!;
      if (parent.isCallExpression() && parent.node.callee === top.node) {
        if (top === path) return; // this.method(): a method call, not a field
        const member = top.node as t.MemberExpression;
        const name = staticPropName(member);
        const recvPath = (top as NodePath<t.MemberExpression>).get('object');
        if (name === null) {
          path.replaceWith(mark(s.fieldRead({ ID: id, EXPR: node })));
          return;
        }
        recvPath.replaceWith(mark(s.fieldMemberCall({ ID: id, NAME: s.str(name), RECV: recvPath.node })));
        return;
      }
      if (parent.isAssignmentExpression() && parent.node.left === top.node) {
        mark(parent.node);
        const tpl = parent.node.operator === '=' ? s.fieldWrite : s.fieldReadWrite;
        parent.replaceWith(mark(tpl({ ID: id, EXPR: parent.node })));
        return;
      }
      if (parent.isUpdateExpression() || (parent.isUnaryExpression() && parent.node.operator === 'delete')) {
        mark(parent.node);
        const tpl = parent.isUpdateExpression() ? s.fieldReadWrite : s.fieldWrite;
        parent.replaceWith(mark(tpl({ ID: id, EXPR: parent.node as t.Expression })));
        return;
      }
      path.replaceWith(mark(s.fieldRead({ ID: id, EXPR: node })));
    },
    Class: {
      exit(path: NodePath<t.Class>) {
        const name = probed.get(path.node);
        if (!name) return;
        const prop = t.classPrivateProperty(t.privateName(t.identifier('__edgstr$i')), s.instanceField({ NAME: s.str(name) }));
        path.get('body').unshiftContainer('body', mark(prop));
      },
    },
  };
}
