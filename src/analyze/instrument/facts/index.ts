/** Plugin: statement ids + static facts (control parent, defs/uses, declared functions). */
import { traverse } from '../../../util/babel.js';
import type * as t from '@babel/types';
import type { InstrumentContext } from '../probe-table.js';
import { factsVisitor } from './transform.js';

export function collectFacts(ast: t.File, ctx: InstrumentContext): void {
  traverse(ast, factsVisitor(ctx));
}
