/**
 * Babel 7 under TypeScript NodeNext: the default imports of @babel/traverse, @babel/generator and
 * @babel/template type-check as the CommonJS module objects, not as functions. Their `default` is
 * unwrapped once, here (DESIGN.md §5); every stage imports Babel's functions from this module.
 */
import _generate from '@babel/generator';
import _template from '@babel/template';
import _traverse from '@babel/traverse';

type Traverse = typeof _traverse.default;
type Generate = typeof _generate.default;
type Template = typeof _template.default;

export const traverse: Traverse = (_traverse as unknown as { default?: Traverse }).default ?? (_traverse as unknown as Traverse);
export const generate: Generate = (_generate as unknown as { default?: Generate }).default ?? (_generate as unknown as Generate);
export const template: Template = (_template as unknown as { default?: Template }).default ?? (_template as unknown as Template);
export type { NodePath, Scope, Binding, Visitor } from '@babel/traverse';
