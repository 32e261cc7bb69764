/**
 * Babel 7 under TypeScript NodeNext: the default imports of @babel/traverse and @babel/generator
 * type-check as the CommonJS module objects, not as functions. Unwrap their `default` once, here.
 */
import _traverse from '@babel/traverse';
import _generate from '@babel/generator';

type Traverse = typeof _traverse.default;
type Generate = typeof _generate.default;

export const traverse: Traverse = (_traverse as unknown as { default?: Traverse }).default ?? (_traverse as unknown as Traverse);
export const generate: Generate = (_generate as unknown as { default?: Generate }).default ?? (_generate as unknown as Generate);
