/**
 * Statement ids and the static facts of the dependence rules (DESIGN.md §1): every statement
 * gets an id (original file:line:col), its control parent, the bindings it defines and uses and
 * the functions it declares. Nothing in the AST changes except an id stored on each statement
 * node, which the value-probe plugin reads later.
 *
 *   function f(a) { if (a) return g(a); }
 *   -> stmt 0 FunctionDeclaration declares f; stmt 1 IfStatement (parent 0) uses a;
 *      stmt 2 ReturnStatement (parent 1) uses a, g
 */
import type { NodePath, Binding } from '../../../util/babel.js';
import type * as t from '@babel/types';
import { getStmtId, setStmtId, type InstrumentContext, type StmtInfo } from '../probe-table.js';

/** A stable key of a binding: file and the offset of its declaring identifier. */
export function bindingKey(file: string, binding: Binding): string {
  return `${file}:${binding.identifier.start ?? 0}:${binding.identifier.name}`;
}

/** Key of a function node (declaration or expression). */
export function functionKey(file: string, node: t.Node): string {
  return `${file}@${node.start ?? 0}`;
}

function owningStmt(path: NodePath): NodePath | null {
  return path.findParent((p) => p.isStatement() && !p.isBlockStatement());
}

function stmtIdOf(path: NodePath | null): number | null {
  if (!path) return null;
  const id = getStmtId(path.node);
  return id === undefined ? null : id;
}

export function factsVisitor(ctx: InstrumentContext) {
  const info = (path: NodePath): StmtInfo | null => {
    const id = stmtIdOf(path);
    return id === null ? null : ctx.table.stmts[id]!;
  };
  return {
    Statement: {
      enter(path: NodePath<t.Statement>) {
        if (path.isBlockStatement()) return;
        const loc = path.node.loc?.start;
        const parent = owningStmt(path);
        const fnPath = path.getFunctionParent();
        const id = ctx.table.stmts.length;
        ctx.table.stmts.push({
          file: ctx.file,
          line: loc?.line ?? 1,
          column: loc?.column ?? 0,
          kind: path.node.type,
          parent: stmtIdOf(parent),
          defs: [],
          uses: [],
          declares: [],
          fn: fnPath ? functionKey(ctx.file, fnPath.node) : null,
        });
        setStmtId(path.node, id);
      },
    },
    Function(path: NodePath<t.Function>) {
      const st = info(path.isStatement() ? path : (owningStmt(path) as NodePath));
      if (st) st.declares.push(functionKey(ctx.file, path.node));
      if (path.isFunctionDeclaration() && path.node.id && st) {
        const b = path.scope.parent?.getBinding(path.node.id.name);
        if (b) st.defs.push(bindingKey(ctx.file, b));
      }
    },
    Identifier(path: NodePath<t.Identifier>) {
      const st = info(owningStmt(path) as NodePath);
      if (!st) return;
      const b = path.scope.getBinding(path.node.name);
      if (!b) return;
      const key = bindingKey(ctx.file, b);
      if (path.isReferencedIdentifier()) {
        if (!st.uses.includes(key)) st.uses.push(key);
      } else if ((path as NodePath).isBindingIdentifier() || isAssignedIdentifier(path)) {
        if (!st.defs.includes(key)) st.defs.push(key);
      }
    },
  };
}

function isAssignedIdentifier(path: NodePath<t.Identifier>): boolean {
  const p = path.parentPath;
  if (p?.isAssignmentExpression() && p.node.left === path.node) return true;
  if (p?.isUpdateExpression()) return true;
  return false;
}
