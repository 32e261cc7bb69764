/**
 * Babel 7 under NodeNext: the default exports of @babel/traverse and @babel/generator type-check
 * as not callable, so they are unwrapped once here (DESIGN.md §5).
 */
import _generate from '@babel/generator';
import _traverse from '@babel/traverse';

type TraverseFn = typeof _traverse.default;
type GenerateFn = typeof _generate.default;
export const traverse: TraverseFn = ((_traverse as unknown as { default?: TraverseFn }).default ?? _traverse) as TraverseFn;
export const generate: GenerateFn = ((_generate as unknown as { default?: GenerateFn }).default ?? _generate) as GenerateFn;
export type { NodePath, Scope, Binding } from '@babel/traverse';
