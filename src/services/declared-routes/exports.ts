/**
 * The exports map of a module: which router each exported name denotes (CommonJS
 * `module.exports = router`, `exports.x = …`, `module.exports = { a, b }`; ESM default and named
 * exports, re-exports), so that a mount in another file reaches the router it imports.
 */
import type * as t from '@babel/types';

import type { NodePath, Visitor } from '../../util/babel.js';
import { resolveImport } from '../source-files.js';
import type { FileScope } from './model.js';

export function moduleExports(scope: FileScope): Visitor {
  const exp = scope.exports;
  return {
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
            const ref = scope.resolve(right.get(`properties.${i}.value`) as NodePath);
            if (ref) exp.set(prop.key.name, ref);
          }
        } else {
          const ref = scope.resolve(right);
          if (ref) exp.set('default', ref);
        }
      } else if (isExportsProp) {
        const ref = scope.resolve(right);
        if (ref) exp.set(left.property.name, ref);
      }
    },
    ExportDefaultDeclaration(path) {
      const d = path.get('declaration') as NodePath;
      const ref = d.isFunctionDeclaration() ? scope.functionRef(d.node) : scope.resolve(d);
      if (ref) exp.set('default', ref);
    },
    ExportNamedDeclaration(path) {
      const decl: t.Declaration | null | undefined = path.node.declaration;
      const source = path.node.source?.value;
      if (decl?.type === 'VariableDeclaration') {
        for (const [i, d] of decl.declarations.entries()) {
          if (d.id.type !== 'Identifier') continue;
          const ref = scope.resolve(path.get(`declaration.declarations.${i}.id`) as NodePath);
          if (ref) exp.set(d.id.name, ref);
        }
      } else if (decl?.type === 'FunctionDeclaration' && decl.id) {
        const ref = scope.functionRef(decl);
        if (ref) exp.set(decl.id.name, ref);
      }
      for (const [i, s] of path.node.specifiers.entries()) {
        if (s.type !== 'ExportSpecifier') continue;
        const exported = s.exported.type === 'Identifier' ? s.exported.name : s.exported.value;
        if (source !== undefined) {
          const target = resolveImport(scope.file, source);
          if (target) exp.set(exported, { kind: 'import', file: target, name: s.local.name });
        } else {
          const ref = scope.resolve(path.get(`specifiers.${i}.local`) as NodePath);
          if (ref) exp.set(exported, ref);
        }
      }
    },
  };
}
