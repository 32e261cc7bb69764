/**
 * Statement-executed probes and value probes (the paper's normalization, done with transparent
 * wrappers instead of temporaries): every value that flows into a call, out of a declarator or
 * assignment, or out of a function is logged against its statement id. Wrapping keeps the
 * evaluation order and `this` (the callee is never touched).
 *
 *   function h(req, res) { const id = Number(req.params.id); res.json(find(id)); }
 * ->
 *   function h(req, res) {
 *     __edgstr$.s[1] || __edgstr$.S(1);
 *     const id = __edgstr$.v(1, Number(__edgstr$.v(1, req.params.id)));
 *     __edgstr$.s[2] || __edgstr$.S(2);
 *     res.json(__edgstr$.v(2, find(__edgstr$.v(2, id))));
 *   }
 */
import * as t from '@babel/types';
import type { NodePath } from '../../../util/babel.js';
import { getStmtId, RT, type InstrumentContext } from '../probe-table.js';
import * as s from '../snippets.js';

function isRuntimeCall(node: t.Node): boolean {
  if (!t.isCallExpression(node)) return false;
  const c = node.callee;
  return t.isMemberExpression(c) && t.isIdentifier(c.object, { name: RT });
}

/**
 * Arithmetic on numbers and indexed element reads: in hot loops they would dominate the cost of
 * tracing, and a request parameter or a response body reaches the app through calls, names and
 * property reads, not through `a * b` or `w[i]`.
 */
function isArithmetic(node: t.Node): boolean {
  if (t.isBinaryExpression(node)) return node.operator !== '+' || !(t.isStringLiteral(node.left) || t.isStringLiteral(node.right) || t.isTemplateLiteral(node.left) || t.isTemplateLiteral(node.right));
  if (t.isUnaryExpression(node)) return node.operator !== 'typeof' && node.operator !== 'delete';
  if (t.isUpdateExpression(node)) return true;
  if (t.isMemberExpression(node) && node.computed && !t.isStringLiteral(node.property)) return true;
  return false;
}

/** Values not worth logging: constants, code, arithmetic. */
function isBoring(node: t.Node): boolean {
  return (
    isArithmetic(node) ||
    t.isLiteral(node) && !t.isTemplateLiteral(node) ||
    (t.isTemplateLiteral(node) && node.expressions.length === 0) ||
    t.isFunction(node) ||
    t.isClass(node) ||
    isRuntimeCall(node) ||
    t.isIdentifier(node, { name: 'undefined' })
  );
}

function stmtIdOf(path: NodePath): number | null {
  if (!path.getFunctionParent()) return null;
  const st = path.findParent((p) => p.isStatement() && !p.isBlockStatement());
  if (!st) return null;
  const id = getStmtId(st.node);
  return id === undefined ? null : id;
}

export function valuesVisitor(_ctx: InstrumentContext) {
  const wrapped = new WeakSet<t.Node>();
  const wrap = (path: NodePath, id: number) => {
    const node = path.node;
    if (!node || wrapped.has(node) || !t.isExpression(node) || isBoring(node)) return;
    wrapped.add(node);
    const probe = s.valueProbe({ ID: s.num(id), EXPR: node });
    wrapped.add(probe);
    path.replaceWith(probe);
  };

  return {
    Statement(path: NodePath<t.Statement>) {
      if (path.isBlockStatement() || path.isFunctionDeclaration() || path.isClassDeclaration()) return;
      if (typeof path.listKey !== 'string' || !(path.parentPath?.isBlockStatement() || path.parentPath?.isSwitchCase())) return;
      if (!path.getFunctionParent()) return;
      const id = getStmtId(path.node);
      if (id === undefined) return;
      const node = path.node as t.Node;
      if (t.isExpressionStatement(node) && isRuntimeCall(node.expression)) return;
      path.insertBefore(s.stmtProbe({ ID: s.num(id) }));
    },
    'CallExpression|NewExpression'(path: NodePath<t.CallExpression | t.NewExpression>) {
      const node = path.node;
      if (isRuntimeCall(node)) return;
      if (t.isIdentifier(node.callee, { name: 'require' }) || t.isImport(node.callee)) return;
      const id = stmtIdOf(path);
      if (id === null) return;
      path.get('arguments').forEach((arg) => {
        if (arg.isSpreadElement()) wrap(arg.get('argument'), id);
        else wrap(arg, id);
      });
    },
    VariableDeclarator(path: NodePath<t.VariableDeclarator>) {
      const id = stmtIdOf(path);
      if (id !== null && path.node.init) wrap(path.get('init') as NodePath, id);
    },
    AssignmentExpression(path: NodePath<t.AssignmentExpression>) {
      const id = stmtIdOf(path);
      if (id !== null) wrap(path.get('right'), id);
    },
    ReturnStatement(path: NodePath<t.ReturnStatement>) {
      const id = getStmtId(path.node);
      if (id !== undefined && path.node.argument && path.getFunctionParent()) wrap(path.get('argument') as NodePath, id);
    },
    ArrowFunctionExpression(path: NodePath<t.ArrowFunctionExpression>) {
      const body = path.get('body');
      if (body.isBlockStatement()) return;
      const id = stmtIdOf(body);
      if (id !== null) wrap(body, id);
    },
  };
}
