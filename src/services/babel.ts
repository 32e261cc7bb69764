/** Babel 7 under NodeNext: the default export of @babel/traverse arrives wrapped; unwrap once here. */
import _traverse from '@babel/traverse';

type TraverseFn = typeof _traverse extends { default: infer F } ? F : typeof _traverse;
export const traverse: TraverseFn = ((_traverse as unknown as { default?: TraverseFn }).default ?? (_traverse as unknown as TraverseFn));
export type { NodePath } from '@babel/traverse';
